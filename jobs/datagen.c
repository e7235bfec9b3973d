/* datagen - write the tutorial table and/or the normal array to HDF5 (or the table to CSV), in
 * parallel, for the other jobs and for pipelines.
 *
 *   usage: mpirun -n 4 datagen [--rows N] [--shape RxC] [--chunks RxC] [--seed S] -o out.h5
 *
 *   rows        |  rank 0  |  rank 1  |  rank 2  |  rank 3  |   mk_block_range (array_split)
 *   table       A,B,C,D(row) = mk_rng_below(seed, row*4 + col, 100)     (same as `table --rows N`)
 *   array       x(i,j) = mk_rng_std_normal(seed, 0, i*C + j)           (same as `arraystats --shape`)
 *                    |          |          |          |
 *   write       collective hyperslab writes (H5Pset_fapl_mpio), bands of chunk rows
 *                    v          v          v          v
 *   file        out.h5.tmp-XXXXXX: /A /B /C /D  (int64 columns), /x (float64, chunked)
 *   commit      every rank agrees, rank 0 reopens it and renames it to out.h5
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/h5.h"
#include "mpikit/job.h"
#include "mpikit/outfile.h"
#include "mpikit/partition.h"
#include "mpikit/report.h"
#include "mpikit/rng.h"
#include "mpikit/table.h"
#include "mpikit/timing.h"

typedef struct {
    int64_t rows, seed;
    const char *shape, *chunks, *output;
    uint64_t R, C, cr, cc; /* --shape and --chunks */
    int debug;
} options;

