/* overhead - "when would concurrency be useful?" measured: serial against the pool schedules for
 * task costs from 0 to 10 ms and several item counts, with the break-even task cost per schedule.
 *
 *   usage: mpirun -n P overhead [--costs 0,1us,10us,100us,1ms,10ms] [--items 50,500] [--plot FILE.png]
 *
 *   for each task cost c (busy work on the monotonic clock) and item count N:
 *       serial    rank 0 alone: mk_pool_map on MPI_COMM_SELF (the plain loop); others sleep
 *       static    mk_pool_map, contiguous blocks            one gather at the end
 *       cyclic    mk_pool_map, round robin                  one gather at the end
 *       dynamic   mk_pool_map, chunks on request            rank 0 computes between requests
 *       dyn-serve mk_pool_map, chunks on request            rank 0 only serves
 *   each --repeat times, medians -> speedup = serial / schedule
 *
 *   speedup ^            ____________ static
 *         P |          _/  __________ dynamic (rank 0 also computes)
 *           |        _/ _/
 *         1 |- - - -/-/- - - - - - - -   break-even: the first cost from which it stays above 1
 *           |______/_/______________>  task cost (log)
 *           0    1us  10us 100us 1ms 10ms
 *
 * Per-task dispatch cost per schedule = the slope of time against N at cost 0 (the fixed cost of
 * a map call is the intercept), so start-up and per-task costs are told apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/pool.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define OVERHEAD_TABLES "runs|breakeven|dispatch"

enum { MAX_LIST = 32, NSCHED = 5 };

static const char *const sched_names[NSCHED] = {"serial", "static", "cyclic", "dynamic", "dyn-serve"};

typedef struct {
    const char *costs_text, *items_text, *plot;
    double costs[MAX_LIST];
    int64_t items[MAX_LIST];
    int ncosts, nitems;
    int64_t repeat, chunksize;
    double max_serial;
    int format, table;
} options;

/* One (cost, items) cell: median seconds per schedule; skipped when over the time budget. */
typedef struct {
    double cost;
    int64_t items;
    int skipped;
    double seconds[NSCHED];
} cell;

