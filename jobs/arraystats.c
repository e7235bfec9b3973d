/* arraystats - the Dask array example: mean(axis=0), mean(axis=1), sum, mean and std of an R x C
 * array of standard normals, in chunks, on a 2-D grid of MPI ranks.
 *
 *   usage: mpirun -n 4 arraystats [--shape 1000x1000] [--chunks 100x100] [--input f.h5:/x] [--save out.h5]
 *
 * The array is cut into chunks; the ranks form a pr x pc Cartesian grid (MPI_Dims_create,
 * MPI_Cart_create) and each owns a block of whole chunks (remainder chunks and partial edge
 * chunks included):
 *
 *            chunk cols -->      grid col 0        grid col 1
 *   chunk  +----+----+----+----+----+----+----+
 *   rows   | rank 0 (0,0)      | rank 1 (0,1)  |   x(i, j) = mk_rng_std_normal(seed, 0, i*C + j)
 *    |     |                   |               |   or a collective hyperslab read of --input
 *    v     +----+----+----+----+----+----+----+
 *          | rank 2 (1,0)      | rank 3 (1,1)  |   per chunk: column sums, row sums, (n, sum, mean, M2)
 *                                                     in one sweep: each row of a chunk is generated
 *                                                     (or read) once and summed while in cache
 *          +----+----+----+----+----+----+----+
 *                 |                   |
 *   axis=0   column sub-communicators (MPI_Cart_sub keeps the grid row dimension): partial column
 *            sums of every chunk row are gathered (MPI_Gatherv) and added in chunk-row order
 *   axis=1   row sub-communicators: partial row sums added in chunk-column order
 *   total    every chunk's (n, sum, mean, M2) to rank 0, merged in chunk order (Chan et al.)
 *
 * Every sum is taken in an order fixed by the chunking alone, so the results are bit-identical
 * for every rank count and equal a serial pass over the same chunks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/fault.h"
#include "mpikit/h5.h"
#include "mpikit/job.h"
#include "mpikit/partition.h"
#include "mpikit/progress.h"
#include "mpikit/report.h"
#include "mpikit/rng.h"
#include "mpikit/samefile.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define ARRAYSTATS_TABLES "stats|timing|summary"

typedef struct {
    const char *shape_text, *chunks_text, *input, *save;
    uint64_t R, C, cr, cc;
    int64_t seed;
    int format, timing, progress, no_progress, debug, table;
} options;

/* Chunk statistics, merged pairwise in a fixed order. */
typedef struct {
    double n, sum, mean, m2;
} stat4;

