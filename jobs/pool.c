/* pool - the tutorials' sleep tasks as a parallel map: Pool(P).map(mp_worker, data) over MPI ranks.
 *
 *   usage: mpirun -n P pool [--tasks N] [--sleep const:1|uniform:0:1|file:PATH]
 *                           [--schedule static|cyclic|dynamic] [--chunksize C] [--gantt FILE.svg]
 *                           [--checkpoint FILE [--checkpoint-every K]]
 *          mpirun -n P pool --exec 'CMD {}' --tasks-file FILE [--timeout S] [--retries N]
 *                           [--joblog FILE] [--dry-run] [--checkpoint FILE]
 *
 * --exec makes it a task farm (run_farm): task i runs CMD through /bin/sh -c with {} the i-th
 * line of FILE (shell-quoted as GNU parallel quotes it) and {#} = i, in its own process group
 * (src/runner.c); the map and the resume are the same as the sleep tasks'.
 *
 * Task i is named 'a'+i, sleeps its duration and returns its name in upper case. By default
 * 16 tasks 'a'..'p' sleep uniform(0,1) seconds (seeded, the same for any rank count):
 *
 *   static    rank 0 |a b c d|          cyclic   rank 0 |a e i m|     dynamic  rank 0  serves (and
 *             rank 1 |e f g h|                   rank 1 |b f j n|              computes) on request
 *             rank 2 |i j k l|                   rank 2 |c g k o|     rank 1 |a|  d |  f  |...
 *             rank 3 |m n o p|                   rank 3 |d h l p|     rank 2 | b  |e|  g |...
 *             fixed before the start: a rank with long tasks makes everyone wait; dynamic
 *             hands the next chunk to whoever finishes first (mk_pool_map, src/pool.c).
 *
 *   parse -> durations (rank 0 reads --sleep file:PATH, MPI_Bcast) -> mk_pool_map (sleep tasks)
 *         -> report on rank 0: results in order, makespan vs ideal max(total/P, longest),
 *            per-rank busy/idle, optional per-task log and an SVG Gantt chart.
 *
 * --checkpoint FILE: every rank journals the tasks it finishes (mk_journal, src/checkpoint.c);
 * a rerun maps only the tasks the checkpoint lacks (item j of the map is task todo[j]), at any
 * rank count and schedule. SIGTERM/SIGINT/SIGUSR1 stop the map before the next task: the
 * journals are synced and the job exits 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpikit/checkpoint.h"
#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/farm.h"
#include "mpikit/job.h"
#include "mpikit/outfile.h"
#include "mpikit/pool.h"
#include "mpikit/progress.h"
#include "mpikit/report.h"
#include "mpikit/rng.h"
#include "mpikit/stop.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define POOL_TABLES "results|summary|ranks|log"

enum { NAME_MAX_LEN = 24, MAX_TASKS = 1000000 };

typedef struct {
    int64_t tasks;        /* -1: default (16, or the lines of --sleep file:) */
    const char *sleep;
    int64_t seed;
    int schedule;
    int64_t chunksize;
    int manager;          /* MANAGER_COMPUTES, MANAGER_SERVES or MANAGER_AUTO (until the rank count is known) */
    int64_t fail_at;      /* -1: no task fails */
    const char *gantt;
    int format, table;
    int verbose, progress, no_progress;
    const char *checkpoint;
    int64_t checkpoint_every;
    const char *exec;         /* --exec: the task farm (run_farm) instead of the sleep tasks */
    const char *tasks_file;
    double timeout;
    int64_t retries;
    const char *joblog;
    int dry_run;
    volatile sig_atomic_t *stop;   /* the stop notice's flag once its handlers are installed, else NULL */
} options;

typedef struct {
    const double *seconds;   /* per task */
    int64_t fail_at;
    const uint64_t *todo;    /* the map's item j is task todo[j]: every task, or those a checkpoint lacks */
    mk_journal *journal;     /* --checkpoint: every finished task is recorded here */
    mk_err journal_err;      /* its first write error (the task then fails with TASK_UNRECORDED) */
    int trace_fd;            /* test hook MPIKIT_TRACE_TASKS=FILE: one line per task run, or -1 */
} task_ctx;

