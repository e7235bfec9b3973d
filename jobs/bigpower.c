/* bigpower - mean of N standard normals raised to the powers 1, 2, 12, 15 (the tutorial's
 * `Pool(3).map(bigpower, [1, 2, 12, 15])`, each task drawing np.random.randn(1e8) ** p),
 * without ever holding the 800 MB array: normals are drawn from a counter-based RNG keyed
 * by (seed, stream, global index) and streamed in fixed global blocks of 65536. By default
 * power number k draws its own stream k (a fresh array per power, as the tutorial does);
 * --shared-draws uses stream 0 for every power (N draws instead of N per power, correlated means).
 *
 *   usage: mpirun -n N bigpower [--n N] [--powers 1,2,12,15] [--split data|tasks] [--shared-draws]
 *
 *   global blocks   | b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7 | ... | b(nb-1) |
 *
 *   --split data    every power over all ranks: rank r owns a contiguous run of blocks
 *                   |  rank 0   |  rank 1   |  rank 2   |  ...
 *                   each block: every power's sum, each from its stream (MPI_Gatherv of
 *                   block sums to rank 0, pairwise sum in block order)
 *
 *   --split tasks   one task per power, like Pool.map (mk_pool_map, static schedule):
 *                   power 1 -> rank 0   power 2 -> rank 1   power 12 -> ...
 *                   each task walks all nb blocks of its power's stream
 *
 *   rank 0          mean = pairwise_sum(block sums in block order) / N   per power
 *
 * Both splits add the same numbers in the same order, so the means are bit-identical for
 * any rank count and either split. Memory: no array of N doubles; one double per block
 * and power (rank 0, N/65536 * powers * 8 bytes) is the largest allocation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/normals.h"
#include "mpikit/partition.h"
#include "mpikit/pool.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"

#define MAX_POWERS 32

enum { SPLIT_DATA = 0, SPLIT_TASKS = 1 };

typedef struct {
    int64_t n, seed, block;
    double n_value;
    const char *powers_text;
    int powers[MAX_POWERS];
    int npowers;
    int split;
    int shared_draws;
    int format;
} options;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.n_value = 1e8, .seed = 42, .block = MK_NORMALS_BLOCK, .powers_text = "1,2,12,15"};
    const mk_option opts[] = {
        {"n", 'n', MK_OPT_DOUBLE, &o->n_value, "N", "how many normals, an integer like 1000000 or 1e6 (default 1e8)",
         0, 0, 1, 0x1p40, NULL},
        {"powers", 'p', MK_OPT_STRING, &o->powers_text, "P,P,...",
         "comma-separated powers 0..64, at most 32 (default 1,2,12,15)", 0, 0, 0, 0, NULL},
        {"split", 's', MK_OPT_CHOICE, &o->split, "HOW",
         "data (default: every power's array split over all ranks) or tasks (one power per task)", 0, 0, 0, 0,
         "data|tasks"},
        {"shared-draws", 0, MK_OPT_FLAG, &o->shared_draws, NULL,
         "every power from the same N normals (cheaper; the means are correlated)", 0, 0, 0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random seed (default 42)", 0, INT64_MAX, 0, 0, NULL},
        {"block", 0, MK_OPT_INT, &o->block, "B",
         "normals per summation block (default 65536; other values change the last bits)", 1, 1 << 24, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
    };
    const mk_cli cli = {
        .prog = "bigpower",
        .usage = "[options]",
        .summary = "Mean of N standard normals raised to each power, streamed in blocks (bounded memory),\n"
                   "a fresh stream of normals per power (--shared-draws: one stream for all),\n"
                   "bit-identical for any number of ranks and either split.\n"
                   "Run it as: mpirun -n 4 bigpower --split tasks",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc != MK_CLI_OK)
        return rc;
    if (o->n_value != floor(o->n_value))
        return mk_err_set(err, MK_EXIT_USAGE, "--n: '%.17g' is not a whole number", o->n_value);
    o->n = (int64_t)o->n_value;
    o->npowers = mk_normals_parse_powers(o->powers_text, o->powers, MAX_POWERS);
    if (o->npowers < 0)
        return mk_err_set(err, MK_EXIT_USAGE,
                          "--powers: '%s' is not a comma-separated list of at most %d integers 0..%d",
                          o->powers_text, MAX_POWERS, MK_NORMALS_MAX_POWER);
    return MK_CLI_OK;
}

/* --split data: this rank's blocks, every power at once; block sums gathered to rank 0. */
static int split_data(const mk_job *job, const options *o, double *means, mk_err *err)
{
    uint64_t n = (uint64_t)o->n, block = (uint64_t)o->block;
    uint64_t nb = mk_normals_nblocks(n, block);
    int np = o->npowers, size = job->world_size;
    mk_range mine = mk_block_range(nb, size, job->world_rank);
    double *local = malloc((size_t)(mine.count ? mine.count : 1) * (size_t)np * sizeof *local);
    double *all = NULL;
    int *counts = NULL, *displs = NULL;
    if (job->world_rank == 0) {
        all = malloc((size_t)nb * (size_t)np * sizeof *all);
        counts = malloc((size_t)size * sizeof *counts);
        displs = malloc((size_t)size * sizeof *displs);
        if (all == NULL || counts == NULL || displs == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory for %llu block sums", (unsigned long long)nb);
        else if (mk_block_counts(nb, size, np, counts, displs) != 0)
            mk_err_set(err, MK_EXIT_USAGE, "--n %lld gives too many blocks for one gather", (long long)o->n);
    }
    if (local == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(job->comm, err) != 0)
        goto done;

    for (uint64_t b = 0; b < mine.count; b++) {
        double *row = local + b * (uint64_t)np;
        if (o->shared_draws)  /* one draw of each normal serves every power */
            mk_normals_block_sums((uint64_t)o->seed, 0, n, block, mine.start + b, o->powers, np, row);
        else
            for (int k = 0; k < np; k++)
                mk_normals_block_sums((uint64_t)o->seed, mk_normals_stream(k, 0), n, block, mine.start + b,
                                      &o->powers[k], 1, &row[k]);
    }
    if (MPI_Gatherv(local, (int)mine.count * np, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, job->comm) !=
        MPI_SUCCESS)
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Gatherv of the block sums failed");
    if (mk_err_agree(job->comm, err) != 0)
        goto done;
    if (job->world_rank == 0)
        for (int k = 0; k < np; k++)
            means[k] = mk_sum_pairwise(all + k, nb, (uint64_t)np) / (double)n;
done:
    free(local);
    free(all);
    free(counts);
    free(displs);
    return err->code == 0 ? 0 : -1;
}

typedef struct {
    const options *o;
} task_ctx;

/* One task of --split tasks: the mean of x^p for one power, all blocks, in block order. */
static int power_task(uint64_t item, void *result, void *ctx)
{
    const options *o = ((const task_ctx *)ctx)->o;
    uint64_t n = (uint64_t)o->n, block = (uint64_t)o->block;
    uint64_t nb = mk_normals_nblocks(n, block);
    double *sums = malloc((size_t)nb * sizeof *sums);
    if (sums == NULL)
        return MK_EXIT_FAILURE;
    uint32_t stream = mk_normals_stream((int)item, o->shared_draws);
    for (uint64_t b = 0; b < nb; b++)
        mk_normals_block_sums((uint64_t)o->seed, stream, n, block, b, &o->powers[item], 1, &sums[b]);
    double mean = mk_sum_pairwise(sums, nb, 1) / (double)n;
    memcpy(result, &mean, sizeof mean);
    free(sums);
    return 0;
}

static int split_tasks(const mk_job *job, const options *o, double *means, mk_err *err)
{
    mk_pool_options popt;
    mk_pool_options_init(&popt);
    popt.schedule = MK_SCHED_STATIC;
    task_ctx ctx = {o};
    mk_pool_result res;
    memset(&res, 0, sizeof res);
    int rc = mk_pool_map(job->comm, (uint64_t)o->npowers, sizeof(double), power_task, &ctx, &popt,
                         job->world_rank == 0 ? means : NULL, &res, err);
    mk_pool_result_free(&res);
    return rc;
}

static void report(FILE *out, const options *o, const double *means, int nranks, double seconds,
                   double rss_max, double rss_rank0)
{
    const char *mcols[] = {"power", "mean", "expected", "z"};
    mk_table *m = mk_table_new("means", "mean of x^p over N standard normals", 4, mcols);
    for (int k = 0; k < o->npowers; k++) {
        int p = o->powers[k];
        double expected = mk_normal_moment(p);
        double var = mk_normal_moment(2 * p) - expected * expected;
        double z = var > 0 ? (means[k] - expected) / sqrt(var / (double)o->n) : 0.0;
        mk_table_i64(m, p);
        mk_table_f64(m, "%.17g", means[k]);
        mk_table_f64(m, "%.17g", expected);
        mk_table_f64(m, "%.2f", z);
    }
    /* Normals drawn: once per item and power, except --shared-draws --split data (once per item). */
    double drawn = (double)o->n * (o->split == SPLIT_DATA && o->shared_draws ? 1 : o->npowers);
    const char *scols[] = {"n", "ranks", "split", "block", "seconds", "normals_per_s_per_rank",
                           "peak_rss_MiB_max", "peak_rss_MiB_rank0", "draws"};
    mk_table *s = mk_table_new("summary", "run (compute + gather, excluding MPI start-up)", 9, scols);
    mk_table_i64(s, o->n);
    mk_table_i64(s, nranks);
    mk_table_str(s, o->split == SPLIT_TASKS ? "tasks" : "data");
    mk_table_i64(s, o->block);
    mk_table_f64(s, "%.3f", seconds);
    mk_table_f64(s, "%.4g", seconds > 0 ? drawn / seconds / nranks : 0.0);
    mk_table_f64(s, "%.1f", rss_max);
    mk_table_f64(s, "%.1f", rss_rank0);
    mk_table_str(s, o->shared_draws ? "shared" : "fresh");
    mk_table *tables[] = {m, s};
    mk_tables_print(out, tables, 2, (mk_format)o->format);
    mk_table_free(m);
    mk_table_free(s);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "bigpower", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);

    /* compute: stream the blocks; rank 0 ends with one mean per power */
    double means[MAX_POWERS] = {0};
    MPI_Barrier(job.comm);
    double t0 = mk_now();
    rc = o.split == SPLIT_TASKS ? split_tasks(&job, &o, means, &err) : split_data(&job, &o, means, &err);
    if (rc != 0)
        mk_job_exit_error(&job, &err);
    double seconds = mk_now() - t0, seconds_max = 0;
    MPI_Reduce(&seconds, &seconds_max, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);

    /* memory: peak resident set per rank (bounded: no N-sized array anywhere) */
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double rss = (double)usage.ru_maxrss / 1024.0, rss_max = 0;
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);

    if (out != NULL)
        report(out, &o, means, job.world_size, seconds_max, rss_max, rss);
    mk_job_end(&job);
}