static int parse_pair(const char *text, uint64_t *a, uint64_t *b)
{
    char *x = strchr(text, 'x');
    if (x == NULL)
        return -1;
    char first[32];
    size_t n = (size_t)(x - text);
    if (n == 0 || n >= sizeof first)
        return -1;
    memcpy(first, text, n);
    first[n] = '\0';
    int64_t va, vb;
    if (mk_parse_int(first, &va) != 0 || mk_parse_int(x + 1, &vb) != 0 || va < 1 || vb < 1 ||
        va > (1LL << 40) || vb > (1LL << 40))
        return -1;
    *a = (uint64_t)va;
    *b = (uint64_t)vb;
    return 0;
}

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .shape_text = "1000x1000", .chunks_text = "100x100", .seed = 1};
    const mk_option opts[] = {
        {"shape", 's', MK_OPT_STRING, &o->shape_text, "RxC", "array shape (default 1000x1000)", 0, 0, 0, 0, NULL},
        {"chunks", 'c', MK_OPT_STRING, &o->chunks_text, "RxC", "chunk shape (default 100x100)", 0, 0, 0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random stream (default 1)", 0, INT64_MAX, 0, 0, NULL},
        {"input", 'i', MK_OPT_STRING, &o->input, "F.h5:/PATH", "read a 2-D float dataset instead of generating",
         0, 0, 0, 0, NULL},
        {"save", 'o', MK_OPT_STRING, &o->save, "F.h5", "write the array (/x, chunked) and the results", 0, 0, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, ARRAYSTATS_TABLES),
        {"timing", 't', MK_OPT_FLAG, &o->timing, NULL, "report per-phase times, GB/s and peak memory", 0, 0, 0, 0,
         NULL},
        {"progress", 0, MK_OPT_FLAG, &o->progress, NULL, "show the chunk progress bar even when not a terminal", 0,
         0, 0, 0, NULL},
        {"no-progress", 0, MK_OPT_FLAG, &o->no_progress, NULL, "never show the progress bar", 0, 0, 0, 0, NULL},
        {"debug", 0, MK_OPT_FLAG, &o->debug, NULL, "show HDF5's own error stack", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "arraystats",
        .usage = "[options]",
        .summary = "Column means, row means, sum, mean and std of a chunked array of standard normals\n"
                   "(or of an HDF5 dataset) on a 2-D grid of ranks; results do not depend on the rank count.\n"
                   "Run it as: mpirun -n 4 arraystats --shape 20000x20000 --chunks 1000x1000",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc != MK_CLI_OK)
        return rc;
    if (mk_table_check_format(o->format, o->table, err) != 0 ||
        mk_table_require(ARRAYSTATS_TABLES, o->table, "timing", o->timing, "needs --timing", err) != 0 ||
        mk_table_require(ARRAYSTATS_TABLES, o->table, "summary", o->timing, "needs --timing", err) != 0)
        return MK_CLI_ERROR;
    if (parse_pair(o->shape_text, &o->R, &o->C) != 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--shape '%s': expected ROWSxCOLS, both at least 1", o->shape_text);
    if (parse_pair(o->chunks_text, &o->cr, &o->cc) != 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--chunks '%s': expected ROWSxCOLS, both at least 1", o->chunks_text);
    char in_file[4096], in_ds[1024];
    if (o->input != NULL && o->save != NULL &&
        mk_h5_split_spec(o->input, in_file, sizeof in_file, in_ds, sizeof in_ds, "/x") == 0) {
        const char *inputs[] = {in_file};
        if (mk_output_not_input("--save", o->save, inputs, 1, err) != 0)
            return MK_CLI_ERROR;
    }
    return MK_CLI_OK;
}

static stat4 merge(stat4 a, stat4 b)
{
    if (a.n == 0)
        return b;
    if (b.n == 0)
        return a;
    stat4 r;
    r.n = a.n + b.n;
    r.sum = a.sum + b.sum;
    double delta = b.mean - a.mean;
    r.mean = a.mean + delta * (b.n / r.n);
    r.m2 = a.m2 + b.m2 + delta * delta * (a.n * b.n / r.n);
    return r;
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* Sum of x[0..n-1] with four interleaved accumulators: no loop-carried add chain (four
 * times the throughput of one), and a fixed order, so the same bits wherever it runs. */
static double sum4(const double *x, uint64_t n)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        a0 += x[j];
        a1 += x[j + 1];
        a2 += x[j + 2];
        a3 += x[j + 3];
    }
    for (; j < n; j++)
        a0 += x[j];
    return (a0 + a1) + (a2 + a3);
}

/* Sum of (x - mean)^2 over x[0..n-1], accumulated as sum4 does. */
static double sq_dev4(const double *x, uint64_t n, double mean)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        double d0 = x[j] - mean, d1 = x[j + 1] - mean, d2 = x[j + 2] - mean, d3 = x[j + 3] - mean;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
    }
    for (; j < n; j++)
        a0 += (x[j] - mean) * (x[j] - mean);
    return (a0 + a1) + (a2 + a3);
}

/* One row of a band (w values starting at global column c0) into the partials of the chunks it
 * crosses: column sums cp, the row's sum per chunk column (rowsum[jc * h]), and each chunk's
 * (n, sum, mean, M2), merged row by row. Each row segment (at most one chunk wide) stays in L1,
 * so its mean and squared deviations are an exact two-pass in cache: one sweep over memory. */
