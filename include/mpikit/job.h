/* job.h - the life of a job: MPI start-up (timed), launch self-check, rank-0 messages, agreed exit. */
#ifndef MPIKIT_JOB_H
#define MPIKIT_JOB_H

#include <stdio.h>
#include <mpi.h>
#include "mpikit/error.h"

typedef struct {
    const char *prog;
    MPI_Comm comm;
    int world_rank;
    int world_size;
    double init_seconds;   /* time spent in MPI_Init */
    double started;        /* mk_now() right after MPI_Init */
} mk_job;

/* MPI_Init, rank/size, and the launch check below. On failure prints one line and exits. */
void mk_job_begin(mk_job *job, const char *prog, int *argc, char ***argv);

/* The same with MPI_Init_thread: asks for thread level `required`, *provided gets what
 * the library grants (compare before starting threads that call MPI). */
void mk_job_begin_thread(mk_job *job, const char *prog, int *argc, char ***argv, int required, int *provided);

/* The launch check: under SLURM the world size must equal SLURM_NTASKS (a PMI mismatch
 * starts N singletons that each think they are rank 0 of 1). Returns 0 or -1 with err set. */
int mk_check_launch(int world_size, mk_err *err);

/* stdout on rank 0, NULL elsewhere: the one place jobs print results. */
FILE *mk_job_out(const mk_job *job);
#if defined(__clang_analyzer__) && !defined(MK_JOB_IMPL)
/* For clang-tidy only (one file at a time): the contract above, so that "rank 0 prints" and
 * "out != NULL" are known to be the same condition. */
#define mk_job_out(job) ((job)->world_rank == 0 ? stdout : NULL)
#endif

/* Rank 0 prints "prog: error: msg" (plus a --help hint for usage errors), every rank
 * finalizes and exits with err->code. Call only with an error every rank agrees on. */
void mk_job_exit_error(const mk_job *job, const mk_err *err) __attribute__((noreturn));

/* MPI_Finalize and exit status 0. */
void mk_job_end(const mk_job *job) __attribute__((noreturn));

/* Act on a job's parse result (MK_CLI_OK/EXIT/ERROR): end cleanly after --help, exit with the
 * error agreed across ranks on a bad option; returns only when parsing succeeded everywhere. */
void mk_job_parsed(const mk_job *job, int parse_rc, mk_err *err);
#if defined(__clang_analyzer__) && !defined(MK_JOB_IMPL)
/* For clang-tidy only: the contract above, so options are known to be parsed after the call. */
#include "mpikit/cli.h"
#define mk_job_parsed(job, parse_rc, err)                                                           \
    do {                                                                                            \
        if ((parse_rc) == MK_CLI_EXIT)                                                              \
            mk_job_end(job);                                                                        \
        if ((parse_rc) != MK_CLI_OK)                                                                \
            mk_job_exit_error(job, err);                                                            \
    } while (0)
#endif

#endif