enum { TASK_FAILED = 3, TASK_UNRECORDED = 4 };
/* --manager's choices, in the order of its choice string */
enum { MANAGER_COMPUTES = 0, MANAGER_SERVES = 1, MANAGER_AUTO = 2 };

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .tasks = -1, .sleep = "uniform:0:1", .seed = 1, .schedule = MK_SCHED_DYNAMIC,
                   .chunksize = 1, .manager = MANAGER_AUTO, .fail_at = -1, .checkpoint_every = 1};
    const mk_option opts[] = {
        {"tasks", 'n', MK_OPT_INT, &o->tasks, "N", "number of tasks (default 16 'a'..'p')", 0, MAX_TASKS, 0, 0,
         NULL},
        {"sleep", 's', MK_OPT_STRING, &o->sleep, "SPEC",
         "task durations: const:SECONDS, uniform:LO:HI (default uniform:0:1) or file:PATH (one per line)", 0, 0,
         0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "seed of the uniform durations (default 1)", 0, INT64_MAX, 0, 0,
         NULL},
        {"schedule", 0, MK_OPT_CHOICE, &o->schedule, "SCHED",
         "static (blocks), cyclic (round robin) or dynamic (on request; default)", 0, 0, 0, 0,
         MK_SCHEDULE_CHOICES},
        {"chunksize", 'c', MK_OPT_INT, &o->chunksize, "C",
         "dynamic: tasks per request (default 1, right for long tasks; 0: Pool.map's ceil(N / (4 workers)))", 0,
         MAX_TASKS, 0, 0,
         NULL},
        {"manager", 0, MK_OPT_CHOICE, &o->manager, "ROLE",
         "dynamic: rank 0 also computes, or serves requests only (best for long tasks when workers are many); "
         "default auto: computes below 4 ranks, serves from 4",
         0, 0, 0, 0, "computes|serves|auto"},
        {"fail-at", 0, MK_OPT_INT, &o->fail_at, "I", "make task I fail (to see how a failure is reported)", 0,
         MAX_TASKS, 0, 0, NULL},
        {"gantt", 'g', MK_OPT_STRING, &o->gantt, "FILE.svg", "write a Gantt chart: one row per rank", 0, 0, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, POOL_TABLES),
        {"verbose", 'v', MK_OPT_FLAG, &o->verbose, NULL, "print every task: rank, start, end", 0, 0, 0, 0, NULL},
        {"progress", 0, MK_OPT_FLAG, &o->progress, NULL, "show a progress bar on stderr even when not a terminal",
         0, 0, 0, 0, NULL},
        {"no-progress", 0, MK_OPT_FLAG, &o->no_progress, NULL, "never show the progress bar", 0, 0, 0, 0, NULL},
        {"checkpoint", 0, MK_OPT_STRING, &o->checkpoint, "FILE",
         "record finished tasks in FILE and FILE.rankN; SIGTERM/SIGINT save and exit 3; rerun to resume", 0, 0,
         0, 0, NULL},
        {"checkpoint-every", 0, MK_OPT_INT, &o->checkpoint_every, "K",
         "--checkpoint: each rank writes its journal every K tasks or 1 s (default 1: every task)", 1, MAX_TASKS,
         0, 0, NULL},
        {"exec", 'e', MK_OPT_STRING, &o->exec, "CMD",
         "run the shell command CMD per task instead of sleeping: {} is the task's line (shell-quoted), {#} its "
         "number", 0, 0, 0, 0, NULL},
        {"tasks-file", 0, MK_OPT_STRING, &o->tasks_file, "FILE",
         "--exec: one task argument per line of FILE (- for stdin); without {} in CMD the argument is appended",
         0, 0, 0, 0, NULL},
        {"timeout", 0, MK_OPT_DURATION, &o->timeout, "SECONDS",
         "--exec: end a task's process group after this long (SIGTERM, then SIGKILL after 1 s)", 0, 0, 0, 1e7,
         NULL},
        {"retries", 0, MK_OPT_INT, &o->retries, "N", "--exec: run a failing task again up to N more times", 0,
         1000, 0, 0, NULL},
        {"joblog", 0, MK_OPT_STRING, &o->joblog, "FILE",
         "--exec: write GNU parallel's joblog (one row per task, in completion order)", 0, 0, 0, 0, NULL},
        {"dry-run", 0, MK_OPT_FLAG, &o->dry_run, NULL, "--exec: print the commands, run nothing", 0, 0, 0, 0,
         NULL},
    };
    const mk_cli cli = {
        .prog = "pool",
        .usage = "[options]",
        .summary = "Pool(P).map(f, tasks) over MPI ranks: each task sleeps and returns its name in upper case.\n"
                   "Shows the results in order, the makespan against the ideal max(total/P, longest task),\n"
                   "and how busy each rank was. Run it as: mpirun -n 4 pool --schedule static --gantt g.svg",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && o->exec == NULL && (o->tasks_file || o->timeout > 0 || o->retries || o->joblog || o->dry_run))
        return mk_err_set(err, MK_EXIT_USAGE, "--tasks-file, --timeout, --retries, --joblog and --dry-run need --exec");
    if (rc == MK_CLI_OK && o->tasks_file != NULL && o->tasks >= 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--tasks and --tasks-file exclude each other");
    if (rc == MK_CLI_OK && (mk_table_check_format(o->format, o->table, err) != 0 ||
                            mk_table_require(POOL_TABLES, o->table, "log", o->verbose, "needs --verbose", err)))
        return MK_CLI_ERROR;
    return rc;
}

/* ---- durations ---- */

static int read_duration_file(const char *path, double **out, int64_t *count, mk_err *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "--sleep: cannot open '%s': %s", path, strerror(errno));
    double *v = NULL;
    int64_t n = 0, cap = 0, lineno = 0;
    char line[256];
    int rc = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        lineno++;
        line[strcspn(line, " \t\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        double s;
        if (mk_parse_duration(line, &s) != 0 || s > 3600) {
            rc = mk_err_set(err, MK_EXIT_USAGE, "--sleep: %s:%lld: '%s' is not a duration up to 1h", path,
                            (long long)lineno, line);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            double *p = cap <= MAX_TASKS ? realloc(v, (size_t)cap * sizeof *v) : NULL;
            if (p == NULL) {
                rc = mk_err_set(err, MK_EXIT_USAGE, "--sleep: %s has more than %d durations", path, MAX_TASKS);
                break;
            }
            v = p;
        }
        v[n++] = s;
    }
    fclose(fp);
    if (rc != 0) {
        free(v);
        return -1;
    }
    *out = v;
    *count = n;
    return 0;
}

