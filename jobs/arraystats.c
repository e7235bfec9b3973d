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

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "arraystats", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    if (rc != MK_CLI_EXIT && mk_err_agree(job.comm, &err) != 0) /* the output check stats files */
        rc = MK_CLI_ERROR;
    mk_job_parsed(&job, rc, &err);
    mk_h5_quiet(o.debug);

    mk_timing tm;
    mk_timing_init(&tm);
    int ph_compute = mk_timing_phase(&tm, "generate+chunks");
    int ph_read = mk_timing_phase(&tm, "read");
    int ph_reduce = mk_timing_phase(&tm, "reduce");
    int ph_save = mk_timing_phase(&tm, "save");
    double t0 = mk_now();

    /* input: the dataset's shape replaces --shape */
    mk_h5 in = {.file = -1}, sv = {.file = -1};
    hid_t din = -1, dsv = -1;
    char in_file[4096], in_ds[1024];
    if (o.input != NULL) {
        if (mk_h5_split_spec(o.input, in_file, sizeof in_file, in_ds, sizeof in_ds, "/x") != 0) {
            mk_err_set(&err, MK_EXIT_USAGE, "--input '%s': expected FILE.h5 or FILE.h5:/DATASET", o.input);
            mk_job_exit_error(&job, &err);
        }
        if (mk_h5_open(&in, job.comm, in_file, &err) != 0)
            mk_job_exit_error(&job, &err);
        uint64_t dims[2];
        mk_h5_dataset_open(&in, in_ds, MK_H5_NUMERIC, 2, dims, &din, &err);
        if (mk_err_agree(job.comm, &err) != 0) {
            if (din >= 0)
                H5Dclose(din);
            mk_h5_close(&in);
            mk_job_exit_error(&job, &err);
        }
        o.R = dims[0];
        o.C = dims[1];
        if (o.R == 0 || o.C == 0) {
            mk_err_set(&err, MK_EXIT_FAILURE, "dataset '%s' in '%s' is empty (%llux%llu)", in_ds, in_file,
                       (unsigned long long)o.R, (unsigned long long)o.C);
            mk_job_exit_error(&job, &err);
        }
    }
    if (o.cr > o.R)
        o.cr = o.R;
    if (o.cc > o.C)
        o.cc = o.C;

    /* grid: pr x pc ranks; sub-communicators along each dimension */
    int dims[2] = {0, 0}, periods[2] = {0, 0}, coords[2];
    MPI_Dims_create(job.world_size, 2, dims);
    MPI_Comm cart, colcomm, rowcomm;
    MPI_Cart_create(job.comm, 2, dims, periods, 0, &cart);
    MPI_Cart_coords(cart, job.world_rank, 2, coords);
    int keep_rows[2] = {1, 0}, keep_cols[2] = {0, 1};
    MPI_Cart_sub(cart, keep_rows, &colcomm); /* same grid column: ranks that share columns */
    MPI_Cart_sub(cart, keep_cols, &rowcomm); /* same grid row: ranks that share rows */

    uint64_t CR = ceil_div(o.R, o.cr), CC = ceil_div(o.C, o.cc);
    mk_range kr = mk_block_range(CR, dims[0], coords[0]), kc = mk_block_range(CC, dims[1], coords[1]);
    uint64_t r0 = kr.start * o.cr, r1 = (kr.start + kr.count) * o.cr;
    uint64_t c0 = kc.start * o.cc, c1 = (kc.start + kc.count) * o.cc;
    if (r1 > o.R)
        r1 = o.R;
    if (c1 > o.C)
        c1 = o.C;
    uint64_t h = kr.count ? r1 - r0 : 0, w = kc.count ? c1 - c0 : 0;

    /* per-rank partials: column sums per chunk row, row sums per chunk column, chunk stats.
     * The band holds a chunk row only when it is read or saved; generated data needs one row. */
    uint64_t band_rows = o.input != NULL || o.save != NULL ? o.cr : 1;
    double *band = mk_fault_hit("arraystats.alloc") ? NULL : malloc((band_rows * (w ? w : 1)) * sizeof *band);
    double *colpart = calloc((kr.count ? kr.count : 1) * (w ? w : 1), sizeof *colpart);
    double *rowpart = calloc((kc.count ? kc.count : 1) * (h ? h : 1), sizeof *rowpart); /* [j][row] */
    stat4 *cstat = calloc((kr.count ? kr.count : 1) * (kc.count ? kc.count : 1), sizeof *cstat);
    if (band == NULL || colpart == NULL || rowpart == NULL || cstat == NULL)
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory for a band of %llux%llu", (unsigned long long)o.cr,
                   (unsigned long long)w);
    if (o.save != NULL && mk_err_agree(job.comm, &err) == 0 && mk_h5_create(&sv, job.comm, o.save, &err) == 0) {
        uint64_t d2[2] = {o.R, o.C}, ch[2] = {o.cr, o.cc};
        mk_h5_dataset_create(&sv, "/x", H5T_IEEE_F64LE, 2, d2, ch, &dsv, &err);
    }
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    uint64_t my_bands = kr.count, max_bands = 0;
    MPI_Allreduce(&my_bands, &max_bands, 1, MPI_UINT64_T, MPI_MAX, job.comm);
    mk_progress bar;
    mk_progress_begin(&bar, mk_progress_wanted(o.progress, o.no_progress, job.world_rank) ? stderr : NULL,
                      "arraystats chunks (rank 0)", "chunks", kr.count * kc.count);
    for (uint64_t b = 0; b < max_bands; b++) {
        int have = b < my_bands && w > 0;
        uint64_t br0 = r0 + b * o.cr, bh = 0;
        if (have) {
            bh = br0 + o.cr <= o.R ? o.cr : o.R - br0;
        }
        uint64_t start[2] = {br0, c0}, count[2] = {bh, have ? w : 0};
        if (din >= 0) {
            /* collective: ranks past their last band take part with an empty selection */
            mk_timing_start(&tm, ph_read);
            if (mk_h5_read_block(&in, din, H5T_NATIVE_DOUBLE, start, count, band, &err) != 0)
                break;
            mk_timing_stop(&tm, ph_read);
        }
        mk_timing_start(&tm, ph_compute);
        for (uint64_t i = 0; have && i < bh; i++) {
            double *x = band + (band_rows > 1 ? i * w : 0);
            if (din < 0)
                mk_rng_std_normals((uint64_t)o.seed, 0, (br0 + i) * o.C + c0, w, x);
            add_row(x, w, o.cc, kc.count, colpart + b * w, rowpart + b * o.cr + i, h, cstat + b * kc.count);
        }
        if (have)
            mk_progress_add(&bar, kc.count);
        mk_timing_stop(&tm, ph_compute);
        if (dsv >= 0) {
            mk_timing_start(&tm, ph_save);
            if (mk_h5_write_block(&sv, dsv, H5T_NATIVE_DOUBLE, start, count, band, &err) != 0)
                break;
            mk_timing_stop(&tm, ph_save);
        }
    }
    mk_progress_end(&bar);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    /* axis=0: gather the column partials of every chunk row over the column communicator,
     * add them in chunk-row order on its rank 0 (grid row 0) */
    mk_timing_start(&tm, ph_reduce);
    int csize, crank, rsize, rrank;
    MPI_Comm_size(colcomm, &csize);
    MPI_Comm_rank(colcomm, &crank);
    MPI_Comm_size(rowcomm, &rsize);
    MPI_Comm_rank(rowcomm, &rrank);
    /* Every buffer of the reduce phase is allocated before its first collective, at the sizes
     * the gathers will fill (a grid column holds all CR chunk rows of its w columns, a grid row
     * all CC chunk columns of its h rows), so that a failed allocation on any rank is agreed on
     * instead of crashing or stalling a gather. */
    int root = job.world_rank == 0;
    double *colsum = calloc(w ? w : 1, sizeof *colsum), *rowsum = calloc(h ? h : 1, sizeof *rowsum);
    int *cnt = calloc((size_t)job.world_size, sizeof *cnt), *dsp = calloc((size_t)job.world_size, sizeof *dsp);
    int *offs = calloc((size_t)job.world_size, sizeof *offs);
    double *colgather = crank == 0 ? malloc((CR * w > 0 ? CR * w : 1) * sizeof *colgather) : NULL;
    double *rowgather = rrank == 0 ? malloc((CC * h > 0 ? CC * h : 1) * sizeof *rowgather) : NULL;
    double *colall = root ? malloc(o.C * sizeof *colall) : NULL, *rowall = root ? malloc(o.R * sizeof *rowall) : NULL;
    uint64_t *metas = root ? malloc(4 * sizeof *metas * (size_t)job.world_size) : NULL;
    stat4 *statall = root ? malloc(CR * CC * sizeof *statall) : NULL, *chunk_grid = root ? calloc(CR * CC, sizeof *chunk_grid) : NULL;
    if (mk_fault_hit("arraystats.alloc") || colsum == NULL || rowsum == NULL || cnt == NULL || dsp == NULL ||
        offs == NULL || (crank == 0 && colgather == NULL) || (rrank == 0 && rowgather == NULL) ||
        (root && (colall == NULL || rowall == NULL || metas == NULL || statall == NULL || chunk_grid == NULL)))
        mk_err_set(&err, MK_EXIT_FAILURE, "out of memory for the reduction (%llux%llu chunks)", (unsigned long long)CR,
                   (unsigned long long)CC);
    if (mk_err_agree(job.comm, &err) != 0) {
        free(colsum);
        free(rowsum);
        free(cnt);
        free(dsp);
        free(offs);
        free(colgather);
        free(rowgather);
        free(colall);
        free(rowall);
        free(metas);
        free(statall);
        free(chunk_grid);
        goto fail;
    }
    {
        int mine = (int)(kr.count * w);
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, colcomm);
        uint64_t tot = 0;
        for (int i = 0; i < csize; i++) {
            dsp[i] = (int)tot;
            tot += (uint64_t)cnt[i];
        }
        double *all = colgather; /* tot == CR * w */
        MPI_Gatherv(colpart, mine, MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, 0, colcomm);
        if (crank == 0)
            for (uint64_t b = 0; b < CR; b++)
                for (uint64_t j = 0; j < w; j++)
                    colsum[j] += all[b * w + j];
    }
    /* axis=1: the same over the row communicator, in chunk-column order */
    {
        int mine = (int)(kc.count * h);
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, rowcomm);
        uint64_t tot = 0;
        for (int i = 0; i < rsize; i++) {
            dsp[i] = (int)tot;
            tot += (uint64_t)cnt[i];
        }
        double *all = rowgather; /* tot == CC * h */
        MPI_Gatherv(rowpart, mine, MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, 0, rowcomm);
        if (rrank == 0)
            for (uint64_t j = 0; j < CC; j++)
                for (uint64_t i = 0; i < h; i++)
                    rowsum[i] += all[j * h + i];
    }
    /* means to world rank 0: the roots of the sub-communicators hold disjoint ranges */
    {
        int mine = crank == 0 ? (int)w : 0, off = (int)c0;
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, job.comm);
        MPI_Gather(&off, 1, MPI_INT, offs, 1, MPI_INT, 0, job.comm);
        for (uint64_t j = 0; j < w; j++)
            colsum[j] /= (double)o.R;
        MPI_Gatherv(colsum, mine, MPI_DOUBLE, colall, cnt, offs, MPI_DOUBLE, 0, job.comm);
        mine = rrank == 0 ? (int)h : 0;
        off = (int)r0;
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, job.comm);
        MPI_Gather(&off, 1, MPI_INT, offs, 1, MPI_INT, 0, job.comm);
        for (uint64_t i = 0; i < h; i++)
            rowsum[i] /= (double)o.C;
        MPI_Gatherv(rowsum, mine, MPI_DOUBLE, rowall, cnt, offs, MPI_DOUBLE, 0, job.comm);
    }
    /* total: every chunk's stats to rank 0, placed by chunk index, merged in chunk order */
    stat4 total = {0, 0, 0, 0};
    {
        uint64_t myc = kr.count * kc.count;
        uint64_t meta[4] = {kr.start, kr.count, kc.start, kc.count};
        MPI_Gather(meta, 4, MPI_UINT64_T, metas, 4, MPI_UINT64_T, 0, job.comm);
        int mine = (int)(4 * myc);
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, job.comm);
        uint64_t tot = 0;
        if (job.world_rank == 0)
            for (int i = 0; i < job.world_size; i++) {
                dsp[i] = (int)tot;
                tot += (uint64_t)cnt[i];
            }
        stat4 *all = statall; /* tot == 4 * CR * CC doubles */
        MPI_Gatherv(cstat, mine, MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, 0, job.comm);
        if (job.world_rank == 0) {
            for (int i = 0; i < job.world_size; i++) {
                const uint64_t *m = metas + 4 * i;
                for (uint64_t a = 0; a < m[1]; a++)
                    for (uint64_t b = 0; b < m[3]; b++)
                        chunk_grid[(m[0] + a) * CC + m[2] + b] = all[dsp[i] / 4 + a * m[3] + b];
            }
            for (uint64_t k = 0; k < CR * CC; k++)
                total = merge(total, chunk_grid[k]);
        }
    }
    double std = total.n > 0 ? sqrt(total.m2 / total.n) : 0;
    MPI_Bcast(&total, 4, MPI_DOUBLE, 0, job.comm);
    MPI_Bcast(&std, 1, MPI_DOUBLE, 0, job.comm);
    mk_timing_stop(&tm, ph_reduce);

    /* save: means written by rank 0 (others take part with empty selections), stats as attributes */
    if (dsv >= 0) {
        mk_timing_start(&tm, ph_save);
        H5Dclose(dsv);
        dsv = -1;
        hid_t d;
        uint64_t n1[1] = {o.C};
        if (mk_h5_dataset_create(&sv, "/col_mean", H5T_IEEE_F64LE, 1, n1, NULL, &d, &err) == 0) {
            mk_h5_write_rows(&sv, d, H5T_NATIVE_DOUBLE, 0, job.world_rank == 0 ? o.C : 0, colall, &err);
            H5Dclose(d);
        }
        n1[0] = o.R;
        if (err.code == 0 && mk_h5_dataset_create(&sv, "/row_mean", H5T_IEEE_F64LE, 1, n1, NULL, &d, &err) == 0) {
            mk_h5_write_rows(&sv, d, H5T_NATIVE_DOUBLE, 0, job.world_rank == 0 ? o.R : 0, rowall, &err);
            H5Dclose(d);
        }
        if (err.code == 0)
            mk_h5_provenance(&sv, "arraystats", argc, argv, &err);
        if (err.code == 0) {
            mk_h5_attr_f64(&sv, "/", "sum", total.sum, &err);
            mk_h5_attr_f64(&sv, "/", "mean", total.sum / total.n, &err);
            mk_h5_attr_f64(&sv, "/", "std", std, &err);
            mk_h5_attr_i64(&sv, "/", "chunk_rows", (int64_t)o.cr, &err);
            mk_h5_attr_i64(&sv, "/", "chunk_cols", (int64_t)o.cc, &err);
            mk_h5_attr_str(&sv, "/x", "description", "the array the statistics are of, chunked as --chunks", &err);
            mk_h5_attr_str(&sv, "/col_mean", "description", "mean of each column of /x", &err);
            mk_h5_attr_str(&sv, "/row_mean", "description", "mean of each row of /x", &err);
        }
        if (mk_err_agree(job.comm, &err) != 0 || mk_h5_commit(&sv, "/x", &err) != 0)
            goto fail;
        mk_timing_stop(&tm, ph_save);
    }
    double seconds = mk_now() - t0, smax = 0;
    MPI_Reduce(&seconds, &smax, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double rss = (double)usage.ru_maxrss / 1024.0, rss_max = 0;
    MPI_Reduce(&rss, &rss_max, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
    mk_timing_stats ts;
    mk_timing_reduce(&tm, job.comm, &ts);

    if (out != NULL) {
        char shape[64], chunks[64], grid[32];
        snprintf(shape, sizeof shape, "%llux%llu", (unsigned long long)o.R, (unsigned long long)o.C);
        snprintf(chunks, sizeof chunks, "%llux%llu", (unsigned long long)o.cr, (unsigned long long)o.cc);
        snprintf(grid, sizeof grid, "%dx%d", dims[0], dims[1]);
        const char *cols[] = {"shape", "chunks", "grid", "sum", "mean", "std", "col_mean_0", "row_mean_0"};
        mk_table *t = mk_table_new("stats", "array statistics (std with ddof=0, like numpy)", 8, cols);
        mk_table_str(t, shape);
        mk_table_str(t, chunks);
        mk_table_str(t, grid);
        mk_table_f64(t, "%.10g", total.sum);
        mk_table_f64(t, "%.10g", total.sum / total.n);
        mk_table_f64(t, "%.10g", std);
        mk_table_f64(t, "%.10g", colall[0]);
        mk_table_f64(t, "%.10g", rowall[0]);
        mk_table *tables[3] = {t, NULL, NULL};
        int nt = 1;
        if (o.timing) {
            tables[nt++] = mk_timing_table(&ts, 0);
            const char *scols[] = {"ranks", "bytes", "seconds", "GB_s", "peak_rss_MiB_per_rank"};
            mk_table *s = mk_table_new("summary", "throughput (array bytes over the slowest rank's time)", 5, scols);
            double bytes = (double)o.R * (double)o.C * 8.0;
            mk_table_i64(s, job.world_size);
            mk_table_u64(s, (uint64_t)bytes);
            mk_table_f64(s, "%.3f", smax);
            mk_table_f64(s, "%.3f", smax > 0 ? bytes / 1e9 / smax : 0);
            mk_table_f64(s, "%.1f", rss_max);
            tables[nt++] = s;
        }
        (void)mk_report_print(out, tables, nt, (mk_format)o.format, ARRAYSTATS_TABLES, o.table);
        for (int i = 0; i < nt; i++)
            mk_table_free(tables[i]);
    }
    free(colall);
    free(rowall);
    free(colgather);
    free(rowgather);
    free(metas);
    free(statall);
    free(chunk_grid);
    free(offs);
    free(colsum);
    free(rowsum);
    free(cnt);
    free(dsp);
    free(band);
    free(colpart);
    free(rowpart);
    free(cstat);
    if (din >= 0)
        H5Dclose(din);
    mk_h5_close(&in);
    MPI_Comm_free(&colcomm);
    MPI_Comm_free(&rowcomm);
    MPI_Comm_free(&cart);
    mk_job_end(&job);

fail:
    if (dsv >= 0)
        H5Dclose(dsv);
    mk_h5_abandon(&sv);
    if (din >= 0)
        H5Dclose(din);
    mk_h5_close(&in);
    mk_job_exit_error(&job, &err);
}