static void add_row(const double *x, uint64_t w, uint64_t cc, uint64_t nchunks, double *cp, double *rowsum,
                    uint64_t h, stat4 *chunk)
{
    for (uint64_t jc = 0; jc < nchunks; jc++) {
        uint64_t j0 = jc * cc, jw = j0 + cc <= w ? cc : w - j0;
        const double *seg = x + j0;
        for (uint64_t j = 0; j < jw; j++)
            cp[j0 + j] += seg[j];
        double rs = sum4(seg, jw), mean = rs / (double)jw;
        stat4 row = {(double)jw, rs, mean, sq_dev4(seg, jw, mean)};
        chunk[jc] = merge(chunk[jc], row);
        rowsum[jc * h] = rs;
    }
}

/* The timed phases of --timing. */
typedef struct {
    mk_timing tm;
    int compute, read, reduce, save;
} phases;

/* The input dataset (--input) and the saved file (--save); -1 / .file = -1 when not in use. */
typedef struct {
    mk_h5 in, sv;
    hid_t din, dsv;
} files;

/* The pr x pc grid of ranks and this rank's block of whole chunks. */
typedef struct {
    int dims[2], coords[2];
    MPI_Comm cart, colcomm, rowcomm;
    uint64_t CR, CC;       /* chunks along each dimension */
    mk_range kr, kc;       /* my chunk rows and chunk columns */
    uint64_t r0, c0, h, w; /* my first row and column, my rows and columns */
} grid;

/* Per-rank partials: column sums per chunk row, row sums per chunk column, chunk stats. */
typedef struct {
    uint64_t band_rows;
    double *band, *colpart, *rowpart;
    stat4 *cstat;
} partials;

/* The reduce phase's buffers and its results on world rank 0 (total and std on every rank). */
typedef struct {
    double *colsum, *rowsum, *colgather, *rowgather, *colall, *rowall;
    int *cnt, *dsp, *offs;
    uint64_t *metas;
    stat4 *statall, *chunk_grid;
    stat4 total;
    double std;
} reduction;

static void phases_init(phases *ph)
{
    mk_timing_init(&ph->tm);
    ph->compute = mk_timing_phase(&ph->tm, "generate+chunks");
    ph->read = mk_timing_phase(&ph->tm, "read");
    ph->reduce = mk_timing_phase(&ph->tm, "reduce");
    ph->save = mk_timing_phase(&ph->tm, "save");
}

/* input: the dataset's shape replaces --shape; chunks are clamped to the shape. Errors end the job. */
static void open_input(const mk_job *job, options *o, files *f, mk_err *err)
{
    char in_file[4096], in_ds[1024];
    if (o->input != NULL) {
        if (mk_h5_split_spec(o->input, in_file, sizeof in_file, in_ds, sizeof in_ds, "/x") != 0) {
            mk_err_set(err, MK_EXIT_USAGE, "--input '%s': expected FILE.h5 or FILE.h5:/DATASET", o->input);
            mk_job_exit_error(job, err);
        }
        if (mk_h5_open(&f->in, job->comm, in_file, err) != 0)
            mk_job_exit_error(job, err);
        uint64_t dims[2];
        mk_h5_dataset_open(&f->in, in_ds, MK_H5_NUMERIC, 2, dims, &f->din, err);
        if (mk_err_agree(job->comm, err) != 0) {
            if (f->din >= 0)
                H5Dclose(f->din);
            mk_h5_close(&f->in);
            mk_job_exit_error(job, err);
        }
        o->R = dims[0];
        o->C = dims[1];
        if (o->R == 0 || o->C == 0) {
            mk_err_set(err, MK_EXIT_FAILURE, "dataset '%s' in '%s' is empty (%llux%llu)", in_ds, in_file,
                       (unsigned long long)o->R, (unsigned long long)o->C);
            mk_job_exit_error(job, err);
        }
    }
    if (o->cr > o->R)
        o->cr = o->R;
    if (o->cc > o->C)
        o->cc = o->C;
}