/* Parse --sleep and fill one duration per task. Rank 0 reads a file; every rank gets the values. */
static int make_durations(const mk_job *job, options *o, double **seconds, mk_err *err)
{
    const char *spec = o->sleep;
    double lo = 0, hi = 0;
    double *file_values = NULL;
    int64_t file_count = 0;
    *seconds = NULL;
    if (strncmp(spec, "const:", 6) == 0) {
        if (mk_parse_duration(spec + 6, &lo) != 0 || lo > 3600)
            return mk_err_set(err, MK_EXIT_USAGE, "--sleep: '%s' is not const:DURATION (up to 1h)", spec);
        hi = lo;
    } else if (strncmp(spec, "uniform:", 8) == 0) {
        char a[64], b[64];
        const char *colon = strchr(spec + 8, ':');
        size_t la = colon ? (size_t)(colon - (spec + 8)) : 0;
        if (colon == NULL || la >= sizeof a || strlen(colon + 1) >= sizeof b)
            return mk_err_set(err, MK_EXIT_USAGE, "--sleep: '%s' is not uniform:LO:HI", spec);
        memcpy(a, spec + 8, la);
        a[la] = '\0';
        strcpy(b, colon + 1);
        if (mk_parse_duration(a, &lo) != 0 || mk_parse_duration(b, &hi) != 0 || hi < lo || hi > 3600)
            return mk_err_set(err, MK_EXIT_USAGE, "--sleep: '%s' is not uniform:LO:HI with 0 <= LO <= HI <= 1h",
                              spec);
    } else if (strncmp(spec, "file:", 5) == 0) {
        /* Only rank 0 touches the file; the verdict and the values are shared. */
        if (job->world_rank == 0)
            read_duration_file(spec + 5, &file_values, &file_count, err);
        if (mk_err_agree(job->comm, err) != 0)
            return -1;
        MPI_Bcast(&file_count, 1, MPI_INT64_T, 0, job->comm);
        if (job->world_rank != 0 && file_count > 0 &&
            (file_values = malloc((size_t)file_count * sizeof *file_values)) == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        if (mk_err_agree(job->comm, err) != 0) {
            free(file_values);   /* rank 0's, when another rank ran out of memory */
            return -1;
        }
        MPI_Bcast(file_values, (int)file_count, MPI_DOUBLE, 0, job->comm);
        if (o->tasks < 0)
            o->tasks = file_count;
        if (o->tasks != file_count) {
            free(file_values);
            return mk_err_set(err, MK_EXIT_USAGE, "--sleep: %s has %lld durations but --tasks is %lld", spec + 5,
                              (long long)file_count, (long long)o->tasks);
        }
        *seconds = file_values;
        return 0;
    } else {
        return mk_err_set(err, MK_EXIT_USAGE,
                          "--sleep: '%s' is not const:SECONDS, uniform:LO:HI or file:PATH", spec);
    }
    if (o->tasks < 0)
        o->tasks = 16;
    double *v = malloc(((size_t)o->tasks + 1) * sizeof *v);
    if (v == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    for (int64_t i = 0; i < o->tasks; i++)
        v[i] = lo + (hi - lo) * mk_rng_uniform((uint64_t)o->seed, (uint64_t)i);
    *seconds = v;
    return 0;
}

/* ---- the task ---- */

static void task_name(uint64_t item, int upper, char *buf, size_t len)
{
    if (item < 26)
        snprintf(buf, len, "%c", (upper ? 'A' : 'a') + (int)item);
    else
        snprintf(buf, len, "%c%llu", upper ? 'T' : 't', (unsigned long long)item);
}

static void sleep_for(double seconds)
{
    if (seconds <= 0)
        return;   /* nanosleep(0) still costs a timer slack (~60 us): const:0 tasks are free */
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* mp_worker: "Process a Waiting b seconds", sleep, return the name in upper case. */
static int sleep_task(uint64_t j, void *result, void *ctx)
{
    task_ctx *c = ctx;
    uint64_t item = c->todo[j];
    sleep_for(c->seconds[item]);
    if ((int64_t)item == c->fail_at)
        return TASK_FAILED;
    memset(result, 0, NAME_MAX_LEN);   /* the whole slot is journalled: no stray bytes */
    task_name(item, 1, result, NAME_MAX_LEN);
    if (c->trace_fd >= 0) {
        char line[32];
        int len = snprintf(line, sizeof line, "%llu\n", (unsigned long long)item);
        if (write(c->trace_fd, line, (size_t)len) != len)
            return TASK_UNRECORDED;
    }
    if (c->journal != NULL && mk_journal_add(c->journal, item, result, &c->journal_err) != 0)
        return TASK_UNRECORDED;
    return 0;
}

/* ---- checkpoint ---- */

/* Set by a signal, read by the map before every task. Signals leave no other way to reach the
 * program, so this one flag is the job's only global. */
/* What task set a checkpoint belongs to: the tasks, their durations (--sleep, --seed) and
 * --fail-at. Not the rank count, schedule or chunk size: they change who runs a task, never
 * its result, so a resume may use others. */
static void build_identity(const options *o, const double *seconds, uint64_t n, mk_blob *id)
{
    mk_blob_put(id, "pool 1", 6);
    mk_blob_put_u64(id, n);
    mk_blob_put_u64(id, (uint64_t)o->fail_at);
    mk_blob_put(id, seconds, n * sizeof *seconds);
}

static void on_progress(uint64_t done, uint64_t total, void *ctx)
{
    (void)total;
    mk_progress_set(ctx, done);
}

/* ---- the Gantt chart: one row per rank, one labelled rect per task ---- */

/* A pastel colour per task, as #rrggbb (hsl() is not in SVG 1.1): hue from the item, s 0.6, l 0.65. */
static void task_colour(uint64_t item, char *buf, size_t len)
{
    double h = (double)((item * 47) % 360) / 60.0, c = 0.7 * 0.6, l = 0.65;
    double x = c * (1 - fabs(fmod(h, 2.0) - 1)), m = l - c / 2, rgb[3] = {0, 0, 0};
    int k = (int)h;
    const int order[6][3] = {{0, 1, 2}, {1, 0, 2}, {2, 0, 1}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}};
    rgb[order[k][0]] = c; /* which channel gets c, x and 0 in each sixth of the hue circle */
    rgb[order[k][1]] = x;
    snprintf(buf, len, "#%02x%02x%02x", (int)((rgb[0] + m) * 255 + 0.5), (int)((rgb[1] + m) * 255 + 0.5),
             (int)((rgb[2] + m) * 255 + 0.5));
}

static void write_gantt(FILE *fp, const mk_pool_result *res, const options *o, const double *ideal)
{
    const double left = 70, top = 40, row = 28, width = 900;
    double span = res->seconds > 0 ? res->seconds : 1;
    double h = top + row * res->nranks + 40;
    const char *sched[] = {"static", "cyclic", "dynamic"};
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 20, h);
    fprintf(fp, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(fp, "<text x=\"%.0f\" y=\"20\" font-size=\"14\">pool: %llu tasks, %d ranks, schedule %s; "
                "makespan %.3f s, ideal %.3f s</text>\n", left, (unsigned long long)res->nlog, res->nranks,
            sched[o->schedule], res->seconds, *ideal);
    for (int r = 0; r < res->nranks; r++) {
        double y = top + r * row;
        fprintf(fp, "<text x=\"8\" y=\"%.1f\">rank %d</text>\n", y + row / 2 + 4, r);
        fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4f4f4\"/>\n", left, y + 2,
                width, row - 4);
    }
    for (uint64_t i = 0; i < res->nlog; i++) {
        const mk_task_record *t = &res->log[i];
        double x = left + width * t->start / span, w = width * (t->end - t->start) / span;
        double y = top + t->rank * row;
        char name[NAME_MAX_LEN];
        task_name(t->item, 0, name, sizeof name);
        fprintf(fp, "<g><title>task %s (item %llu): rank %d, %.4f-%.4f s</title>", name,
                (unsigned long long)t->item, t->rank, t->start, t->end);
        char colour[16];
        task_colour(t->item, colour, sizeof colour);
        fprintf(fp, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" "
                    "stroke=\"#333\" stroke-width=\"0.5\"/>", x, y + 3, w > 0.5 ? w : 0.5, row - 6, colour);
        if (w >= 8)
            fprintf(fp, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x + w / 2,
                    y + row / 2 + 4, name);
        fprintf(fp, "</g>\n");
    }
    double axis = top + row * res->nranks + 12;
    for (int k = 0; k <= 10; k++) {
        double x = left + width * k / 10.0;
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>", x, top, x, axis - 6);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2fs</text>\n", x, axis + 6,
                span * k / 10.0);
    }
    fprintf(fp, "</svg>\n");
}

