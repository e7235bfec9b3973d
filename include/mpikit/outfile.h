/* outfile.h - an output file that appears only when complete: written unnamed (O_TMPFILE) or to a temporary name beside it, linked/renamed at the end. */
#ifndef MPIKIT_OUTFILE_H
#define MPIKIT_OUTFILE_H

#include <stdio.h>
#include "mpikit/error.h"

typedef struct {
    char tmp[4096];   /* the temporary path, "" when none */
    FILE *fp;         /* write here */
    const char *what; /* names the file in messages, e.g. "--counts" */
} mk_outfile;

/* Refuse an output PATH that exists and is not a regular file (a directory, or a device such as
 * /dev/null that the final rename would replace). Called by mk_outfile_begin and mk_h5_create. */
int mk_outfile_check_target(const char *path, const char *what, mk_err *err);
/* Open an unnamed file (O_TMPFILE) or PATH.tmp-XXXXXX in PATH's directory (fails early when not writable). */
int mk_outfile_begin(mk_outfile *of, const char *path, const char *what, mk_err *err);
/* Flush, fsync, link in and rename to PATH (mode 0666 & ~umask); on any failure the temporary is removed. */
int mk_outfile_commit(mk_outfile *of, const char *path, mk_err *err);
/* Close and remove the temporary, if any (safe to call at any point, or twice). */
void mk_outfile_abandon(mk_outfile *of);

/* Named temporaries (PATH.tmp-XXXXXX, the MPI-IO writers'): the writer holds a lock on its
 * temporary for as long as it writes (an OFD lock, which the kernel drops when the process dies,
 * SIGKILL included), so a later run can tell a killed run's leftover from a live writer's file. */

/* Take the writer's lock on the open temporary fd. 0, or -1 with errno. */
int mk_outfile_lock(int fd);
/* Remove every PATH.tmp-XXXXXX beside PATH that no process holds locked and that was last
 * modified at least 2 s ago: what a killed run left. Returns how many were removed. */
int mk_outfile_remove_stale(const char *path);
/* Reserve `bytes` of disk beside PATH in an unnamed file (O_TMPFILE): *fd receives it (-1 where
 * unnamed files are not supported: nothing reserved). Closing *fd gives the space back, so a
 * writer that fills the disk still has room to close its files cleanly. -1 with err when the
 * space is not there. */
int mk_outfile_reserve(const char *path, long bytes, int *fd, mk_err *err);

#endif
