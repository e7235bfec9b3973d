/* progress.h - a progress bar on stderr (percent, rate, ETA), throttled so it costs nothing measurable. */
#ifndef MPIKIT_PROGRESS_H
#define MPIKIT_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *out;          /* NULL: disabled */
    const char *label;
    const char *unit;   /* "B" shows MB/s; anything else shows items/s */
    uint64_t total;
    uint64_t done;
    double start, last_draw;
    int drawn;
} mk_progress;

/* Whether a bar should be shown: forced (--progress), or stderr is a terminal; only on rank 0. */
int mk_progress_wanted(int forced, int disabled, int world_rank);

/* Start a bar writing to out (NULL disables it). */
void mk_progress_begin(mk_progress *p, FILE *out, const char *label, const char *unit, uint64_t total);
/* Add work done; redraws at most 10 times a second. */
void mk_progress_add(mk_progress *p, uint64_t amount);
/* Set absolute work done. */
void mk_progress_set(mk_progress *p, uint64_t done);
/* Draw the final state and end the line. */
void mk_progress_end(mk_progress *p);

#endif