/* ---- the report ---- */

static int by_duration_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* A makespan that is actually reachable: longest task first to the least loaded of P ranks
 * (LPT, within 4/3 of optimal). Needs the durations in advance, which no schedule here has. */
static double lpt_makespan(const double *seconds, uint64_t n, int nranks)
{
    double *d = malloc((n + 1) * sizeof *d), *load = calloc((size_t)nranks, sizeof *load);
    double span = -1;
    if (d != NULL && load != NULL && (double)n * nranks <= 2e8) {
        memcpy(d, seconds, n * sizeof *d);
        qsort(d, n, sizeof *d, by_duration_desc);
        for (uint64_t i = 0; i < n; i++) {
            int best = 0;
            for (int r = 1; r < nranks; r++)
                if (load[r] < load[best])
                    best = r;
            load[best] += d[i];
        }
        span = 0;
        for (int r = 0; r < nranks; r++)
            span = load[r] > span ? load[r] : span;
    }
    free(d);
    free(load);
    return span;
}

/* The lower bound max(total/P, longest) of the work of this run (`work`: its tasks' durations). */
static double ideal_makespan(const double *work, uint64_t m, int nranks, double *total, double *longest)
{
    *total = 0;
    *longest = 0;
    for (uint64_t i = 0; i < m; i++) {
        *total += work[i];
        if (work[i] > *longest)
            *longest = work[i];
    }
    return *total / nranks > *longest ? *total / nranks : *longest;
}

/* `seconds`: every task's duration; `work`: those of the m tasks this run executed (all n
 * unless it resumed from a checkpoint), which the time figures are about. */