static int parse_pair(const char *text, uint64_t *a, uint64_t *b)
{
    /* digits 'x' digits and nothing else: strtoull alone would take signs and spaces */
    char *end;
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(text, &end, 10), y = 0;
    if (*end != 'x' || end[1] < '0' || end[1] > '9')
        return -1;
    y = strtoull(end + 1, &end, 10);
    if (errno != 0 || *end != '\0' || x < 1 || y < 1 || x > (1ULL << 40) || y > (1ULL << 40))
        return -1;
    *a = x;
    *b = y;
    return 0;
}

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.rows = -1, .seed = 1, .chunks = "100x100"};
    const mk_option opts[] = {
        {"rows", 'n', MK_OPT_INT, &o->rows, "N", "write the A,B,C,D table of N rows", 0, INT32_MAX, 0, 0, NULL},
        {"shape", 's', MK_OPT_STRING, &o->shape, "RxC", "write the R x C array of normals as /x", 0, 0, 0, 0, NULL},
        {"chunks", 'c', MK_OPT_STRING, &o->chunks, "RxC", "HDF5 chunk shape of /x (default 100x100)", 0, 0, 0, 0,
         NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random stream (default 1)", 0, INT64_MAX, 0, 0, NULL},
        {"output", 'o', MK_OPT_STRING, &o->output, "FILE", "output: .h5 (table and/or array) or .csv (table)", 0, 0,
         0, 0, NULL},
        {"debug", 0, MK_OPT_FLAG, &o->debug, NULL, "show HDF5's own error stack", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {.prog = "datagen",
                        .usage = "[--rows N] [--shape RxC] -o FILE",
                        .summary = "Write the seeded table (columns A, B, C, D: integers 0..99) and/or the array of\n"
                                   "standard normals to HDF5 in parallel; the table can also go to CSV.",
                        .opts = opts,
                        .nopts = (int)(sizeof opts / sizeof opts[0]),
                        .min_positional = 0,
                        .max_positional = 0};
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK) {
        if (o->output == NULL)
            mk_err_set(err, MK_EXIT_USAGE, "missing --output FILE");
        else if (o->rows < 0 && o->shape == NULL)
            mk_err_set(err, MK_EXIT_USAGE, "nothing to write: give --rows N and/or --shape RxC");
        else if (o->shape != NULL && parse_pair(o->shape, &o->R, &o->C) != 0)
            mk_err_set(err, MK_EXIT_USAGE, "--shape '%s': expected ROWSxCOLS", o->shape);
        else if (parse_pair(o->chunks, &o->cr, &o->cc) != 0)
            mk_err_set(err, MK_EXIT_USAGE, "--chunks '%s': expected ROWSxCOLS", o->chunks);
        else if (!mk_h5_is_h5_path(o->output) && o->shape != NULL)
            mk_err_set(err, MK_EXIT_USAGE, "the array needs an HDF5 output (.h5)");
    }
    return rc;
}

/* split: this rank's block of the table's rows (mine), filled from the seeded stream. */
static void make_table(const mk_job *job, const options *o, mk_frame *tab, mk_range *mine, mk_err *err)
{
    memset(tab, 0, sizeof *tab);
    *mine = (mk_range){0, 0};
    if (o->rows >= 0) {
        const char *names[] = {"A", "B", "C", "D"};
        *mine = mk_block_range((uint64_t)o->rows, job->world_size, job->world_rank);
        if (mk_frame_init(tab, 4, names, mine->count, err) == 0)
            mk_frame_fill_random(tab, (uint64_t)o->seed, mine->start);
    }
}

/* CSV: concat on rank 0, written to a temporary and renamed. Frees tab; returns the agreed error. */
static int write_csv(const mk_job *job, const options *o, mk_frame *tab, mk_err *err)
{
    mk_frame all;
    if (mk_frame_gather(job->comm, 0, tab, &all, err) == 0 && job->world_rank == 0) {
        mk_outfile of;
        if (mk_outfile_begin(&of, o->output, "output", err) == 0) {
            if (mk_frame_write_csv(of.fp, &all) != 0) {
                mk_outfile_abandon(&of);
                mk_err_set(err, MK_EXIT_FAILURE, "cannot write output '%s': %s", o->output, strerror(errno));
            } else {
                mk_outfile_commit(&of, o->output, err);
            }
        }
        mk_frame_free(&all);
    }
    mk_frame_free(tab);
    return mk_err_agree(job->comm, err);
}

/* The array: this rank's rows, one band of chunk rows per collective write (every rank takes
 * part in max_bands writes, empty ones past its last band). */
static void write_array(const mk_job *job, const options *o, mk_h5 *h, mk_err *err)
{
    uint64_t R = o->R, C = o->C;
    hid_t d;
    uint64_t dims[2] = {R, C}, ch[2] = {o->cr, o->cc};
    mk_range rows = mk_block_range(R, job->world_size, job->world_rank);
    uint64_t band_rows = o->cr > R ? R : o->cr;
    double *band = malloc(band_rows * C * sizeof *band); /* NOLINT(clang-analyzer-optin.portability.UnixAPI): R, C >= 1 */
    if (band == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory for %llu rows of %llu", (unsigned long long)band_rows,
                   (unsigned long long)C);
    if (mk_err_agree(job->comm, err) == 0 && mk_h5_dataset_create(h, "/x", H5T_IEEE_F64LE, 2, dims, ch, &d, err) == 0) {
        uint64_t bands = (rows.count + band_rows - 1) / band_rows, max_bands = 0;
        MPI_Allreduce(&bands, &max_bands, 1, MPI_UINT64_T, MPI_MAX, job->comm);
        for (uint64_t b = 0; b < max_bands && err->code == 0; b++) {
            uint64_t r0 = rows.start + b * band_rows;
            uint64_t n = b < bands ? (r0 + band_rows <= rows.start + rows.count ? band_rows
                                                                                  : rows.start + rows.count - r0)
                                   : 0;
            for (uint64_t i = 0; i < n; i++)
                mk_rng_std_normals((uint64_t)o->seed, 0, (r0 + i) * C, C, band + i * C);
            mk_h5_write_rows(h, d, H5T_NATIVE_DOUBLE, n ? r0 : 0, n, band, err);
        }
        H5Dclose(d);
    }
    free(band);
}

/* HDF5: the table's columns and/or the array into a temporary, committed when every rank agrees.
 * Frees tab; returns non-zero on an agreed error (nothing left at the output name). */
static int write_h5(const mk_job *job, const options *o, mk_frame *tab, mk_range mine, int argc, char **argv,
                    mk_err *err)
{
    mk_h5 h;
    if (mk_h5_create(&h, job->comm, o->output, err) != 0)
        return -1;
    mk_h5_provenance(&h, "datagen", argc, argv, err);
    if (err->code == 0 && o->rows >= 0)
        mk_frame_write_h5(&h, tab, mine.start, (uint64_t)o->rows, 0, err);
    mk_frame_free(tab);
    if (err->code == 0 && o->shape != NULL)
        write_array(job, o, &h, err);
    if (mk_err_agree(job->comm, err) != 0) {
        mk_h5_abandon(&h);
        return -1;
    }
    if (o->shape != NULL)
        mk_h5_attr_str(&h, "/x", "description", "standard normals, row-major; value (i, j) is normal number "
                       "i * columns + j of the stream --seed names", err);
    return mk_h5_commit(&h, o->shape != NULL ? "/x" : "/A", err) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "datagen", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    if (rc == MK_CLI_EXIT)
        mk_job_end(&job);
    if (err.code != 0)
        mk_job_exit_error(&job, &err);
    mk_h5_quiet(o.debug);
    double t0 = mk_now();

    mk_frame tab;
    mk_range mine;
    make_table(&job, &o, &tab, &mine, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    int failed = mk_h5_is_h5_path(o.output) ? write_h5(&job, &o, &tab, mine, argc, argv, &err)
                                            : write_csv(&job, &o, &tab, &err);
    if (failed)
        mk_job_exit_error(&job, &err);

    /* report: bytes of data written over the slowest rank's time */
    uint64_t bytes = (o.rows >= 0 ? (uint64_t)o.rows * 32 : 0) + (o.shape != NULL ? o.R * o.C * 8 : 0);
    double s = mk_now() - t0, smax = 0;
    MPI_Reduce(&s, &smax, 1, MPI_DOUBLE, MPI_MAX, 0, job.comm);
    if (out != NULL)
        fprintf(out, "datagen: wrote %s (%llu bytes of data) in %.3f s, %.1f MB/s, %d ranks\n", o.output,
                (unsigned long long)bytes, smax, smax > 0 ? (double)bytes / 1e6 / smax : 0, job.world_size);
    mk_job_end(&job);
}