/* grid: pr x pc ranks; sub-communicators along each dimension; this rank's block of chunks */
static void make_grid(const mk_job *job, const options *o, grid *g)
{
    int periods[2] = {0, 0};
    g->dims[0] = g->dims[1] = 0;
    MPI_Dims_create(job->world_size, 2, g->dims);
    MPI_Cart_create(job->comm, 2, g->dims, periods, 0, &g->cart);
    MPI_Cart_coords(g->cart, job->world_rank, 2, g->coords);
    int keep_rows[2] = {1, 0}, keep_cols[2] = {0, 1};
    MPI_Cart_sub(g->cart, keep_rows, &g->colcomm); /* same grid column: ranks that share columns */
    MPI_Cart_sub(g->cart, keep_cols, &g->rowcomm); /* same grid row: ranks that share rows */

    g->CR = ceil_div(o->R, o->cr);
    g->CC = ceil_div(o->C, o->cc);
    g->kr = mk_block_range(g->CR, g->dims[0], g->coords[0]);
    g->kc = mk_block_range(g->CC, g->dims[1], g->coords[1]);
    uint64_t r1 = (g->kr.start + g->kr.count) * o->cr, c1 = (g->kc.start + g->kc.count) * o->cc;
    g->r0 = g->kr.start * o->cr;
    g->c0 = g->kc.start * o->cc;
    if (r1 > o->R)
        r1 = o->R;
    if (c1 > o->C)
        c1 = o->C;
    g->h = g->kr.count ? r1 - g->r0 : 0;
    g->w = g->kc.count ? c1 - g->c0 : 0;
}

/* The partials, and with --save the output file and its /x. The band holds a chunk row only
 * when it is read or saved; generated data needs one row. Returns the agreed error. */
static int prepare(const mk_job *job, const options *o, const grid *g, partials *p, files *f, mk_err *err)
{
    uint64_t w = g->w, h = g->h, nkr = g->kr.count, nkc = g->kc.count;
    p->band_rows = o->input != NULL || o->save != NULL ? o->cr : 1;
    p->band = mk_fault_hit("arraystats.alloc") ? NULL : malloc((p->band_rows * (w ? w : 1)) * sizeof *p->band);
    p->colpart = calloc((nkr ? nkr : 1) * (w ? w : 1), sizeof *p->colpart);
    p->rowpart = calloc((nkc ? nkc : 1) * (h ? h : 1), sizeof *p->rowpart); /* [j][row] */
    p->cstat = calloc((nkr ? nkr : 1) * (nkc ? nkc : 1), sizeof *p->cstat);
    if (p->band == NULL || p->colpart == NULL || p->rowpart == NULL || p->cstat == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for a band of %llux%llu", (unsigned long long)o->cr,
                   (unsigned long long)w);
    if (o->save != NULL && mk_err_agree(job->comm, err) == 0 && mk_h5_create(&f->sv, job->comm, o->save, err) == 0) {
        uint64_t d2[2] = {o->R, o->C}, ch[2] = {o->cr, o->cc};
        mk_h5_dataset_create(&f->sv, "/x", H5T_IEEE_F64LE, 2, d2, ch, &f->dsv, err);
    }
    return mk_err_agree(job->comm, err);
}

/* compute: one band of chunk rows at a time, read (collectively) or generated, summed while in
 * cache and saved; every rank takes part in max_bands steps. Returns the agreed error. */