static void report(FILE *out, const options *o, const mk_pool_result *res, const char *names,
                   const double *seconds, uint64_t n, const double *work, uint64_t m, uint64_t chunk)
{
    mk_table *tables[4];
    int nt = 0;
    double total, longest;
    double ideal = ideal_makespan(work, m, res->nranks, &total, &longest);
    if (o->verbose) {
        const char *cols[] = {"task", "item", "rank", "sleep_s", "start_s", "end_s"};
        mk_table *t = mk_table_new("log", "per-task log (seconds since the map started)", 6, cols);
        for (uint64_t i = 0; i < res->nlog; i++) {
            char name[NAME_MAX_LEN];
            uint64_t item = res->log[i].item;
            task_name(item, 0, name, sizeof name);
            mk_table_str(t, name);
            mk_table_u64(t, item);
            mk_table_i64(t, res->log[i].rank);
            mk_table_f64(t, "%.3f", seconds[item]);
            mk_table_f64(t, "%.4f", res->log[i].start);
            mk_table_f64(t, "%.4f", res->log[i].end);
        }
        tables[nt++] = t;
    }
    if (o->format == MK_FMT_TEXT) {
        fputs("results:", out);
        for (uint64_t i = 0; i < n; i++)
            fprintf(out, " %s", names + i * NAME_MAX_LEN);
        fputs("\n\n", out);
    } else {
        const char *cols[] = {"item", "task", "sleep_s", "result"};
        mk_table *t = mk_table_new("results", "results in task order", 4, cols);
        for (uint64_t i = 0; i < n; i++) {
            char name[NAME_MAX_LEN];
            task_name(i, 0, name, sizeof name);
            mk_table_u64(t, i);
            mk_table_str(t, name);
            mk_table_f64(t, "%.4f", seconds[i]);
            mk_table_str(t, names + i * NAME_MAX_LEN);
        }
        tables[nt++] = t;
    }
    const char *sched[] = {"static", "cyclic", "dynamic"};
    const char *scols[] = {"ranks", "schedule", "chunksize", "manager", "tasks", "total_work_s", "longest_s",
                           "ideal_s", "lpt_s", "makespan_s", "efficiency", "resumed", "executed"};
    /* With --checkpoint: how many results came from the checkpoint, how many tasks ran now
     * (the time figures are about those). */
    mk_table *s = mk_table_new("summary",
                               "summary (ideal = max(total/P, longest task); lpt = longest-first with known durations)",
                               o->checkpoint != NULL ? 13 : 11, scols);
    mk_table_i64(s, res->nranks);
    mk_table_str(s, sched[o->schedule]);
    mk_table_u64(s, o->schedule == MK_SCHED_DYNAMIC ? chunk : 0);
    mk_table_str(s, o->schedule != MK_SCHED_DYNAMIC || res->nranks == 1 ? "-"
                    : o->manager == MANAGER_SERVES                ? "serves"
                                                                       : "computes");
    mk_table_u64(s, n);
    mk_table_f64(s, "%.3f", total);
    mk_table_f64(s, "%.3f", longest);
    mk_table_f64(s, "%.3f", ideal);
    mk_table_f64(s, "%.3f", lpt_makespan(work, m, res->nranks));
    mk_table_f64(s, "%.3f", res->seconds);
    mk_table_f64(s, "%.3f", res->seconds > 0 && ideal > 0 ? ideal / res->seconds : 1.0);
    if (o->checkpoint != NULL) {
        mk_table_u64(s, n - m);
        mk_table_u64(s, m);
    }
    tables[nt++] = s;
    const char *rcols[] = {"rank", "tasks", "busy_s", "idle_s", "busy_pct"};
    mk_table *r = mk_table_new("ranks", "per rank", 5, rcols);
    for (int k = 0; k < res->nranks; k++) {
        const mk_pool_rank_stats *st = &res->ranks[k];
        mk_table_i64(r, k);
        mk_table_u64(r, st->tasks);
        mk_table_f64(r, "%.3f", st->busy_seconds);
        mk_table_f64(r, "%.3f", st->idle_seconds > 0 ? st->idle_seconds : 0.0);
        mk_table_f64(r, "%.1f", res->seconds > 0 ? 100.0 * st->busy_seconds / res->seconds : 100.0);
    }
    tables[nt++] = r;
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, POOL_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

static uint64_t chunk_used(const options *o, uint64_t n, int nranks)
{
    if (o->chunksize > 0)
        return (uint64_t)o->chunksize;
    uint64_t parts = 4 * (uint64_t)(o->manager == MANAGER_SERVES && nranks > 1 ? nranks - 1 : nranks);
    uint64_t c = n / parts + (n % parts != 0);
    return c > 0 ? c : 1;
}

/* Release what main holds (every rank; NULLs are fine). */
typedef struct {
    double *seconds;
    char *names;              /* rank 0: every result, in task order */
    char *fresh;              /* rank 0: this run's results, in todo order */
    double *work;             /* rank 0: this run's task durations, in todo order */
    uint64_t *todo;
    unsigned char *done;      /* --checkpoint: tasks the checkpoint held */
    mk_journal journal;
    int journal_open;
    mk_blob identity;
    int trace_fd;
    uint64_t n, m, resumed;   /* tasks in all, to run now (in todo), finished before (checkpoint) */
} held;

static void held_init(held *h)
{
    memset(h, 0, sizeof *h);
    h->trace_fd = -1;
    mk_blob_init(&h->identity);
}

static void release(held *h)
{
    if (h->journal_open)
        mk_journal_close(&h->journal);
    h->journal_open = 0;
    mk_blob_free(&h->identity);
    if (h->trace_fd >= 0)
        close(h->trace_fd);
    h->trace_fd = -1;
    free(h->seconds);
    free(h->names);
    free(h->fresh);
    free(h->work);
    free(h->todo);
    free(h->done);
    h->seconds = NULL;
    h->names = h->fresh = NULL;
    h->work = NULL;
    h->todo = NULL;
    h->done = NULL;
}

/* The map's options from the command line, with its progress bar begun (end it after the map)
 * and the stop flag (NULL unless the stop handlers were installed). */
static void map_options(const mk_job *job, const options *o, uint64_t m, mk_progress *bar, mk_pool_options *popt)
{
    mk_progress_begin(bar, mk_progress_wanted(o->progress, o->no_progress, job->world_rank) ? stderr : NULL, "pool",
                      "tasks", m);
    mk_pool_options_init(popt);
    popt->schedule = (mk_schedule)o->schedule;
    popt->chunksize = (uint64_t)o->chunksize;
    popt->manager_computes = o->manager == MANAGER_COMPUTES;
    popt->progress = on_progress;
    popt->progress_ctx = bar;
    popt->stop_flag = o->stop;
}

/* Every finished task on disk before anyone reports success or a save: the journal synced and
 * closed. A sync error becomes err unless err already holds the first failure. */
static void journal_finish(held *h, mk_err *err)
{
    if (!h->journal_open)
        return;
    mk_err sync_err;
    mk_err_clear(&sync_err);
    mk_journal_sync(&h->journal, &sync_err);
    mk_journal_close(&h->journal);
    h->journal_open = 0;
    if (err->code == 0)
        *err = sync_err;
}

/* resume: the tasks a checkpoint of this task set (h->identity) holds are not run again, their
 * results (result_size bytes each) come from it into rank 0's results; h->todo lists the other
 * h->m tasks. Collective; -1 with err agreed. */
static int resume(const mk_job *job, const options *o, FILE *out, held *h, size_t result_size, void *results,
                  mk_err *err)
{
    h->resumed = h->m = 0;
    if (o->checkpoint != NULL) {
        int found = 0;
        if (mk_journal_open(job->comm, o->checkpoint, &h->identity, h->n, result_size, h->done, results, &h->resumed,
                            &found, &h->journal, err) != 0)
            return -1;
        h->journal_open = 1;
        h->journal.every = (uint64_t)o->checkpoint_every;
        if (found && out != NULL)
            fprintf(stderr, "pool: resuming from checkpoint '%s': %llu of %llu tasks done, %llu to run\n",
                    o->checkpoint, (unsigned long long)h->resumed, (unsigned long long)h->n,
                    (unsigned long long)(h->n - h->resumed));
    }
    for (uint64_t i = 0; i < h->n; i++)
        if (h->done == NULL || !h->done[i])
            h->todo[h->m++] = i;
    return 0;
}

/* The map of the farm: dynamic, one task per request, rank 0 computing below 4 ranks. Every
 * finished task is on disk (--checkpoint) before it returns. -1 (err agreed), 0, or 1: stopped. */
static int farm_map(mk_job *job, const options *o, mk_farm_ctx *ctx, uint64_t m, mk_farm_result *fresh, held *h,
                    mk_err *err)
{
    mk_progress bar;
    mk_pool_options popt;
    map_options(job, o, m, &bar, &popt);
    mk_pool_result res;
    int rc = mk_pool_map(job->comm, m, sizeof *fresh, mk_farm_task, ctx, &popt, fresh, &res, err);
    mk_progress_end(&bar);
    mk_pool_result_free(&res);
    if (ctx->task_err.code != 0)   /* the cause, on the rank that saw it, rather than the map's summary */
        *err = ctx->task_err;
    journal_finish(h, err);
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    return rc;
}

/* ---- the task farm: --exec runs one shell command per task (src/farm.c, src/runner.c) ---- */

/* What a farm's checkpoint belongs to: the command and every task line (not the rank count,
 * the timeout or the retries: they change how a task runs, not which tasks there are). */
static void build_farm_identity(const options *o, const mk_farm_tasks *t, mk_blob *id)
{
    mk_blob_put(id, "pool exec 1", 11);
    mk_blob_put_u64(id, strlen(o->exec));
    mk_blob_put(id, o->exec, strlen(o->exec));
    mk_blob_put_u64(id, t->n);
    mk_blob_put(id, t->bytes, t->size);
}

/* Rank 0: the one line that names the first failed task (err), or nothing when all succeeded. */
static void farm_verdict(const mk_farm_ctx *c, const mk_farm_result *all, uint64_t n, mk_err *err)
{
    uint64_t failed, first = all != NULL ? mk_farm_first_failure(all, n, &failed) : n;
    if (first == n)
        return;
    const mk_farm_result *r = &all[first];
    char how[64];
    if (r->exitval == -1)
        snprintf(how, sizeof how, "timed out (signal %d)", (int)r->signal);
    else if (r->signal != 0)
        snprintf(how, sizeof how, "killed by signal %d", (int)r->signal);
    else
        snprintf(how, sizeof how, "exit status %d", (int)r->exitval);
    char *command = mk_farm_command(c, first);
    mk_err_set(err, MK_EXIT_FAILURE, "%llu of %llu tasks failed; the first, task %llu (%s), %s", (unsigned long long)failed,
               (unsigned long long)n, (unsigned long long)first + 1, command ? command : "?", how);
    free(command);
}

/* Rank 0: the joblog, written whole under a temporary name and renamed into place. */
static void farm_joblog(const options *o, const mk_farm_ctx *c, const mk_farm_result *all, uint64_t n, mk_err *err)
{
    mk_outfile log = {{0}, NULL, "--joblog"};
    if (mk_outfile_begin(&log, o->joblog, "--joblog", err) != 0)
        return;
    if (mk_farm_write_joblog(log.fp, c, all, n, err) != 0 || mk_outfile_commit(&log, o->joblog, err) != 0)
        mk_outfile_abandon(&log);
}

static void farm_context(const options *o, const mk_farm_tasks *tasks, int rank, mk_farm_ctx *ctx)
{
    mk_farm_ctx_init(ctx, rank);
    ctx->command = o->exec;
    ctx->append_arg = o->tasks_file != NULL;
    ctx->tasks = tasks;
    ctx->timeout = o->timeout;
    ctx->retries = (int)o->retries;
    ctx->stop = o->stop;
}

/* Stopped by a signal: the running commands were ended, every finished task is journalled. */
static void __attribute__((noreturn)) farm_interrupted(const options *o, FILE *out)
{
    if (out != NULL)
        fprintf(stderr, "pool: interrupted: the running commands were ended%s%s\n",
                o->checkpoint ? "; checkpoint saved to " : "", o->checkpoint ? o->checkpoint : "");
    MPI_Finalize();
    exit(MK_EXIT_INTERRUPTED);
}

/* The farm's phases: tasks -> (dry run) -> resume -> map the commands -> joblog and verdict. */
static void __attribute__((noreturn)) run_farm(mk_job *job, options *o, FILE *out)
{
    mk_err err;
    mk_err_clear(&err);
    o->stop = mk_stop_on_signals();   /* SIGTERM ends the running commands' groups; nothing is left behind */
    mk_farm_tasks tasks;
    if (mk_farm_read_tasks(job->comm, o->tasks_file, o->tasks < 0 ? 16 : (uint64_t)o->tasks, &tasks, &err) != 0)
        mk_job_exit_error(job, &err);
    uint64_t n = tasks.n;
    mk_farm_ctx ctx;
    farm_context(o, &tasks, job->world_rank, &ctx);
    if (o->dry_run) {   /* rank 0 prints every command */
        if (out != NULL)
            mk_farm_print_commands(out, &ctx, n);
        mk_farm_tasks_free(&tasks);
        mk_job_end(job);
    }
    held h;
    held_init(&h);
    h.n = n;
    mk_farm_result *all = job->world_rank == 0 ? calloc(n + 1, sizeof *all) : NULL, *fresh = NULL;
    if ((job->world_rank == 0 && all == NULL) || (h.todo = malloc((n + 1) * sizeof *h.todo)) == NULL ||
        (o->checkpoint != NULL && (h.done = calloc(n + 1, 1)) == NULL))
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job->comm, &err) != 0)
        goto fail;

    /* resume: a task the checkpoint holds finished (succeeded or failed) and is not run again */
    if (o->checkpoint != NULL)
        build_farm_identity(o, &tasks, &h.identity);
    if (resume(job, o, out, &h, sizeof(mk_farm_result), all, &err) != 0)
        goto fail;
    if (h.journal_open)
        ctx.journal = &h.journal;
    uint64_t m = h.m;
    ctx.todo = h.todo;
    if (job->world_rank == 0 && (fresh = calloc(m + 1, sizeof *fresh)) == NULL)
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job->comm, &err) != 0)
        goto fail;

    /* compute: the dynamic map with the command runner as its task function */
    int rc = farm_map(job, o, &ctx, m, fresh, &h, &err);
    if (rc < 0)
        goto fail;
    if (rc == 1) {
        release(&h);
        farm_interrupted(o, out);
    }

    /* report: rank 0 writes the joblog and names the first failed task */
    if (job->world_rank == 0 && all != NULL && fresh != NULL) {
        for (uint64_t j = 0; j < m; j++)
            all[h.todo[j]] = fresh[j];
        if (o->joblog != NULL)
            farm_joblog(o, &ctx, all, n, &err);
        if (err.code == 0)
            farm_verdict(&ctx, all, n, &err);
    }
    if (o->checkpoint != NULL)
        mk_checkpoint_remove(job->comm, o->checkpoint);
    mk_err_agree(job->comm, &err);