static int parse_list(const char *name, const char *text, int durations, double *dv, int64_t *iv, int *count,
                      mk_err *err)
{
    char buf[1024];
    if (strlen(text) >= sizeof buf)
        return mk_err_set(err, MK_EXIT_USAGE, "--%s: list too long", name);
    strcpy(buf, text);
    /* strtok_r would skip an empty item silently: "1us,,2us" is a typo, not two costs */
    size_t len = strlen(text);
    if (len > 0 && (text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,") != NULL))
        return mk_err_set(err, MK_EXIT_USAGE, "--%s: '%s' has an empty item", name, text);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_LIST)
            return mk_err_set(err, MK_EXIT_USAGE, "--%s: at most %d values", name, MAX_LIST);
        if (durations) {
            if (mk_parse_duration(tok, &dv[n]) != 0 || dv[n] > 1.0)
                return mk_err_set(err, MK_EXIT_USAGE, "--%s: '%s' is not a duration from 0 to 1s", name, tok);
        } else if (mk_parse_int(tok, &iv[n]) != 0 || iv[n] < 1 || iv[n] > 10000000) {
            return mk_err_set(err, MK_EXIT_USAGE, "--%s: '%s' is not an item count from 1 to 10000000", name, tok);
        }
        n++;
    }
    if (n == 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--%s: empty list", name);
    *count = n;
    return 0;
}

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    memset(o, 0, sizeof *o);
    o->table = MK_TABLE_MAIN;
    o->costs_text = "0,1us,10us,100us,1ms,10ms";
    o->items_text = "50,500";
    o->repeat = 3;
    o->chunksize = 1;
    o->max_serial = 0.5;
    const mk_option opts[] = {
        {"costs", 'c', MK_OPT_STRING, &o->costs_text, "LIST",
         "task costs, comma-separated (default 0,1us,10us,100us,1ms,10ms)", 0, 0, 0, 0, NULL},
        {"items", 'n', MK_OPT_STRING, &o->items_text, "LIST", "item counts, comma-separated (default 50,500)", 0,
         0, 0, 0, NULL},
        {"repeat", 'r', MK_OPT_INT, &o->repeat, "R", "runs per measurement; medians are reported (default 3)", 1,
         100, 0, 0, NULL},
        {"chunksize", 0, MK_OPT_INT, &o->chunksize, "C",
         "dynamic: items per request (default 1: the cost of handing out one task)", 1, 1000000, 0, 0, NULL},
        {"max-serial", 0, MK_OPT_DURATION, &o->max_serial, "DURATION",
         "skip cells whose serial run would take longer (default 0.5s)", 0, 3600, 0, 0, NULL},
        {"plot", 'p', MK_OPT_STRING, &o->plot, "FILE.png", "plot the speedup curves with gnuplot, when installed",
         0, 0, 0, 0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, OVERHEAD_TABLES),
    };
    const mk_cli cli = {
        .prog = "overhead",
        .usage = "[options]",
        .summary = "Time a serial loop against the static, cyclic and dynamic pool schedules for task costs\n"
                   "from 0 to 10 ms, and report the speedup curve, the per-task dispatch cost and the task\n"
                   "cost from which each schedule pays. Run it as: mpirun -n 2 overhead --plot speedup.png",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc != MK_CLI_OK)
        return rc;
    if (mk_table_check_format(o->format, o->table, err) != 0)
        return MK_CLI_ERROR;
    if (o->plot != NULL && (o->plot[0] == '\0' || strpbrk(o->plot, "'\"\\$`\n") != NULL)) {
        mk_err_set(err, MK_EXIT_USAGE, "--plot: '%s' is empty or holds quotes, '$' or '`'", o->plot);
        return MK_CLI_ERROR;
    }
    if (parse_list("costs", o->costs_text, 1, o->costs, NULL, &o->ncosts, err) != 0 ||
        parse_list("items", o->items_text, 0, NULL, o->items, &o->nitems, err) != 0)
        return MK_CLI_ERROR;
    return MK_CLI_OK;
}

static void busy_work(double seconds)
{
    if (seconds <= 0)
        return;
    double until = mk_now() + seconds;
    while (mk_now() < until)
        ;
}

static int cost_task(uint64_t item, void *result, void *ctx)
{
    busy_work(*(const double *)ctx);
    memcpy(result, &item, sizeof item);
    return 0;
}

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

/* Time one schedule once; rank 0's wall clock around the whole call. */
static double time_one(const mk_job *job, int sched, double cost, uint64_t n, int64_t chunksize, uint64_t *out,
                       mk_err *err)
{
    mk_pool_options opt;
    mk_pool_options_init(&opt);
    opt.chunksize = (uint64_t)chunksize;
    double t = 0;
    if (sched == 0) {
        polite_barrier(job->comm);
        if (job->world_rank == 0) {
            double a = mk_now();
            mk_pool_map(MPI_COMM_SELF, n, sizeof *out, cost_task, &cost, &opt, out, NULL, err);
            t = mk_now() - a;
        }
        polite_barrier(job->comm);
    } else {
        opt.schedule = sched == 1 ? MK_SCHED_STATIC : sched == 2 ? MK_SCHED_CYCLIC : MK_SCHED_DYNAMIC;
        opt.manager_computes = sched != 4;
        MPI_Barrier(job->comm);
        double a = mk_now();
        mk_pool_map(job->comm, n, sizeof *out, cost_task, &cost, &opt, out, NULL, err);
        t = mk_now() - a;
    }
    if (job->world_rank == 0 && err->code == 0)
        for (uint64_t i = 0; i < n; i++)
            if (out[i] != i) {
                mk_err_set(err, MK_EXIT_FAILURE, "%s: result %llu is %llu", sched_names[sched],
                           (unsigned long long)i, (unsigned long long)out[i]);
                break;
            }
    return t;
}

