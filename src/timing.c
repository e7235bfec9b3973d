/* timing.c - per-phase wall-clock timers reduced to min/mean/max over ranks.
 *
 * Timers read mk_now() rather than MPI_Wtime() so MPI_Init itself can be timed.
 * Phase names are stored as pointers: they must outlive the mk_timing (string
 * literals in practice). */
#include "mpikit/timing.h"

#include <string.h>
#include <time.h>

double mk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void mk_timing_init(mk_timing *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < MK_TIMING_MAX_PHASES; i++)
        t->started[i] = -1.0;
}

int mk_timing_phase(mk_timing *t, const char *name)
{
    for (int i = 0; i < t->nphases; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    if (t->nphases == MK_TIMING_MAX_PHASES)
        return -1;
    int i = t->nphases++;
    t->names[i] = name;
    t->seconds[i] = 0.0;
    t->started[i] = -1.0;
    return i;
}

/* An invalid index (e.g. the -1 of a full registry) is ignored so a job that
 * registers too many phases loses timings, not correctness. */
static int valid_phase(const mk_timing *t, int phase)
{
    return phase >= 0 && phase < t->nphases;
}

void mk_timing_start(mk_timing *t, int phase)
{
    if (valid_phase(t, phase))
        t->started[phase] = mk_now();
}

void mk_timing_stop(mk_timing *t, int phase)
{
    if (!valid_phase(t, phase) || t->started[phase] < 0.0)
        return;
    t->seconds[phase] += mk_now() - t->started[phase];
    t->started[phase] = -1.0;
}

void mk_timing_add(mk_timing *t, int phase, double seconds)
{
    if (valid_phase(t, phase))
        t->seconds[phase] += seconds;
}

/* Phases are matched by position, not by name: every rank must register the same
 * phases in the same order. Only the phase count is checked (cheaply, in one
 * reduction); a mismatch makes every rank return -1. Running timers are not
 * included, only accumulated seconds. */
int mk_timing_reduce(const mk_timing *t, MPI_Comm comm, mk_timing_stats *out)
{
    memset(out, 0, sizeof *out);

    int counts[2] = { t->nphases, -t->nphases }, agreed[2];
    if (MPI_Allreduce(counts, agreed, 2, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        return -1;
    if (agreed[0] != -agreed[1])
        return -1;

    int n = t->nphases, size;
    if (MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        return -1;
    out->nphases = n;
    for (int i = 0; i < n; i++)
        out->names[i] = t->names[i];
    if (n == 0)
        return 0;

    double sum[MK_TIMING_MAX_PHASES];
    if (MPI_Allreduce(t->seconds, out->min, n, MPI_DOUBLE, MPI_MIN, comm) != MPI_SUCCESS ||
        MPI_Allreduce(t->seconds, sum, n, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS ||
        MPI_Allreduce(t->seconds, out->max, n, MPI_DOUBLE, MPI_MAX, comm) != MPI_SUCCESS)
        return -1;
    for (int i = 0; i < n; i++)
        out->mean[i] = sum[i] / size;
    return 0;
}

mk_table *mk_timing_table(const mk_timing_stats *s, uint64_t bytes)
{
    static const char *const cols[] = { "phase", "min_s", "mean_s", "max_s", "MB_s" };
    /* Without a byte count there is no rate to show: leave the column out. */
    mk_table *t = mk_table_new("timing", "timing (seconds over ranks)", bytes ? 5 : 4, cols);
    if (t == NULL)
        return NULL;
    for (int i = 0; i < s->nphases; i++) {
        int rc = mk_table_str(t, s->names[i]);
        rc |= mk_table_f64(t, "%.4f", s->min[i]);
        rc |= mk_table_f64(t, "%.4f", s->mean[i]);
        rc |= mk_table_f64(t, "%.4f", s->max[i]);
        /* A rate over no time is meaningless, not infinite. */
        if (bytes == 0)
            ;
        else if (!(s->max[i] > 0.0))
            rc |= mk_table_str(t, "-");
        else
            rc |= mk_table_f64(t, "%.1f", (double)bytes / 1e6 / s->max[i]);
        if (rc != 0) {
            mk_table_free(t);
            return NULL;
        }
    }
    return t;
}
