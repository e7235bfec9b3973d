/* spawn - multiprocessing.Process(target=f, args=(x,)).start() / .join() as MPI_Comm_spawn:
 * the parent starts K children running this same program, hands each its argument, and
 * gathers their results; each child prints its pid and squares its argument.
 *
 *   usage: mpirun -n 1 --oversubscribe spawn [--children K] [--start X]
 *
 *   parent world (mpirun -n P)        each parent rank r spawns its share of the K children
 *   rank r -- MPI_Comm_spawn("spawn --child", COMM_SELF) --> children of r: rank 0 .. m-1
 *          <============ intercommunicator (1 parent : m children) ============>
 *   MPI_Scatter({i, x_i}, root=MPI_ROOT)  ------------>  x_i     each: print pid, x_i^2
 *   MPI_Gather(results, root=MPI_ROOT)    <------------  {i, pid, host, x_i, x_i^2}
 *   MPI_Comm_disconnect  (join)           <----------->  MPI_Comm_disconnect, MPI_Finalize
 *   MPI_Gatherv over the parents: rank 0 prints every child's result in child order
 *
 * Spawning needs free slots: under mpirun, one per child beyond the parents (--oversubscribe,
 * --host localhost:N, or a hostfile with slots=N); under SLURM, an allocation larger than the
 * job step (see docs/spawn.md). When the launcher refuses, MPI_Comm_spawn returns an error
 * (errors return, not abort) and the parent reports it in one line.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/partition.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define SPAWN_TABLES "children|summary"

#define CHILD_FLAG "--child"

typedef struct {
    int64_t children, start;
    int format, table;
} options;

/* What a child sends back: plain bytes over the intercommunicator. */
typedef struct {
    int child;
    long pid, ppid;
    int64_t x, square;
    char host[64];
} result;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .children = 4, .start = 1, .format = MK_FMT_TEXT};
    const mk_option opts[] = {
        {"children", 'k', MK_OPT_INT, &o->children, "K", "how many children to spawn (default 4)", 1, 256, 0, 0,
         NULL},
        {"start", 0, MK_OPT_INT, &o->start, "X", "child i gets the argument X + i (default 1)", -1000000000,
         1000000000, 0, 0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT",
         "output format: text (default; children also print a line each), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, SPAWN_TABLES),
    };
    const mk_cli cli = {
        .prog = "spawn",
        .usage = "[options]",
        .summary = "The parent spawns K children of this program (MPI_Comm_spawn); each receives its argument\n"
                   "over the intercommunicator, prints its pid and squares it; the parent gathers the squares\n"
                   "and joins (MPI_Comm_disconnect). Spawning needs free slots:\n"
                   "run it as: mpirun -n 1 --oversubscribe spawn --children 4",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && mk_table_check_format(o->format, o->table, err) != 0)
        return MK_CLI_ERROR;
    return rc;
}

/* A child: receive x, print, send back x^2, disconnect. Output goes through the children's
 * own rank 0 (mk_print_ordered), so the K lines come in child order. */
static int run_child(MPI_Comm parent, int format)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
    int64_t arg[2] = {0, 0};   /* {child index over all parents, argument} */
    int rc = 0;
    /* root 0 is the parent's rank in the intercommunicator's remote group */
    if (MPI_Scatter(NULL, 0, MPI_INT64_T, arg, 2, MPI_INT64_T, 0, parent) != MPI_SUCCESS)
        rc = 1;
    int64_t x = arg[1];
    result r;
    memset(&r, 0, sizeof r);
    r.child = (int)arg[0];
    r.pid = (long)getpid();
    r.ppid = (long)getppid();
    r.x = x;
    r.square = x * x;
    if (gethostname(r.host, sizeof r.host - 1) != 0)
        snprintf(r.host, sizeof r.host, "?");
    if (format == MK_FMT_TEXT) {
        char line[160];
        snprintf(line, sizeof line, "child %d (%d of %d here, pid %ld): %lld squared is %lld\n", r.child, rank, size, r.pid,
                 (long long)x, (long long)r.square);
        mk_print_ordered(MPI_COMM_WORLD, stdout, line);
        fflush(stdout);
    }
    if (MPI_Gather(&r, (int)sizeof r, MPI_BYTE, NULL, 0, MPI_BYTE, 0, parent) != MPI_SUCCESS)
        rc = 1;
    MPI_Comm_disconnect(&parent);
    MPI_Finalize();
    return rc;
}

