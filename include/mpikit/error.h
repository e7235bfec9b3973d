/* error.h - error values returned by the library; jobs decide whether to abort. */
#ifndef MPIKIT_ERROR_H
#define MPIKIT_ERROR_H

#include <mpi.h>

/* Exit statuses shared by every job. */
enum { MK_EXIT_OK = 0, MK_EXIT_FAILURE = 1, MK_EXIT_USAGE = 2, MK_EXIT_INTERRUPTED = 3 /* checkpoint saved */ };

#define MK_ERR_MSG_MAX 512

/* An error: a non-zero code (an MK_EXIT_* status) and one line of text. */
typedef struct {
    int code;
    char msg[MK_ERR_MSG_MAX];
} mk_err;

/* Clear an error to "no error". */
void mk_err_clear(mk_err *err);

/* Set code and a printf-style message; returns -1 so callers can `return mk_err_set(...)`. */
int mk_err_set(mk_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Agreement point: every rank of comm ends with the same error, the one of the
 * lowest failing rank (or none). Collective. Returns err->code. */
int mk_err_agree(MPI_Comm comm, mk_err *err);

#endif