static int sweep(const mk_job *job, const options *o, const grid *g, partials *p, files *f, phases *ph,
                 mk_err *err)
{
    uint64_t w = g->w, my_bands = g->kr.count, max_bands = 0;
    MPI_Allreduce(&my_bands, &max_bands, 1, MPI_UINT64_T, MPI_MAX, job->comm);
    mk_progress bar;
    mk_progress_begin(&bar, mk_progress_wanted(o->progress, o->no_progress, job->world_rank) ? stderr : NULL,
                      "arraystats chunks (rank 0)", "chunks", g->kr.count * g->kc.count);
    for (uint64_t b = 0; b < max_bands; b++) {
        int have = b < my_bands && w > 0;
        uint64_t br0 = g->r0 + b * o->cr, bh = 0;
        if (have) {
            bh = br0 + o->cr <= o->R ? o->cr : o->R - br0;
        }
        uint64_t start[2] = {br0, g->c0}, count[2] = {bh, have ? w : 0};
        if (f->din >= 0) {
            /* collective: ranks past their last band take part with an empty selection */
            mk_timing_start(&ph->tm, ph->read);
            if (mk_h5_read_block(&f->in, f->din, H5T_NATIVE_DOUBLE, start, count, p->band, err) != 0)
                break;
            mk_timing_stop(&ph->tm, ph->read);
        }
        mk_timing_start(&ph->tm, ph->compute);
        for (uint64_t i = 0; have && i < bh; i++) {
            double *x = p->band + (p->band_rows > 1 ? i * w : 0);
            if (f->din < 0)
                mk_rng_std_normals((uint64_t)o->seed, 0, (br0 + i) * o->C + g->c0, w, x);
            add_row(x, w, o->cc, g->kc.count, p->colpart + b * w, p->rowpart + b * o->cr + i, g->h,
                    p->cstat + b * g->kc.count);
        }
        if (have)
            mk_progress_add(&bar, g->kc.count);
        mk_timing_stop(&ph->tm, ph->compute);
        if (f->dsv >= 0) {
            mk_timing_start(&ph->tm, ph->save);
            if (mk_h5_write_block(&f->sv, f->dsv, H5T_NATIVE_DOUBLE, start, count, p->band, err) != 0)
                break;
            mk_timing_stop(&ph->tm, ph->save);
        }
    }
    mk_progress_end(&bar);
    return mk_err_agree(job->comm, err);
}

static void reduction_free(reduction *r)
{
    free(r->colsum);
    free(r->rowsum);
    free(r->cnt);
    free(r->dsp);
    free(r->offs);
    free(r->colgather);
    free(r->rowgather);
    free(r->colall);
    free(r->rowall);
    free(r->metas);
    free(r->statall);
    free(r->chunk_grid);
    *r = (reduction){.total = {0, 0, 0, 0}};
}

/* Every buffer of the reduce phase is allocated before its first collective, at the sizes the
 * gathers will fill (a grid column holds all CR chunk rows of its w columns, a grid row all CC
 * chunk columns of its h rows), so that a failed allocation on any rank is agreed on instead
 * of crashing or stalling a gather. Returns the agreed error (the buffers freed on error). */
static int reduction_alloc(const mk_job *job, const options *o, const grid *g, int crank, int rrank, reduction *r,
                           mk_err *err)
{
    int root = job->world_rank == 0;
    uint64_t w = g->w, h = g->h, CR = g->CR, CC = g->CC;
    r->colsum = calloc(w ? w : 1, sizeof *r->colsum);
    r->rowsum = calloc(h ? h : 1, sizeof *r->rowsum);
    r->cnt = calloc((size_t)job->world_size, sizeof *r->cnt);
    r->dsp = calloc((size_t)job->world_size, sizeof *r->dsp);
    r->offs = calloc((size_t)job->world_size, sizeof *r->offs);
    r->colgather = crank == 0 ? malloc((CR * w > 0 ? CR * w : 1) * sizeof *r->colgather) : NULL;
    r->rowgather = rrank == 0 ? malloc((CC * h > 0 ? CC * h : 1) * sizeof *r->rowgather) : NULL;
    r->colall = root ? malloc(o->C * sizeof *r->colall) : NULL;
    r->rowall = root ? malloc(o->R * sizeof *r->rowall) : NULL;
    r->metas = root ? malloc(4 * sizeof *r->metas * (size_t)job->world_size) : NULL;
    r->statall = root ? malloc(CR * CC * sizeof *r->statall) : NULL;
    r->chunk_grid = root ? calloc(CR * CC, sizeof *r->chunk_grid) : NULL;
    if (mk_fault_hit("arraystats.alloc") || r->colsum == NULL || r->rowsum == NULL || r->cnt == NULL ||
        r->dsp == NULL || r->offs == NULL || (crank == 0 && r->colgather == NULL) ||
        (rrank == 0 && r->rowgather == NULL) ||
        (root && (r->colall == NULL || r->rowall == NULL || r->metas == NULL || r->statall == NULL ||
                  r->chunk_grid == NULL)))
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for the reduction (%llux%llu chunks)", (unsigned long long)CR,
                   (unsigned long long)CC);
    if (mk_err_agree(job->comm, err) != 0) {
        reduction_free(r);
        return -1;
    }
    return 0;
}

