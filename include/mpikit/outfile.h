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

#endif
