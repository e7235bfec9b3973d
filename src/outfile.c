/* outfile.c - write to a temporary name, rename only when complete, so a failed or killed
 * run never leaves a half-written output where a user expects a result.
 *
 * Where the file system allows it (Linux O_TMPFILE: ext4, xfs, btrfs, tmpfs) the file being
 * written has no name at all until the commit links it in, so even a process killed with
 * SIGKILL, or with SIGTERM by mpirun when another rank died, leaves nothing behind: the kernel
 * frees an unnamed file when its last descriptor closes. No signal handler and no global list
 * of temporaries is needed. Elsewhere (NFS, or no /proc) it falls back to PATH.tmp-XXXXXX,
 * which a killed process cannot remove. */
#include "mpikit/outfile.h"
#include "mpikit/fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The directory part of path ("." when there is none) into buf; 0 or -1 when too long. */
static int dir_of(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    int n = slash == NULL ? snprintf(buf, len, ".")
                          : snprintf(buf, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* An unnamed file in path's directory, or -1 with errno (EOPNOTSUPP/EISDIR/EINVAL: not
 * supported here, use a named temporary). */
static int open_unnamed(const char *path)
{
#ifdef O_TMPFILE
    char dir[4096];
    if (dir_of(path, dir, sizeof dir) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* linking it in at the end goes through /proc/self/fd (linkat AT_EMPTY_PATH needs privilege) */
    if (access("/proc/self/fd", X_OK) != 0) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666); /* the umask applies as usual */
#else
    (void)path;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int mk_outfile_check_target(const char *path, const char *what, mk_err *err)
{
    struct stat st;
    if (path[0] == '\0')
        return mk_err_set(err, MK_EXIT_FAILURE, "%s: empty file name", what);
    if (stat(path, &st) != 0)
        return 0; /* absent: created; a missing directory fails when the temporary is made */
    if (S_ISDIR(st.st_mode))
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': is a directory", what, path);
    if (!S_ISREG(st.st_mode))
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': exists and is not a regular file", what,
                          path);
    return 0;
}

int mk_outfile_begin(mk_outfile *of, const char *path, const char *what, mk_err *err)
{
    of->fp = NULL;
    of->tmp[0] = '\0';
    of->what = what;
    if (mk_outfile_check_target(path, what, err) != 0)
        return -1;
    int n = snprintf(of->tmp, sizeof of->tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof of->tmp) {
        of->tmp[0] = '\0';
        return mk_err_set(err, MK_EXIT_FAILURE, "%s: path too long", what);
    }
    int fd = mk_fault_hit("outfile.open") ? (errno = ENOSPC, -1) : open_unnamed(path);
    if (fd >= 0) {
        of->tmp[0] = '\0'; /* no name yet: the commit links it in */
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        mk_outfile_remove_stale(path);
        fd = mkstemp(of->tmp);
        if (fd >= 0)
            mk_outfile_lock(fd); /* best effort: without it a later run only skips this file */
    }
    if (fd < 0) {
        int e = errno;
        of->tmp[0] = '\0';
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': %s", what, path, strerror(e));
    }
    /* mkstemp makes 0600; a result file gets the usual 0666 & ~umask */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || (of->fp = fdopen(fd, "w")) == NULL) {
        int e = errno;
        close(fd);
        mk_outfile_abandon(of);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': %s", what, path, strerror(e));
    }
    return 0;
}

/* Give the unnamed file of fd the name PATH.tmp-XXXXXX (in of->tmp), ready for the rename. */
static int link_unnamed(mk_outfile *of, int fd, const char *path)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    for (int attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(of->tmp, sizeof of->tmp, "%s.tmp-XXXXXX", path);
        if (n < 0 || (size_t)n >= sizeof of->tmp)
            break;
        /* mkstemp picks a fresh name; the link needs it free again */
        int probe = mkstemp(of->tmp);
        if (probe < 0)
            break;
        close(probe);
        unlink(of->tmp);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, of->tmp, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    of->tmp[0] = '\0';
    errno = e;
    return -1;
}

