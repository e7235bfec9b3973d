/* square - the tutorials' "square 1000 random ints": a serial loop against scatter/compute/gather,
 * and plainly why the parallel version loses when each item is cheap.
 *
 *   usage: mpirun -n P square [--n 1000] [--cost 100us] [--repeat 5]
 *
 *   serial      rank 0: for i in range(n): y[i] = x[i]**2 (+ --cost of busy work)   others wait
 *                                                                              (politely: no spinning)
 *   parallel    rank 0  x[0..n) --MPI_Scatterv--> |x0..|x1..|x2..|x3..|   one block per rank
 *                                                   |    |    |    |
 *               every rank squares its block      |y0..|y1..|y2..|y3..|   (+ --cost each)
 *                                                   \____\____\____/
 *               rank 0  y[0..n) <--MPI_Gatherv--   then checks y == serial y
 *
 * Both are timed --repeat times (medians). The hand-out cost per item is the scatter plus the
 * gather divided by n; with it the job estimates the work per item at which parallel breaks even.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/partition.h"
#include "mpikit/report.h"
#include "mpikit/rng.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define SQUARE_TABLES "summary|timing|items"

typedef struct {
    int64_t n, seed, max_value, repeat, show;
    double cost;
    int format, table;
} options;

/* Medians over the repeats, as seen by rank 0 (compute: the slowest rank). */
typedef struct {
    double serial, parallel, scatter, compute, gather;
} timings;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .n = 1000, .seed = 1, .max_value = 1000, .repeat = 5};
    const mk_option opts[] = {
        {"n", 'n', MK_OPT_INT, &o->n, "N", "how many random ints (default 1000)", 1, 100000000, 0, 0, NULL},
        {"cost", 'c', MK_OPT_DURATION, &o->cost, "DURATION",
         "busy work per item on a monotonic clock, e.g. 50us (default 0: just the multiply)", 0, 0, 0, 1, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "seed of the random ints (default 1)", 0, INT64_MAX, 0, 0, NULL},
        {"max-value", 0, MK_OPT_INT, &o->max_value, "M", "ints are drawn from [0, M) (default 1000)", 1,
         3037000499LL, 0, 0, NULL},
        {"repeat", 'r', MK_OPT_INT, &o->repeat, "R", "time each version R times, report medians (default 5)", 1,
         1000, 0, 0, NULL},
        {"show", 0, MK_OPT_INT, &o->show, "K", "also list the first K items: x and x squared", 0, 100000000, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, SQUARE_TABLES),
    };
    const mk_cli cli = {
        .prog = "square",
        .usage = "[options]",
        .summary = "Square N random ints with a serial loop on rank 0 and with MPI scatter/compute/gather,\n"
                   "print both times and the speedup, and say why parallel lost when it did.\n"
                   "Run it as: mpirun -n 2 square --cost 100us",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && (mk_table_check_format(o->format, o->table, err) != 0 ||
                            mk_table_require(SQUARE_TABLES, o->table, "items", o->show > 0, "needs --show K", err)))
        return MK_CLI_ERROR;
    return rc;
}

/* Simulated work that really uses the CPU: spin on the monotonic clock (sleeping would not). */
static void busy_work(double seconds)
{
    if (seconds <= 0)
        return;
    double until = mk_now() + seconds;
    while (mk_now() < until)
        ;
}

static void square_block(const int64_t *x, int64_t *y, int count, double cost)
{
    for (int i = 0; i < count; i++) {
        busy_work(cost);
        y[i] = x[i] * x[i];
    }
}

/* A barrier that sleeps instead of spinning, so waiting ranks leave the cores to rank 0's serial
 * loop (Open MPI's MPI_Barrier busy-polls, which on an oversubscribed node slows the others). */
