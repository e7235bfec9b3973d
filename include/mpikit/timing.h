/* timing.h - per-phase wall-clock timers, reduced to min/mean/max over ranks. */
#ifndef MPIKIT_TIMING_H
#define MPIKIT_TIMING_H

#include <mpi.h>
#include "mpikit/report.h"

#define MK_TIMING_MAX_PHASES 16

typedef struct {
    int nphases;
    const char *names[MK_TIMING_MAX_PHASES];
    double seconds[MK_TIMING_MAX_PHASES];   /* accumulated */
    double started[MK_TIMING_MAX_PHASES];   /* mk_now() at start, < 0 when stopped */
} mk_timing;

typedef struct {
    int nphases;
    const char *names[MK_TIMING_MAX_PHASES];
    double min[MK_TIMING_MAX_PHASES], mean[MK_TIMING_MAX_PHASES], max[MK_TIMING_MAX_PHASES];
} mk_timing_stats;

/* Monotonic wall clock in seconds, usable before MPI_Init. */
double mk_now(void);

void mk_timing_init(mk_timing *t);
/* Register (or find) a phase by name; returns its index, or -1 when full. */
int mk_timing_phase(mk_timing *t, const char *name);
void mk_timing_start(mk_timing *t, int phase);
void mk_timing_stop(mk_timing *t, int phase);
void mk_timing_add(mk_timing *t, int phase, double seconds);

/* Reduce every phase to min/mean/max over comm; result valid on every rank. Collective. */
int mk_timing_reduce(const mk_timing *t, MPI_Comm comm, mk_timing_stats *out);

/* A table "timing": phase, min_s, mean_s, max_s, and MB/s of `bytes` over the max time
 * (bytes 0: no MB/s column). */
mk_table *mk_timing_table(const mk_timing_stats *s, uint64_t bytes);

#endif
