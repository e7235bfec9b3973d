/* pool.h - a parallel map over items 0..n-1 (like Pool.map): static, cyclic or dynamic schedules, results in item order on rank 0. */
#ifndef MPIKIT_POOL_H
#define MPIKIT_POOL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "mpikit/error.h"

/* A task: compute item `item`, write result_size bytes to `result`. Returns 0, or a
 * non-zero code that fails the whole map (reported with the item index on every rank). */
typedef int (*mk_task_fn)(uint64_t item, void *result, void *ctx);

/* Called on rank 0 as items complete (done of total), to drive a progress bar. */
typedef void (*mk_pool_progress_fn)(uint64_t done, uint64_t total, void *ctx);

typedef enum { MK_SCHED_STATIC = 0, MK_SCHED_CYCLIC = 1, MK_SCHED_DYNAMIC = 2 } mk_schedule;
#define MK_SCHEDULE_CHOICES "static|cyclic|dynamic"

typedef struct {
    mk_schedule schedule;
    uint64_t chunksize;          /* dynamic: items per request; 0 chooses one */
    int manager_computes;        /* dynamic: rank 0 also runs tasks between requests (1) or only hands out work (0) */
    mk_pool_progress_fn progress;
    void *progress_ctx;
    int record_log;              /* gather a (item, rank, start, end) record of every task to rank 0 */
    const volatile sig_atomic_t *stop_flag;   /* when set (by a signal): start no more tasks, return 1 */
} mk_pool_options;

/* Defaults: static schedule, chunksize chosen, manager computes, no progress, no log. */
void mk_pool_options_init(mk_pool_options *opt);

typedef struct {
    uint64_t tasks;
    double busy_seconds;         /* inside task functions */
    double idle_seconds;         /* waiting for work or for others, inside the map */
} mk_pool_rank_stats;

typedef struct {
    uint64_t item;
    int rank;
    double start, end;           /* seconds since the map started (rank 0's clock) */
} mk_task_record;

typedef struct {
    int nranks;
    mk_pool_rank_stats *ranks;   /* rank 0: one per rank; NULL elsewhere */
    mk_task_record *log;         /* rank 0 with record_log: nlog records in item order */
    uint64_t nlog;
    double seconds;              /* wall time of the map (max over ranks) */
} mk_pool_result;

/* Apply fn to items 0..n-1 over the ranks of comm. On rank 0, `results` (n * result_size
 * bytes) receives every result in item order; elsewhere it may be NULL. One rank runs a
 * plain serial loop with no MPI traffic. A failing task, or any rank's error, returns -1
 * on every rank with the same err (naming the item); no rank is left waiting. Collective.
 * With opt->stop_flag: a rank that sees the flag set starts no further task (the running
 * one finishes); in dynamic mode rank 0 then hands out no more work. Returns 1 on every
 * rank when any rank stopped: the tasks that ran are counted in res->ranks, but `results`
 * is incomplete (the caller records finished tasks itself, e.g. in a journal). */
int mk_pool_map(MPI_Comm comm, uint64_t n, size_t result_size, mk_task_fn fn, void *ctx,
                const mk_pool_options *opt, void *results, mk_pool_result *res, mk_err *err);

void mk_pool_result_free(mk_pool_result *res);

#endif