static double speedup_of(const cell *c, int s)
{
    return c->seconds[s] > 0 ? c->seconds[0] / c->seconds[s] : 0;
}

/* The first tested cost from which the schedule stays at speedup > 1, for one item count. */
static int breakeven_index(const cell *cells, const options *o, int item_index, int s)
{
    int found = -1;
    for (int k = o->ncosts - 1; k >= 0; k--) {
        const cell *c = &cells[k * o->nitems + item_index];
        if (c->skipped)
            continue;
        if (speedup_of(c, s) > 1.0)
            found = k;
        else
            break;
    }
    return found;
}

/* Slope and intercept of time against items at the smallest cost (per-task dispatch, fixed cost). */
static void dispatch_fit(const cell *cells, const options *o, int s, double *per_task, double *fixed)
{
    int a = -1, b = -1;
    for (int j = 0; j < o->nitems; j++) {
        if (cells[j].skipped)
            continue;
        if (a < 0 || cells[j].items < cells[a].items)
            a = j;
        if (b < 0 || cells[j].items > cells[b].items)
            b = j;
    }
    *per_task = *fixed = -1;
    if (a < 0 || b < 0 || a == b || cells[a].items == cells[b].items)
        return;
    *per_task = (cells[b].seconds[s] - cells[a].seconds[s]) / (double)(cells[b].items - cells[a].items);
    *fixed = cells[a].seconds[s] - *per_task * (double)cells[a].items;
}

static void format_cost(char *buf, size_t len, double c)
{
    if (c == 0)
        snprintf(buf, len, "0");
    else if (c < 1e-3)
        snprintf(buf, len, "%gus", c * 1e6);
    else if (c < 1)
        snprintf(buf, len, "%gms", c * 1e3);
    else
        snprintf(buf, len, "%gs", c);
}

/* --plot: gnuplot draws the speedup curves of the largest item count (cost 0 has no place on a
 * log axis). Written to a temporary name and renamed; returns 0, 1 when gnuplot is missing, -1. */
static int plot(const options *o, const cell *cells, int nranks, mk_err *err)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) /* NOLINT(cert-env33-c): fixed text */
        return 1;
    if (strlen(o->plot) > 1000)
        return mk_err_set(err, MK_EXIT_FAILURE, "--plot: path too long");
    char dat[1100], tmp[1100], script[3000];
    snprintf(dat, sizeof dat, "%s.dat-XXXXXX", o->plot);
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", o->plot);
    int fd = mkstemp(dat), fd2 = fd >= 0 ? mkstemp(tmp) : -1;
    if (fd < 0 || fd2 < 0) {
        if (fd >= 0) {
            close(fd);
            unlink(dat);
        }
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write --plot '%s': %s", o->plot, strerror(errno));
    }
    /* mkstemp makes 0600; the plot gets the usual 0666 & ~umask, as every other output does */
    mode_t mask = umask(0);
    umask(mask);
    int chmod_rc = fchmod(fd2, 0666 & ~mask);
    close(fd2);
    FILE *fp = chmod_rc == 0 ? fdopen(fd, "w") : NULL;
    if (fp == NULL) {
        close(fd);
        unlink(dat);
        unlink(tmp);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write --plot '%s': %s", o->plot, strerror(errno));
    }
    int big = 0;
    for (int j = 1; j < o->nitems; j++)
        if (o->items[j] > o->items[big])
            big = j;
    for (int k = 0; k < o->ncosts; k++) {
        const cell *c = &cells[k * o->nitems + big];
        if (c->skipped || c->cost <= 0)
            continue;
        fprintf(fp, "%g", c->cost * 1e6);
        for (int s = 1; s < NSCHED; s++)
            fprintf(fp, " %g", speedup_of(c, s));
        fputc('\n', fp);
    }
    fclose(fp);
    snprintf(script, sizeof script,
             "gnuplot -e \"set terminal png size 900,560; set output '%s'; set logscale x; "
             "set xlabel 'task cost (us)'; set ylabel 'speedup over serial'; set key left top; "
             "set title '%lld items, %d ranks'; plot 1 title 'break-even' dashtype 2, "
             "'%s' using 1:2 with linespoints title 'static', '' using 1:3 with linespoints title 'cyclic', "
             "'' using 1:4 with linespoints title 'dynamic', '' using 1:5 with linespoints title 'dyn-serve'\" "
             "2>/dev/null",
             tmp, (long long)o->items[big], nranks, dat);
    /* NOLINTNEXTLINE(cert-env33-c): parse_options rejects quotes, '\\', '$', '`' and newlines in --plot */
    int rc = system(script);
    unlink(dat);
    if (rc != 0 || rename(tmp, o->plot) != 0) {
        unlink(tmp);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write --plot '%s': gnuplot failed", o->plot);
    }
    return 0;
}

