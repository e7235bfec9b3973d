/* error.c - error values and the collective agreement on one error. */
#define MK_ERROR_IMPL /* the real mk_err_set, not the analyzer's view of it in error.h */
#include "mpikit/error.h"

#include <stdarg.h>
#include <stdio.h>

void mk_err_clear(mk_err *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

int mk_err_set(mk_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    /* A zero code would read as "no error" to every caller that checks err->code. */
    err->code = code != 0 ? code : MK_EXIT_FAILURE;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    return -1;
}

/* The lowest failing rank wins so the verdict does not depend on timing, and its
 * message travels with the code so rank 0 can print what actually went wrong. */
int mk_err_agree(MPI_Comm comm, mk_err *err)
{
    int rank, size;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS || MPI_Comm_size(comm, &size) != MPI_SUCCESS) {
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Comm_rank/size failed");
        return err->code;
    }

    int mine = err->code != 0 ? rank : size;
    int lowest = size;
    if (MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) {
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Allreduce failed while agreeing on an error");
        return err->code;
    }
    if (lowest == size) {
        mk_err_clear(err);
        return 0;
    }

    /* The struct is an int and chars; ranks of one job share the representation. */
    if (MPI_Bcast(err, (int)sizeof *err, MPI_BYTE, lowest, comm) != MPI_SUCCESS) {
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Bcast failed while agreeing on an error");
        return err->code;
    }
    err->msg[sizeof err->msg - 1] = '\0';
    return err->code;
}
