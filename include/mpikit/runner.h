/* runner.h - run one shell command in its own process group: exit status, signal, timeout, output files (MPI-free). */
#ifndef MPIKIT_RUNNER_H
#define MPIKIT_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "mpikit/error.h"

/* What to run and how. */
typedef struct {
    const char *command;       /* given to /bin/sh -c */
    double timeout;            /* seconds; <= 0: none */
    double kill_grace;         /* seconds between SIGTERM and SIGKILL to the group (<= 0: 1 s) */
    const char *stdout_path;   /* NULL: inherited; else created/truncated (O_NOFOLLOW) */
    const char *stderr_path;   /* NULL: inherited */
    const volatile sig_atomic_t *stop;   /* NULL, or a flag a signal handler sets: end the group as on a timeout */
} mk_run_spec;

/* How it ended, with GNU parallel's joblog meanings. */
typedef struct {
    int exitval;               /* exit status; -1 when the timeout killed it */
    int signal;                /* the signal that ended it, 0 when it exited */
    int timed_out;             /* 1: the timeout killed the group */
    int interrupted;           /* 1: *spec->stop was set: the group was ended, or the command died of a
                                  stop signal (stop.h) while the flag rose: it did not finish */
    double start;              /* seconds since the epoch */
    double seconds;            /* run time */
} mk_run_status;

/* Run spec->command with posix_spawn in a new process group and wait for it. On a timeout the
 * whole group (also when *spec->stop becomes set) gets SIGTERM, then SIGKILL after the grace time. 0 when the command ran (whatever
 * its status; see st), -1 with err when it could not be started (an output file, spawn). */
int mk_run_command(const mk_run_spec *spec, mk_run_status *st, mk_err *err);

/* 1 when the status is a success (exit 0, no signal, no timeout, not interrupted). */
int mk_run_succeeded(const mk_run_status *st);

/* `arg` quoted for /bin/sh as GNU parallel quotes {}: unchanged when it is made of
 * [A-Za-z0-9_/.+-] only (and not empty), else in single quotes with ' as '"'"'. Malloc'd; NULL
 * when out of memory. */
char *mk_shell_quote(const char *arg);

/* The command of task number `seq` (1-based) from a template: {} is the quoted argument, {#}
 * the task number. With append_arg and no {} in the template, " {}" is appended (as GNU parallel
 * does). Malloc'd; NULL when out of memory. */
char *mk_expand_command(const char *tmpl, const char *arg, uint64_t seq, int append_arg);

#endif