static void report(FILE *out, const options *o, const cell *cells, int nranks)
{
    mk_table *tables[3];
    char cost[32];
    const char *cols[] = {"cost", "cost_us", "items", "schedule", "seconds", "speedup"};
    char title[160];
    snprintf(title, sizeof title, "speedup curve: %d ranks, median of %lld runs, dynamic chunksize %lld",
             nranks, (long long)o->repeat, (long long)o->chunksize);
    mk_table *runs = mk_table_new("runs", title, 6, cols);
    for (int i = 0; i < o->ncosts * o->nitems; i++) {
        const cell *c = &cells[i];
        format_cost(cost, sizeof cost, c->cost);
        for (int s = 0; s < NSCHED; s++) {
            mk_table_str(runs, cost);
            mk_table_f64(runs, "%g", c->cost * 1e6);
            mk_table_i64(runs, c->items);
            mk_table_str(runs, sched_names[s]);
            if (c->skipped) {
                mk_table_str(runs, "skipped");
                mk_table_str(runs, "");
            } else {
                mk_table_f64(runs, "%.6f", c->seconds[s]);
                mk_table_f64(runs, "%.3f", speedup_of(c, s));
            }
        }
    }
    tables[0] = runs;

    const char *bcols[] = {"schedule", "items", "breakeven_cost", "speedup_there", "best_speedup"};
    mk_table *be = mk_table_new("breakeven", "break-even: the smallest tested task cost from which speedup > 1",
                                5, bcols);
    for (int s = 1; s < NSCHED; s++) {
        for (int j = 0; j < o->nitems; j++) {
            int k = breakeven_index(cells, o, j, s);
            double best = 0;
            for (int kk = 0; kk < o->ncosts; kk++) {
                const cell *c = &cells[kk * o->nitems + j];
                if (!c->skipped && speedup_of(c, s) > best)
                    best = speedup_of(c, s);
            }
            mk_table_str(be, sched_names[s]);
            mk_table_i64(be, o->items[j]);
            if (k < 0) {
                mk_table_str(be, "never (in this range)");
                mk_table_str(be, "");
            } else {
                format_cost(cost, sizeof cost, o->costs[k]);
                mk_table_str(be, cost);
                mk_table_f64(be, "%.3f", speedup_of(&cells[k * o->nitems + j], s));
            }
            mk_table_f64(be, "%.3f", best);
        }
    }
    tables[1] = be;

    const char *dcols[] = {"schedule", "per_task_us", "fixed_us"};
    format_cost(cost, sizeof cost, o->costs[0]);
    snprintf(title, sizeof title, "dispatch cost: slope and intercept of time against items at cost %s", cost);
    mk_table *dt = mk_table_new("dispatch", title, 3, dcols);
    for (int s = 0; s < NSCHED; s++) {
        double per, fixed;
        dispatch_fit(cells, o, s, &per, &fixed);
        mk_table_str(dt, sched_names[s]);
        if (per < 0 && fixed < 0) {
            mk_table_str(dt, "n/a");
            mk_table_str(dt, "n/a");
        } else {
            mk_table_f64(dt, "%.3f", per * 1e6);
            mk_table_f64(dt, "%.1f", fixed * 1e6);
        }
    }
    tables[2] = dt;
    (void)mk_report_print(out, tables, 3, (mk_format)o->format, OVERHEAD_TABLES, o->table);
    for (int i = 0; i < 3; i++)
        mk_table_free(tables[i]);
}

