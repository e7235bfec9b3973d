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

#if defined(__clang_analyzer__) && !defined(MK_ERROR_IMPL)
/* For clang-tidy only, which analyzes one file at a time: the two contracts above, so that a
 * path after an error is not explored as if it had succeeded. mk_err_set always leaves a
 * non-zero code; mk_err_agree returns non-zero when this rank's own code was non-zero. */
#define mk_err_set(err, ...)             \
    (mk_err_set((err), __VA_ARGS__), \
     __builtin_assume((mk_err *)(err) == NULL || ((mk_err *)(err))->code != 0), -1)
#define mk_err_agree(comm, err) \
    ((err)->code != 0 ? (mk_err_agree((comm), (err)), __builtin_assume((err)->code != 0), (err)->code) \
                      : mk_err_agree((comm), (err)))
#endif

#endif