static void polite_barrier(MPI_Comm comm)
{
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    int done = 0;
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int64_t n)
{
    /* cppcheck-suppress uninitvar ; false positive: callers fill n >= 1 values (--repeat >= 1) */
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int ncores(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

static void report(FILE *out, const options *o, int nranks, const timings *t, const int64_t *x, const int64_t *y,
                   uint64_t checksum)
{
    double n = (double)o->n;
    int cores = ncores();
    int usable = nranks < cores ? nranks : cores;              /* ranks that can really run at once */
    double speedup = t->parallel > 0 ? t->serial / t->parallel : 0;
    double handout = (t->scatter + t->gather) / n;             /* seconds per item */
    double per_item = t->serial / n;                           /* work + multiply, serial */
    double ideal = t->serial / nranks;                         /* the compute phase, perfectly split */
    /* Splitting saves per_item * (1 - 1/P) per item; handing it out costs `handout`. */
    double breakeven = usable > 1 ? handout / (1.0 - 1.0 / usable) : 0;
    char verdict[700], slow[200] = "";
    if (nranks > 1 && t->compute > 1.25 * ideal && t->compute > 1e-4)
        snprintf(slow, sizeof slow, "; and the ranks computed %.1fx slower than the ideal serial/%d (%s)",
                 t->compute / ideal, nranks,
                 nranks > cores ? "more ranks than cores: they take turns on the CPU" : "other load on the cores");
    if (nranks == 1)
        snprintf(verdict, sizeof verdict, "one rank: nothing to split, the parallel version is the serial loop "
                                          "plus a scatter/gather to itself");
    else if (speedup < 1)
        snprintf(verdict, sizeof verdict,
                 "parallel lost: handing out an item (scatter + gather) costs %.3g us, computing it costs %.3g us, "
                 "so splitting saves at most %.3g us per item; it pays above ~%.3g us of work per item "
                 "on %d usable cores%s",
                 handout * 1e6, per_item * 1e6, per_item * (1.0 - 1.0 / usable) * 1e6, breakeven * 1e6, usable,
                 slow);
    else
        snprintf(verdict, sizeof verdict,
                 "parallel won: %.3g us of work per item outweighs the hand-out cost of %.3g us per item "
                 "(speedup %.2fx of at most %d%s)%s",
                 per_item * 1e6, handout * 1e6, speedup, usable,
                 nranks > cores ? ", as only that many cores exist" : "", slow);

    mk_table *tables[3];
    int nt = 0;
    if (o->show > 0) {
        const char *cols[] = {"i", "x", "x_squared"};
        mk_table *s = mk_table_new("items", "items", 3, cols);
        for (int64_t i = 0; i < o->show && i < o->n; i++) {
            mk_table_i64(s, i);
            mk_table_i64(s, x[i]);
            mk_table_i64(s, y[i]);
        }
        tables[nt++] = s;
    }
    char title[200];
    snprintf(title, sizeof title, "square of %lld random ints, %.3g us of work per item, %d ranks on %d cores, "
                                  "median of %lld runs",
             (long long)o->n, o->cost * 1e6, nranks, cores, (long long)o->repeat);
    const char *cols[] = {"method", "seconds", "per_item_us"};
    mk_table *tt = mk_table_new("timing", title, 3, cols);
    const char *names[] = {"serial", "parallel", "  scatter", "  compute", "  gather"};
    const double v[] = {t->serial, t->parallel, t->scatter, t->compute, t->gather};
    for (int i = 0; i < 5; i++) {
        mk_table_str(tt, o->format == MK_FMT_TEXT ? names[i] : names[i] + (i >= 2 ? 2 : 0));
        mk_table_f64(tt, "%.6f", v[i]);
        mk_table_f64(tt, "%.3f", v[i] / n * 1e6);
    }
    tables[nt++] = tt;
    const char *scols[] = {"n", "ranks", "cores", "cost_us", "speedup", "handout_us_per_item", "breakeven_cost_us",
                           "sum_of_squares", "check", "verdict"};
    /* Text prints the verdict as a sentence below the tables; programs get it as a column. */
    mk_table *s = mk_table_new("summary", "summary", o->format == MK_FMT_TEXT ? 9 : 10, scols);
    mk_table_i64(s, o->n);
    mk_table_i64(s, nranks);
    mk_table_i64(s, cores);
    mk_table_f64(s, "%.3f", o->cost * 1e6);
    mk_table_f64(s, "%.3f", speedup);
    mk_table_f64(s, "%.3f", handout * 1e6);
    mk_table_f64(s, "%.3f", breakeven * 1e6);
    mk_table_u64(s, checksum);
    mk_table_str(s, "ok");
    if (o->format != MK_FMT_TEXT)
        mk_table_str(s, verdict);
    tables[nt++] = s;
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, SQUARE_TABLES, o->table);
    if (o->format == MK_FMT_TEXT)
        fprintf(out, "\nspeedup %.2fx\n%s\n", speedup, verdict);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "square", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    /* parse */
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);

    /* data: rank 0 draws the ints, the way the tutorial's parent process does */
    int P = job.world_size, me = job.world_rank;
    size_t n = (size_t)o.n;
    mk_range mine = mk_block_range(n, P, me);
    int64_t *x = NULL, *y_serial = NULL, *y = NULL;
    int *counts = malloc((size_t)P * sizeof *counts), *displs = malloc((size_t)P * sizeof *displs);
    int64_t *xs = malloc((mine.count + 1) * sizeof *xs), *ys = malloc((mine.count + 1) * sizeof *ys);
    double *samples = malloc(5 * (size_t)o.repeat * sizeof *samples);
    if (me == 0) {
        x = malloc(n * sizeof *x);
        y_serial = malloc(n * sizeof *y_serial);
        y = malloc(n * sizeof *y);
    }
    if (!counts || !displs || !xs || !ys || !samples || (me == 0 && (!x || !y_serial || !y)))
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory for %lld ints", (long long)o.n);
    else if (mk_block_counts(n, P, 1, counts, displs) != 0)
        mk_err_set(&err, MK_EXIT_FAILURE, "--n %lld does not fit MPI counts", (long long)o.n);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    if (me == 0)
        for (size_t i = 0; i < n; i++)
            x[i] = (int64_t)mk_rng_below((uint64_t)o.seed, i, (uint64_t)o.max_value);

    for (int64_t r = 0; r < o.repeat; r++) {
        /* serial: rank 0 alone, the others asleep in a polite barrier */
        polite_barrier(job.comm);
        if (me == 0) {
            double a = mk_now();
            square_block(x, y_serial, (int)n, o.cost);
            samples[5 * r] = mk_now() - a;
        }
        polite_barrier(job.comm);

        /* parallel: scatter, compute, gather */
        MPI_Barrier(job.comm);
        double t0 = mk_now();
        MPI_Scatterv(x, counts, displs, MPI_INT64_T, xs, (int)mine.count, MPI_INT64_T, 0, job.comm);
        double t1 = mk_now();
        square_block(xs, ys, (int)mine.count, o.cost);
        double t2 = mk_now();
        MPI_Gatherv(ys, (int)mine.count, MPI_INT64_T, y, counts, displs, MPI_INT64_T, 0, job.comm);
        double t3 = mk_now();
        /* Rank 0's view: scatter until it is done sending, then the gather waits for the slowest. */
        double compute_local = t2 - t1, compute_max = 0;
        MPI_Reduce(&compute_local, &compute_max, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
        if (me == 0) {
            samples[5 * r + 1] = t3 - t0;
            samples[5 * r + 2] = t1 - t0;
            samples[5 * r + 3] = compute_max;
            /* The gather phase minus the wait for the slowest rank's compute. */
            double g = (t3 - t2) - (compute_max - compute_local);
            samples[5 * r + 4] = g > 0 ? g : 0;
        }
    }

    /* report: check every square, then the medians */
    uint64_t checksum = 0;
    if (me == 0) {
        for (size_t i = 0; i < n && err.code == 0; i++) {
            /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): filled by every --repeat (>= 1) */
            if (y[i] != y_serial[i] || y[i] != x[i] * x[i])
                mk_err_set(&err, MK_EXIT_FAILURE, "item %zu: parallel %lld, serial %lld, x %lld", i,
                           (long long)y[i], (long long)y_serial[i], (long long)x[i]);
            checksum += (uint64_t)y[i];
        }
    }
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    if (out != NULL) {
        double col[1000];
        double med[5];
        for (int k = 0; k < 5; k++) {
            for (int64_t r = 0; r < o.repeat; r++)
                col[r] = samples[5 * r + k];
            med[k] = median(col, o.repeat);
        }
        timings t = {med[0], med[1], med[2], med[3], med[4]};
        report(out, &o, P, &t, x, y, checksum);
    }
    free(x);
    free(y);
    free(y_serial);
    free(xs);
    free(ys);
    free(counts);
    free(displs);
    free(samples);
    mk_job_end(&job);
}