/* The median of --repeat timings of one schedule on one cell (samples: --repeat slots). */
static double median_time(const mk_job *job, const options *o, int s, const cell *c, uint64_t *results,
                          double *samples, mk_err *err)
{
    for (int64_t r = 0; r < o->repeat && err->code == 0; r++)
        samples[r] = time_one(job, s, c->cost, (uint64_t)c->items, o->chunksize, results, err);
    qsort(samples, (size_t)o->repeat, sizeof *samples, cmp_double);
    return o->repeat % 2 ? samples[o->repeat / 2] : 0.5 * (samples[o->repeat / 2 - 1] + samples[o->repeat / 2]);
}

/* compute: every (cost, items) cell, every schedule, --repeat times; cells over --max-serial
 * are skipped. Every rank leaves at the same point: the verdict is agreed after each schedule. */
static void measure(const mk_job *job, const options *o, cell *cells, uint64_t *results, double *samples,
                    mk_err *err)
{
    for (int k = 0; k < o->ncosts && err->code == 0; k++) {
        for (int j = 0; j < o->nitems && err->code == 0; j++) {
            cell *c = &cells[k * o->nitems + j];
            c->cost = o->costs[k];
            c->items = o->items[j];
            c->skipped = c->cost * (double)c->items > o->max_serial;
            if (c->skipped)
                continue;
            for (int s = 0; s < NSCHED && err->code == 0; s++) {
                c->seconds[s] = median_time(job, o, s, c, results, samples, err);
                /* The result check runs on rank 0 only: share its verdict. */
                mk_err_agree(job->comm, err);
            }
        }
    }
}

/* Rank 0: the tables, then --plot (a missing gnuplot is a note, not an error). */
static void report_and_plot(FILE *out, const options *o, const cell *cells, int nranks, mk_err *err)
{
    report(out, o, cells, nranks);
    if (o->plot != NULL) {
        fflush(out);
        int p = plot(o, cells, nranks, err);
        if (p == 1)
            fprintf(stderr, "overhead: --plot skipped: gnuplot is not installed (apt-get install gnuplot-nox); "
                            "the CSV output (--format csv) holds the same curves\n");
        else if (p == 0 && o->format == MK_FMT_TEXT)
            fprintf(out, "\nplot: %s\n", o->plot);
    }
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "overhead", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    /* parse */
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);
    /* Sorted costs make the break-even scan meaningful. */
    qsort(o.costs, (size_t)o.ncosts, sizeof o.costs[0], cmp_double);

    int64_t max_items = 0;
    for (int j = 0; j < o.nitems; j++)
        max_items = o.items[j] > max_items ? o.items[j] : max_items;
    cell *cells = calloc((size_t)o.ncosts * (size_t)o.nitems, sizeof *cells);
    uint64_t *results = calloc(max_items > 0 ? (size_t)max_items : 1, sizeof *results);
    double *samples = calloc((size_t)o.repeat, sizeof *samples);
    if (cells == NULL || results == NULL || samples == NULL)
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);

    measure(&job, &o, cells, results, samples, &err);
    if (err.code != 0) {
        free(cells);
        free(results);
        free(samples);
        mk_job_exit_error(&job, &err);
    }

    /* report */
    if (out != NULL)
        report_and_plot(out, &o, cells, job.world_size, &err);
    free(cells);
    free(results);
    free(samples);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    mk_job_end(&job);
}