/* The path of this program, for the children (argv[0] may be relative to another directory). */
static int self_path(char *buf, size_t len, const char *argv0)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n > 0) {
        buf[n] = '\0';
        return 0;
    }
    return snprintf(buf, len, "%s", argv0) < (int)len ? 0 : -1;
}

static void report(FILE *out, const options *o, const result *res, double spawn_s, double total_s, int nparents)
{
    const char *cols[] = {"child", "pid", "ppid", "host", "x", "square", "ok"};
    mk_table *t = mk_table_new("children", "results gathered over the intercommunicator", 7, cols);
    int bad = 0;
    for (int i = 0; i < o->children; i++) {
        const result *r = &res[i];
        int ok = r->child == i && r->x == o->start + i && r->square == r->x * r->x;
        bad += !ok;
        mk_table_i64(t, r->child);
        mk_table_i64(t, r->pid);
        mk_table_i64(t, r->ppid);
        mk_table_str(t, r->host);
        mk_table_i64(t, r->x);
        mk_table_i64(t, r->square);
        mk_table_str(t, ok ? "yes" : "NO");
    }
    const char *scols[] = {"parents", "children", "spawn_s", "total_s", "all_ok"};
    mk_table *s = mk_table_new("summary", "spawn and join", 5, scols);
    mk_table_i64(s, nparents);
    mk_table_i64(s, o->children);
    mk_table_f64(s, "%.3f", spawn_s);
    mk_table_f64(s, "%.3f", total_s);
    mk_table_str(s, bad == 0 ? "yes" : "no");
    mk_table *tables[] = {t, s};
    (void)mk_report_print(out, tables, 2, (mk_format)o->format, SPAWN_TABLES, o->table);
    mk_table_free(t);
    mk_table_free(s);
}

/* Child mode: the parent passed CHILD_FLAG FORMAT; a child is not a launch of its own, so the
 * SLURM launch check (world size = SLURM_NTASKS) does not apply to it. */
static int child_main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm parent;
    MPI_Comm_get_parent(&parent);
    if (parent == MPI_COMM_NULL) {
        fprintf(stderr, "spawn: error: %s is only for processes started by MPI_Comm_spawn\n", CHILD_FLAG);
        MPI_Finalize();
        return MK_EXIT_USAGE;
    }
    return run_child(parent, (int)strtol(argv[2], NULL, 10)); /* written by the parent: a plain int */
}

/* This parent rank's share of the K children and the buffers for them. */
typedef struct {
    int k, mine;
    mk_range share;
    int *codes;
    result *res, *my_res;
    int64_t *args;
} family;