/* Gathers nparts partial vectors of length len over comm (each rank sends mine values) to its
 * rank 0 and adds them there in gather order: sum[k] += all[part * len + k]. */
static void gather_add(MPI_Comm comm, const double *part, int mine, double *all, uint64_t nparts, uint64_t len,
                       int *cnt, int *dsp, double *sum)
{
    int size, rank;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &rank);
    MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, comm);
    uint64_t tot = 0;
    for (int i = 0; i < size; i++) {
        dsp[i] = (int)tot;
        tot += (uint64_t)cnt[i];
    }
    MPI_Gatherv(part, mine, MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, 0, comm); /* tot == nparts * len */
    if (rank == 0)
        for (uint64_t b = 0; b < nparts; b++)
            for (uint64_t k = 0; k < len; k++)
                sum[k] += all[b * len + k];
}

/* Divides the n sums by count and places them at offset off of world rank 0's all[] (only
 * ranks that send != 0 contribute: the roots of the sub-communicators hold disjoint ranges). */
static void gather_means(MPI_Comm comm, double *sums, uint64_t n, int send, int off, double count, double *all,
                         reduction *r)
{
    int mine = send ? (int)n : 0;
    MPI_Gather(&mine, 1, MPI_INT, r->cnt, 1, MPI_INT, 0, comm);
    MPI_Gather(&off, 1, MPI_INT, r->offs, 1, MPI_INT, 0, comm);
    for (uint64_t k = 0; k < n; k++)
        sums[k] /= count;
    MPI_Gatherv(sums, mine, MPI_DOUBLE, all, r->cnt, r->offs, MPI_DOUBLE, 0, comm);
}

/* total: every chunk's stats to rank 0, placed by chunk index, merged in chunk order */
static void merge_chunks(const mk_job *job, const grid *g, const stat4 *cstat, reduction *r)
{
    uint64_t CC = g->CC, myc = g->kr.count * g->kc.count;
    uint64_t meta[4] = {g->kr.start, g->kr.count, g->kc.start, g->kc.count};
    MPI_Gather(meta, 4, MPI_UINT64_T, r->metas, 4, MPI_UINT64_T, 0, job->comm);
    int mine = (int)(4 * myc);
    MPI_Gather(&mine, 1, MPI_INT, r->cnt, 1, MPI_INT, 0, job->comm);
    uint64_t tot = 0;
    if (job->world_rank == 0)
        for (int i = 0; i < job->world_size; i++) {
            r->dsp[i] = (int)tot;
            tot += (uint64_t)r->cnt[i];
        }
    stat4 *all = r->statall; /* tot == 4 * CR * CC doubles */
    MPI_Gatherv(cstat, mine, MPI_DOUBLE, all, r->cnt, r->dsp, MPI_DOUBLE, 0, job->comm);
    r->total = (stat4){0, 0, 0, 0};
    if (job->world_rank == 0) {
        for (int i = 0; i < job->world_size; i++) {
            const uint64_t *m = r->metas + 4 * i;
            for (uint64_t a = 0; a < m[1]; a++)
                for (uint64_t b = 0; b < m[3]; b++)
                    r->chunk_grid[(m[0] + a) * CC + m[2] + b] = all[r->dsp[i] / 4 + a * m[3] + b];
        }
        for (uint64_t k = 0; k < g->CR * CC; k++)
            r->total = merge(r->total, r->chunk_grid[k]);
    }
    r->std = r->total.n > 0 ? sqrt(r->total.m2 / r->total.n) : 0;
    MPI_Bcast(&r->total, 4, MPI_DOUBLE, 0, job->comm);
    MPI_Bcast(&r->std, 1, MPI_DOUBLE, 0, job->comm);
}

/* reduce: axis=0 partials added in chunk-row order over the column communicators, axis=1 in
 * chunk-column order over the row communicators, the means to world rank 0, the chunk stats
 * merged. Returns the agreed error of the allocation (no collective fails after it). */
