/* farm.h - the task farm: one shell command per task line, run by mk_pool_map's workers through the runner. */
#ifndef MPIKIT_FARM_H
#define MPIKIT_FARM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "mpikit/checkpoint.h"
#include "mpikit/error.h"

/* The task arguments (one line each), the same on every rank. */
typedef struct {
    char *bytes;        /* every line, each ended by a NUL */
    uint64_t size;      /* bytes used */
    char **args;        /* n pointers into bytes */
    uint64_t n;
} mk_farm_tasks;

/* Rank 0 reads PATH ("-": stdin), one argument per line (the newline removed; an empty line is an
 * empty argument, as in GNU parallel; a NUL byte is an error naming the line); every rank receives
 * them. With PATH NULL: `count` empty arguments (commands then use {#}). Collective; errors agreed. */
int mk_farm_read_tasks(MPI_Comm comm, const char *path, uint64_t count, mk_farm_tasks *t, mk_err *err);

void mk_farm_tasks_free(mk_farm_tasks *t);

/* How a task ended: the fixed-size result the map gathers and the journal records. */
typedef struct {
    double start;        /* seconds since the epoch, of the last attempt */
    double seconds;      /* its run time */
    int32_t exitval;     /* -1: timed out */
    int32_t signal;
    int32_t attempts;
    int32_t rank;
    char host[64];
} mk_farm_result;

/* What every task of a farm shares. */
typedef struct {
    const char *command;        /* the template: {} the argument, {#} the task number */
    int append_arg;             /* no {} in the template: append the argument (tasks from a file) */
    const mk_farm_tasks *tasks;
    const uint64_t *todo;       /* the map's item j is task todo[j] */
    double timeout;             /* per attempt; <= 0: none */
    int retries;                /* a failing task runs again up to this many times */
    const volatile sig_atomic_t *stop;   /* a stop signal ends the running command */
    mk_journal *journal;        /* NULL, or where each finished task is recorded */
    mk_err task_err;            /* the first local error (journal write, spawn), reported by the caller */
    int rank;
    char host[64];
} mk_farm_ctx;

/* Fill what a farm's context needs from the machine (host name, rank) */
void mk_farm_ctx_init(mk_farm_ctx *c, int rank);

/* The command of task `task` (0-based). Malloc'd; NULL when out of memory. */
char *mk_farm_command(const mk_farm_ctx *c, uint64_t task);

/* Print the command of every task, one per line (--dry-run). */
void mk_farm_print_commands(FILE *out, const mk_farm_ctx *c, uint64_t n);

/* The mk_task_fn of the farm: runs task todo[j] (with its retries), fills an mk_farm_result.
 * A command's failure is its result (0 returned); non-zero only when it could not run at all,
 * or could not be recorded (c->task_err says why). A task a stop interrupted is not journalled. */
int mk_farm_task(uint64_t j, void *result, void *ctx);

/* 1 when the result is a success. */
int mk_farm_succeeded(const mk_farm_result *r);

/* Write GNU parallel's joblog (tab-separated header, then one row per task in completion order)
 * of the n tasks whose results are given. Returns 0, -1 with err on a write error. */
int mk_farm_write_joblog(FILE *fp, const mk_farm_ctx *c, const mk_farm_result *results, uint64_t n, mk_err *err);

/* The first failed task (lowest number) and how many failed; returns n when none did. */
uint64_t mk_farm_first_failure(const mk_farm_result *results, uint64_t n, uint64_t *nfailed);

#endif