static void family_alloc(const mk_job *job, const options *o, family *f, mk_err *err)
{
    f->k = (int)o->children;
    f->share = mk_block_range((uint64_t)f->k, job->world_size, job->world_rank);
    f->mine = (int)f->share.count;
    f->codes = malloc((size_t)(f->mine + 1) * sizeof *f->codes);
    f->res = malloc((size_t)f->k * sizeof *f->res);
    f->my_res = malloc((size_t)(f->mine + 1) * sizeof *f->my_res);
    f->args = malloc((size_t)(2 * f->mine + 2) * sizeof *f->args);
    if (f->codes == NULL || f->res == NULL || f->my_res == NULL || f->args == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
}

/* spawn: each parent rank starts its share of the K children over MPI_COMM_SELF, like each
 * Python process starting its own Process objects. (A spawn over MPI_COMM_WORLD is one
 * collective launch, but when Open MPI 4.1 refuses it only the root returns; the other parents
 * hang. Spawning from SELF keeps every failure local, and the ranks then agree on it.) */
static void spawn_children(const mk_job *job, const options *o, const char *path, family *f, MPI_Comm *children,
                           mk_err *err)
{
    char fmt[8];
    snprintf(fmt, sizeof fmt, "%d", o->format);
    char *child_argv[] = {CHILD_FLAG, fmt, NULL};
    if (f->mine > 0) {
        int src = MPI_Comm_spawn(path, child_argv, f->mine, MPI_INFO_NULL, 0, MPI_COMM_SELF, children, f->codes);
        int failed = src != MPI_SUCCESS;
        for (int i = 0; i < f->mine && !failed; i++)
            failed = f->codes[i] != MPI_SUCCESS;
        if (failed) {
            char msg[MPI_MAX_ERROR_STRING] = "";
            int len = 0;
            MPI_Error_string(src != MPI_SUCCESS ? src : MPI_ERR_SPAWN, msg, &len);
            mk_err_set(err, MK_EXIT_FAILURE,
                       "cannot spawn %d children (%s): spawning needs a free slot per child; "
                       "try 'mpirun -n %d --oversubscribe spawn' or --host localhost:%d (see docs/spawn.md)",
                       f->k, msg, job->world_size, job->world_size + f->k);
            if (*children != MPI_COMM_NULL)
                MPI_Comm_disconnect(children);
        }
    }
}

/* start(): scatter {index, argument}; join(): gather the results and disconnect */
static void start_and_join(const options *o, family *f, MPI_Comm *children, mk_err *err)
{
    if (f->mine > 0) {
        MPI_Comm_set_errhandler(*children, MPI_ERRORS_RETURN);
        for (int i = 0; i < f->mine; i++) {
            f->args[2 * i] = (int64_t)f->share.start + i;
            f->args[2 * i + 1] = o->start + (int64_t)f->share.start + i;
        }
        if (MPI_Scatter(f->args, 2, MPI_INT64_T, NULL, 0, MPI_INT64_T, MPI_ROOT, *children) != MPI_SUCCESS ||
            MPI_Gather(NULL, 0, MPI_BYTE, f->my_res, (int)sizeof *f->my_res, MPI_BYTE, MPI_ROOT, *children) !=
                MPI_SUCCESS)
            mk_err_set(err, MK_EXIT_FAILURE, "lost contact with the children");
        MPI_Comm_disconnect(children);
    }
}

/* Every parent's results to rank 0, in child order. Errors end the job (agreed). */
static void gather_results(const mk_job *job, family *f, mk_err *err)
{
    int *counts = NULL, *displs = NULL;
    if (job->world_rank == 0) {
        counts = malloc((size_t)job->world_size * sizeof *counts);
        displs = malloc((size_t)job->world_size * sizeof *displs);
        if (counts == NULL || displs == NULL || mk_block_counts((uint64_t)f->k, job->world_size, (int)sizeof *f->res,
                                                                counts, displs) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    }
    if (mk_err_agree(job->comm, err) != 0)
        mk_job_exit_error(job, err);
    MPI_Gatherv(f->my_res, f->mine * (int)sizeof *f->my_res, MPI_BYTE, f->res, counts, displs, MPI_BYTE, 0,
                job->comm);
    free(counts);
    free(displs);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], CHILD_FLAG) == 0)
        return child_main(argc, argv);

    mk_job job;
    mk_job_begin(&job, "spawn", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);

    char path[PATH_MAX];
    if (self_path(path, sizeof path, argv[0]) != 0)
        mk_err_set(&err, MK_EXIT_FAILURE, "cannot find this program's path");
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    family f;
    family_alloc(&job, &o, &f, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);

    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    MPI_Comm children = MPI_COMM_NULL;
    double t0 = mk_now();
    spawn_children(&job, &o, path, &f, &children, &err);
    double spawn_s = mk_now() - t0;
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    start_and_join(&o, &f, &children, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    gather_results(&job, &f, &err);
    double total_s = mk_now() - t0;
    free(f.my_res);
    free(f.args);
    if (out != NULL) {
        fflush(stdout);
        report(out, &o, f.res, spawn_s, total_s, job.world_size);
    }
    free(f.codes);
    free(f.res);
    mk_job_end(&job);
}