static int reduce(const mk_job *job, const options *o, const grid *g, const partials *p, reduction *r,
                  mk_err *err)
{
    int crank, rrank;
    MPI_Comm_rank(g->colcomm, &crank);
    MPI_Comm_rank(g->rowcomm, &rrank);
    if (reduction_alloc(job, o, g, crank, rrank, r, err) != 0)
        return -1;
    gather_add(g->colcomm, p->colpart, (int)(g->kr.count * g->w), r->colgather, g->CR, g->w, r->cnt, r->dsp,
               r->colsum);
    gather_add(g->rowcomm, p->rowpart, (int)(g->kc.count * g->h), r->rowgather, g->CC, g->h, r->cnt, r->dsp,
               r->rowsum);
    gather_means(job->comm, r->colsum, g->w, crank == 0, (int)g->c0, (double)o->R, r->colall, r);
    gather_means(job->comm, r->rowsum, g->h, rrank == 0, (int)g->r0, (double)o->C, r->rowall, r);
    merge_chunks(job, g, p->cstat, r);
    return 0;
}

/* save: means written by rank 0 (others take part with empty selections), stats as attributes;
 * the file committed. Returns the agreed error. */
static int save_results(const mk_job *job, const options *o, files *f, const reduction *r, int argc, char **argv,
                        mk_err *err)
{
    int root = job->world_rank == 0;
    H5Dclose(f->dsv);
    f->dsv = -1;
    hid_t d;
    uint64_t n1[1] = {o->C};
    if (mk_h5_dataset_create(&f->sv, "/col_mean", H5T_IEEE_F64LE, 1, n1, NULL, &d, err) == 0) {
        mk_h5_write_rows(&f->sv, d, H5T_NATIVE_DOUBLE, 0, root ? o->C : 0, r->colall, err);
        H5Dclose(d);
    }
    n1[0] = o->R;
    if (err->code == 0 && mk_h5_dataset_create(&f->sv, "/row_mean", H5T_IEEE_F64LE, 1, n1, NULL, &d, err) == 0) {
        mk_h5_write_rows(&f->sv, d, H5T_NATIVE_DOUBLE, 0, root ? o->R : 0, r->rowall, err);
        H5Dclose(d);
    }
    if (err->code == 0)
        mk_h5_provenance(&f->sv, "arraystats", argc, argv, err);
    if (err->code == 0) {
        mk_h5_attr_f64(&f->sv, "/", "sum", r->total.sum, err);
        mk_h5_attr_f64(&f->sv, "/", "mean", r->total.sum / r->total.n, err);
        mk_h5_attr_f64(&f->sv, "/", "std", r->std, err);
        mk_h5_attr_i64(&f->sv, "/", "chunk_rows", (int64_t)o->cr, err);
        mk_h5_attr_i64(&f->sv, "/", "chunk_cols", (int64_t)o->cc, err);
        mk_h5_attr_str(&f->sv, "/x", "description", "the array the statistics are of, chunked as --chunks", err);
        mk_h5_attr_str(&f->sv, "/col_mean", "description", "mean of each column of /x", err);
        mk_h5_attr_str(&f->sv, "/row_mean", "description", "mean of each row of /x", err);
    }
    if (mk_err_agree(job->comm, err) != 0 || mk_h5_commit(&f->sv, "/x", err) != 0)
        return -1;
    return 0;
}