fail:
    free(all);
    free(fresh);
    mk_farm_tasks_free(&tasks);
    release(&h);
    if (err.code != 0)
        mk_job_exit_error(job, &err);
    mk_job_end(job);
}

/* parse: every rank parses the same argv, so all reach the same verdict (exit on an error) */
static void parse(mk_job *job, int argc, char **argv, FILE *out, options *o)
{
    mk_err err;
    mk_err_clear(&err);
    mk_job_parsed(job, parse_options(argc, argv, out, o, &err), &err);
    if (o->fail_at >= 0 && o->tasks >= 0 && o->fail_at >= o->tasks)
        mk_err_set(&err, MK_EXIT_USAGE, "--fail-at: task %lld does not exist (--tasks %lld)", (long long)o->fail_at,
                   (long long)o->tasks);
    if (mk_err_agree(job->comm, &err) != 0)
        mk_job_exit_error(job, &err);
    /* With 2 or 3 ranks a manager that only serves leaves 1 or 2 workers: rank 0's core would
     * idle (Pool(2).map has 2 workers), so by default it computes there too. */
    if (o->manager == MANAGER_AUTO)
        o->manager = job->world_size < 4 ? MANAGER_COMPUTES : MANAGER_SERVES;
}

/* split: the durations are a function of (seed, task), so every rank knows them all; then what
 * the run holds (rank 0: the results and the chart's temporary). Collective; -1 with err agreed. */
