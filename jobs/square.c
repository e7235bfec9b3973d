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
/* The ints (rank 0: all of them, the serial and the gathered squares), this rank's block, and
 * the five timings of every --repeat (serial, parallel, scatter, compute, gather). */
typedef struct {
    size_t n;
    mk_range mine;
    int64_t *x, *y_serial, *y, *xs, *ys;
    int *counts, *displs;
    double *samples;
} buffers;

static void alloc_buffers(const options *o, int P, int me, buffers *b, mk_err *err)
{
    b->n = (size_t)o->n;
    b->mine = mk_block_range(b->n, P, me);
    b->x = b->y_serial = b->y = NULL;
    b->counts = malloc((size_t)P * sizeof *b->counts);
    b->displs = malloc((size_t)P * sizeof *b->displs);
    b->xs = malloc((b->mine.count + 1) * sizeof *b->xs);
    b->ys = malloc((b->mine.count + 1) * sizeof *b->ys);
    b->samples = malloc(5 * (size_t)o->repeat * sizeof *b->samples);
    if (me == 0) {
        b->x = malloc(b->n * sizeof *b->x);
        b->y_serial = malloc(b->n * sizeof *b->y_serial);
        b->y = malloc(b->n * sizeof *b->y);
    }
    if (!b->counts || !b->displs || !b->xs || !b->ys || !b->samples || (me == 0 && (!b->x || !b->y_serial || !b->y)))
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for %lld ints", (long long)o->n);
    else if (mk_block_counts(b->n, P, 1, b->counts, b->displs) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "--n %lld does not fit MPI counts", (long long)o->n);
}

static void buffers_free(buffers *b)
{
    free(b->x);
    free(b->y);
    free(b->y_serial);
    free(b->xs);
    free(b->ys);
    free(b->counts);
    free(b->displs);
    free(b->samples);
}

/* One run of both versions: r-th row of samples (on rank 0). */
static void time_both(MPI_Comm comm, int me, const options *o, buffers *b, int64_t r)
{
    double *s = b->samples + 5 * r;
    int count = (int)b->mine.count;
    /* serial: rank 0 alone, the others asleep in a polite barrier */
    polite_barrier(comm);
    if (me == 0) {
        double a = mk_now();
        square_block(b->x, b->y_serial, (int)b->n, o->cost);
        s[0] = mk_now() - a;
    }
    polite_barrier(comm);

    /* parallel: scatter, compute, gather */
    MPI_Barrier(comm);
    double t0 = mk_now();
    MPI_Scatterv(b->x, b->counts, b->displs, MPI_INT64_T, b->xs, count, MPI_INT64_T, 0, comm);
    double t1 = mk_now();
    square_block(b->xs, b->ys, count, o->cost);
    double t2 = mk_now();
    MPI_Gatherv(b->ys, count, MPI_INT64_T, b->y, b->counts, b->displs, MPI_INT64_T, 0, comm);
    double t3 = mk_now();
    /* Rank 0's view: scatter until it is done sending, then the gather waits for the slowest. */
    double compute_local = t2 - t1, compute_max = 0;
    MPI_Reduce(&compute_local, &compute_max, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    if (me == 0) {
        s[1] = t3 - t0;
        s[2] = t1 - t0;
        s[3] = compute_max;
        /* The gather phase minus the wait for the slowest rank's compute. */
        double g = (t3 - t2) - (compute_max - compute_local);
        s[4] = g > 0 ? g : 0;
    }
}

/* Rank 0: every parallel square equals the serial one and x * x; their sum is the checksum. */
static uint64_t check_squares(const buffers *b, mk_err *err)
{
    uint64_t checksum = 0;
    for (size_t i = 0; i < b->n && err->code == 0; i++) {
        /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): filled by every --repeat (>= 1) */
        if (b->y[i] != b->y_serial[i] || b->y[i] != b->x[i] * b->x[i])
            mk_err_set(err, MK_EXIT_FAILURE, "item %zu: parallel %lld, serial %lld, x %lld", i, (long long)b->y[i],
                       (long long)b->y_serial[i], (long long)b->x[i]);
        checksum += (uint64_t)b->y[i];
    }
    return checksum;
}

/* The median over the runs of each of the five timings. */
static timings median_timings(const double *samples, int64_t repeat)
{
    double col[1000];
    double med[5];
    for (int k = 0; k < 5; k++) {
        for (int64_t r = 0; r < repeat; r++)
            col[r] = samples[5 * r + k];
        med[k] = median(col, repeat);
    }
    return (timings){med[0], med[1], med[2], med[3], med[4]};
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
    buffers b;
    alloc_buffers(&o, P, me, &b, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    if (me == 0)
        for (size_t i = 0; i < b.n; i++)
            b.x[i] = (int64_t)mk_rng_below((uint64_t)o.seed, i, (uint64_t)o.max_value);

    /* compute: serial and parallel, --repeat times */
    for (int64_t r = 0; r < o.repeat; r++)
        time_both(job.comm, me, &o, &b, r);

    /* report: check every square, then the medians */
    uint64_t checksum = me == 0 ? check_squares(&b, &err) : 0;
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    if (out != NULL) {
        timings t = median_timings(b.samples, o.repeat);
        report(out, &o, P, &t, b.x, b.y, checksum);
    }
    buffers_free(&b);
    mk_job_end(&job);
}
