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

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    int fd = open_unnamed(path);
    if (fd >= 0) {
        of->tmp[0] = '\0'; /* no name yet: the commit links it in */
    } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
        fd = mkstemp(of->tmp);
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
    int bad = of->fp == NULL || ferror(of->fp) || fflush(of->fp) != 0 || fsync(fileno(of->fp)) != 0;
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
    if (!bad && rename(of->tmp, path) != 0) {
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
