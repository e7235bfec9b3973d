/* outfile.c - write to a temporary name, rename only when complete, so a failed or killed
 * run never leaves a half-written output where a user expects a result. */
#include "mpikit/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int fd = mkstemp(of->tmp);
    if (fd < 0) {
        of->tmp[0] = '\0';
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write %s '%s': %s", what, path, strerror(errno));
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

int mk_outfile_commit(mk_outfile *of, const char *path, mk_err *err)
{
    int bad = of->fp == NULL || ferror(of->fp);
    if (of->fp != NULL && fclose(of->fp) != 0)
        bad = 1;
    of->fp = NULL;
    if (bad || rename(of->tmp, path) != 0) {
        int e = errno;
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