static int split(const mk_job *job, options *o, held *h, mk_outfile *gantt, mk_err *err)
{
    if (make_durations(job, o, &h->seconds, err) != 0)
        return -1;
    h->n = (uint64_t)o->tasks;
    if (o->gantt != NULL && job->world_rank == 0)
        mk_outfile_begin(gantt, o->gantt, "--gantt", err);
    if (job->world_rank == 0 && (h->names = calloc(h->n + 1, NAME_MAX_LEN)) == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if ((h->todo = malloc((h->n + 1) * sizeof *h->todo)) == NULL ||
        (o->checkpoint != NULL && (h->done = calloc(h->n + 1, 1)) == NULL))
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    const char *trace = getenv("MPIKIT_TRACE_TASKS");
    if (trace != NULL && (h->trace_fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        mk_err_set(err, MK_EXIT_FAILURE, "MPIKIT_TRACE_TASKS: cannot open '%s': %s", trace, strerror(errno));
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    if (o->checkpoint != NULL)
        build_identity(o, h->seconds, h->n, &h->identity);
    if (resume(job, o, mk_job_out(job), h, NAME_MAX_LEN, h->names, err) != 0)
        return -1;
    if (job->world_rank == 0 && ((h->fresh = calloc(h->m + 1, NAME_MAX_LEN)) == NULL ||
                                 (h->work = malloc((h->m + 1) * sizeof *h->work)) == NULL))
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    return mk_err_agree(job->comm, err);
}

/* compute: Pool.map(mp_worker, data) over the tasks still to do. A journal that cannot be
 * written is the failure to report (its task failed for it). -1 (err agreed), 0, or 1: stopped. */
static int compute(const mk_job *job, const options *o, held *h, mk_pool_result *res, mk_err *err)
{
    mk_progress bar;
    mk_pool_options popt;
    map_options(job, o, h->m, &bar, &popt);
    popt.record_log = o->verbose || o->gantt != NULL;
    if (o->checkpoint == NULL)
        popt.stop_flag = NULL;
    task_ctx ctx = {h->seconds, o->fail_at, h->todo, h->journal_open ? &h->journal : NULL, {0, {0}}, h->trace_fd};
    int rc = mk_pool_map(job->comm, h->m, NAME_MAX_LEN, sleep_task, &ctx, &popt, h->fresh, res, err);
    mk_progress_end(&bar);
    if (h->journal_open) {
        mk_err jerr = ctx.journal_err;
        journal_finish(h, &jerr);
        if (mk_err_agree(job->comm, &jerr) != 0) {
            mk_pool_result_free(res);
            *err = jerr;
            return -1;
        }
    }
    return rc;
}

/* Stopped by a signal: every finished task is journalled; say so and exit 3. */
static void __attribute__((noreturn)) interrupted(const options *o, FILE *out, held *h, mk_pool_result *res,
                                                  mk_outfile *gantt)
{
    uint64_t ran = 0;
    for (int r = 0; res->ranks != NULL && r < res->nranks; r++)
        ran += res->ranks[r].tasks;
    if (out != NULL)
        fprintf(stderr, "pool: interrupted: %llu of %llu tasks done, checkpoint saved to %s; "
                        "rerun the same command to resume\n",
                (unsigned long long)h->resumed + (unsigned long long)ran, (unsigned long long)h->n, o->checkpoint);
    mk_pool_result_free(res);
    mk_outfile_abandon(gantt);
    release(h);
    MPI_Finalize();
    exit(MK_EXIT_INTERRUPTED);
}

/* Rank 0: this run's results into task order beside the resumed ones; the log's items too. */
static void collect(const mk_job *job, held *h, mk_pool_result *res)
{
    if (job->world_rank != 0)
        return;
    for (uint64_t j = 0; j < h->m; j++) {
        memcpy(h->names + h->todo[j] * NAME_MAX_LEN, h->fresh + j * NAME_MAX_LEN, NAME_MAX_LEN);
        h->work[j] = h->seconds[h->todo[j]];
    }
    for (uint64_t k = 0; k < res->nlog; k++)   /* the map's items are positions in todo */
        res->log[k].item = res->log[k].item < h->m ? h->todo[res->log[k].item] : res->log[k].item;
}

/* report: rank 0 prints, and draws the chart */
static void report_run(FILE *out, const mk_job *job, const options *o, const held *h, const mk_pool_result *res,
                       mk_outfile *gantt, mk_err *err)
{
    report(out, o, res, h->names, h->seconds, h->n, h->work, h->m, chunk_used(o, h->m, job->world_size));
    if (o->gantt == NULL)
        return;
    double total, longest;
    double ideal = ideal_makespan(h->work, h->m, res->nranks, &total, &longest);
    write_gantt(gantt->fp, res, o, &ideal);
    if (mk_outfile_commit(gantt, o->gantt, err) == 0 && o->format == MK_FMT_TEXT)
        fprintf(out, "\ngantt chart: %s\n", o->gantt);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "pool", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    parse(&job, argc, argv, out, &o);
    if (o.exec != NULL)
        run_farm(&job, &o, out);   /* the task farm: real commands instead of the sleep tasks */
    if (o.checkpoint != NULL)
        o.stop = mk_stop_on_signals();

    held h;
    held_init(&h);
    mk_outfile gantt = {{0}, NULL, "--gantt"};
    mk_pool_result res;
    if (split(&job, &o, &h, &gantt, &err) != 0)
        goto fail;
    int rc = compute(&job, &o, &h, &res, &err);
    if (rc < 0)
        goto fail;
    if (rc == 1)
        interrupted(&o, out, &h, &res, &gantt);
    collect(&job, &h, &res);
    if (out != NULL)
        report_run(out, &job, &o, &h, &res, &gantt, &err);
    mk_pool_result_free(&res);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;
    if (o.checkpoint != NULL)   /* done: the checkpoint has served its purpose */
        mk_checkpoint_remove(job.comm, o.checkpoint);
    release(&h);
    mk_job_end(&job);

fail:
    mk_outfile_abandon(&gantt);
    release(&h);
    mk_job_exit_error(&job, &err);
}