static void report(FILE *out, const options *o, const grid *g, const reduction *r, const mk_timing_stats *ts,
                   double smax, double rss_max, int nranks)
{
    char shape[64], chunks[64], gridtext[32];
    snprintf(shape, sizeof shape, "%llux%llu", (unsigned long long)o->R, (unsigned long long)o->C);
    snprintf(chunks, sizeof chunks, "%llux%llu", (unsigned long long)o->cr, (unsigned long long)o->cc);
    snprintf(gridtext, sizeof gridtext, "%dx%d", g->dims[0], g->dims[1]);
    const char *cols[] = {"shape", "chunks", "grid", "sum", "mean", "std", "col_mean_0", "row_mean_0"};
    mk_table *t = mk_table_new("stats", "array statistics (std with ddof=0, like numpy)", 8, cols);
    mk_table_str(t, shape);
    mk_table_str(t, chunks);
    mk_table_str(t, gridtext);
    mk_table_f64(t, "%.10g", r->total.sum);
    mk_table_f64(t, "%.10g", r->total.sum / r->total.n);
    mk_table_f64(t, "%.10g", r->std);
    mk_table_f64(t, "%.10g", r->colall[0]);
    mk_table_f64(t, "%.10g", r->rowall[0]);
    mk_table *tables[3] = {t, NULL, NULL};
    int nt = 1;
    if (o->timing) {
        tables[nt++] = mk_timing_table(ts, 0);
        const char *scols[] = {"ranks", "bytes", "seconds", "GB_s", "peak_rss_MiB_per_rank"};
        mk_table *s = mk_table_new("summary", "throughput (array bytes over the slowest rank's time)", 5, scols);
        double bytes = (double)o->R * (double)o->C * 8.0;
        mk_table_i64(s, nranks);
        mk_table_u64(s, (uint64_t)bytes);
        mk_table_f64(s, "%.3f", smax);
        mk_table_f64(s, "%.3f", smax > 0 ? bytes / 1e9 / smax : 0);
        mk_table_f64(s, "%.1f", rss_max);
        tables[nt++] = s;
    }
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, ARRAYSTATS_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

static void partials_free(partials *p)
{
    free(p->band);
    free(p->colpart);
    free(p->rowpart);
    free(p->cstat);
}

/* The agreed error path: the saved file abandoned (nothing left at its name), the input closed. */
static void fail(const mk_job *job, files *f, partials *p, reduction *r, const mk_err *err) __attribute__((noreturn));
static void fail(const mk_job *job, files *f, partials *p, reduction *r, const mk_err *err)
{
    if (f->dsv >= 0)
        H5Dclose(f->dsv);
    mk_h5_abandon(&f->sv);
    if (f->din >= 0)
        H5Dclose(f->din);
    mk_h5_close(&f->in);
    reduction_free(r);
    partials_free(p);
    mk_job_exit_error(job, err);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "arraystats", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);
    mk_h5_quiet(o.debug);

    phases ph;
    phases_init(&ph);
    double t0 = mk_now();
    files f = {.in = {.file = -1}, .sv = {.file = -1}, .din = -1, .dsv = -1};
    open_input(&job, &o, &f, &err);
    grid g;
    make_grid(&job, &o, &g);
    partials p = {0};
    reduction r = {.total = {0, 0, 0, 0}};
    if (prepare(&job, &o, &g, &p, &f, &err) != 0 || sweep(&job, &o, &g, &p, &f, &ph, &err) != 0)
        fail(&job, &f, &p, &r, &err);
    mk_timing_start(&ph.tm, ph.reduce);
    if (reduce(&job, &o, &g, &p, &r, &err) != 0)
        fail(&job, &f, &p, &r, &err);
    mk_timing_stop(&ph.tm, ph.reduce);
    if (f.dsv >= 0) {
        mk_timing_start(&ph.tm, ph.save);
        if (save_results(&job, &o, &f, &r, argc, argv, &err) != 0)
            fail(&job, &f, &p, &r, &err);
        mk_timing_stop(&ph.tm, ph.save);
    }

    /* run summary: the slowest rank's time, the largest peak memory, the phase times */
    double seconds = mk_now() - t0, smax = 0;
    MPI_Reduce(&seconds, &smax, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double rss = (double)usage.ru_maxrss / 1024.0, rss_max = 0;
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
    mk_timing_stats ts;
    mk_timing_reduce(&ph.tm, job.comm, &ts);

    if (out != NULL)
        report(out, &o, &g, &r, &ts, smax, rss_max, job.world_size);
    reduction_free(&r);
    partials_free(&p);
    if (f.din >= 0)
        H5Dclose(f.din);
    mk_h5_close(&f.in);
    MPI_Comm_free(&g.colcomm);
    MPI_Comm_free(&g.rowcomm);
    MPI_Comm_free(&g.cart);
    mk_job_end(&job);
}