int mk_outfile_commit(mk_outfile *of, const char *path, mk_err *err)
{
    int unnamed = of->fp != NULL && of->tmp[0] == '\0';
    int e = 0;
    /* The data must be on disk before the name is: a full disk shows up here, at the latest. */
    int bad = of->fp == NULL || ferror(of->fp) || fflush(of->fp) != 0 || fsync(fileno(of->fp)) != 0 ||
              (mk_fault_hit("outfile.sync") && (errno = ENOSPC));
    if (bad)
        e = errno;
    if (!bad && unnamed && link_unnamed(of, fileno(of->fp), path) != 0) {
        bad = 1;
        e = errno;
    }
    if (of->fp != NULL && fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
    if (!bad && (mk_fault_hit("outfile.rename") ? (errno = EIO, -1) : rename(of->tmp, path)) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        mk_outfile_abandon(of);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': %s", of->what, path,
                          e ? strerror(e) : "write error");
    }
    of->tmp[0] = '\0';
    return 0;
}

void mk_outfile_abandon(mk_outfile *of)
{
    if (of->fp != NULL)
        fclose(of->fp);
    if (of->tmp[0] != '\0')
        unlink(of->tmp);
    of->fp = NULL;
    of->tmp[0] = '\0';
}

/* The lock is one byte far past any data, so it never meets the byte-range locks an MPI-IO
 * library may take on the data (on NFS flock is emulated with those, so it is not used). */
static void lock_range(struct flock *l, short type)
{
    memset(l, 0, sizeof *l);
    l->l_type = type;
    l->l_whence = SEEK_SET;
    l->l_start = (off_t)1 << 62;
    l->l_len = 1;
}

int mk_outfile_lock(int fd)
{
    struct flock l;
    lock_range(&l, F_WRLCK);
    return fcntl(fd, F_OFD_SETLK, &l);
}

/* Whether name is base + ".tmp-" + 6 characters of mkstemp's alphabet. */
static int is_temporary_of(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp-", 5) != 0)
        return 0;
    const char *x = name + n + 5;
    if (strlen(x) != 6)
        return 0;
    for (; *x; x++)
        if (!((*x >= 'a' && *x <= 'z') || (*x >= 'A' && *x <= 'Z') || (*x >= '0' && *x <= '9')))
            return 0;
    return 1;
}

/* Remove dir/name when it is a regular file nobody holds locked, untouched for 2 s (a run
 * between its mkstemp and its lock is younger than that). */
static int remove_if_stale(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st, again;
    struct flock l;
    lock_range(&l, F_WRLCK);
    int removed = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && time(NULL) - st.st_mtime >= 2 &&
        fcntl(fd, F_OFD_SETLK, &l) == 0 && fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
        again.st_ino == st.st_ino && again.st_dev == st.st_dev)
        removed = unlinkat(dirfd, name, 0) == 0;
    close(fd);
    return removed;
}

int mk_outfile_remove_stale(const char *path)
{
    char dir[4096];
    if (dir_of(path, dir, sizeof dir) != 0)
        return 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash == NULL ? path : slash + 1;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int removed = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        if (is_temporary_of(e->d_name, base))
            removed += remove_if_stale(dirfd(d), e->d_name);
    closedir(d);
    return removed;
}

int mk_outfile_reserve(const char *path, long bytes, int *fd, mk_err *err)
{
    *fd = -1;
#ifdef O_TMPFILE
    char dir[4096];
    if (dir_of(path, dir, sizeof dir) != 0)
        return 0;
    int r = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (r < 0)
        return 0; /* no unnamed files here (or no directory: the writer reports that) */
    int e = mk_fault_hit("outfile.reserve") ? ENOSPC : posix_fallocate(r, 0, bytes);
    if (e == ENOSPC || e == EDQUOT) {
        close(r);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(e));
    }
    if (e != 0) { /* not supported: go on without a reserve */
        close(r);
        return 0;
    }
    *fd = r;
#else
    (void)path;
    (void)bytes;
    (void)err;
#endif
    return 0;
}
