/* table - split-apply-combine on a table, the pandas + multiprocessing tutorial with MPI.
 *
 *   usage: mpirun -n 4 table [--rows 100 | --input t.csv|t.h5] [--partitions 7] [--apply 'K=2*A']
 *                            [--groupby B --agg sum:A,mean:C,count] [-o out.csv|out.h5]
 *
 *   rank 0     load: generate (seeded A,B,C,D in 0..99), read CSV, or read HDF5 columns
 *   split      numpy.array_split into P partitions; rank r takes partitions
 *              mk_block_range(P, ranks, r), i.e. one run of consecutive rows
 *                 | p0 p1 | p2 p3 | p4 p5 | p6 |          P = 7 on 4 ranks
 *   scatter    MPI_Scatterv, one column at a time
 *   apply      each partition: K = expression over its columns (a compiled, safe
 *              language: + - * / ( ) numbers and column names only)
 *   combine    (a) concat: MPI_Gatherv back to rank 0, in row order
 *              (b) parallel write: every rank writes its rows straight into the
 *                  HDF5 column datasets (collective hyperslabs), no gather
 *   groupby    hash shuffle: row -> rank hash(key) % ranks (MPI_Alltoallv); each group
 *              lives on one rank, which aggregates it; rows arrive in global row order,
 *              so sums equal the serial groupby bit for bit
 *   check      rank 0 also runs the serial version and compares; times of all three reported
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/h5.h"
#include "mpikit/job.h"
#include "mpikit/outfile.h"
#include "mpikit/partition.h"
#include "mpikit/report.h"
#include "mpikit/samefile.h"
#include "mpikit/table.h"
#include "mpikit/timing.h"

typedef struct {
    int64_t rows, seed, partitions, head;
    const char *input, *apply, *groupby, *agg, *output;
    int format, timing, verbose, debug;
} options;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.rows = 100, .seed = 1, .partitions = 0, .head = 5};
    const mk_option opts[] = {
        {"rows", 'n', MK_OPT_INT, &o->rows, "N", "generated table of N rows (default 100)", 0, INT32_MAX, 0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random stream of the generated table (default 1)", 0, INT64_MAX, 0,
         0, NULL},
        {"input", 'i', MK_OPT_STRING, &o->input, "FILE", "read a table: .csv (header + numbers) or .h5 (columns)",
         0, 0, 0, 0, NULL},
        {"partitions", 'p', MK_OPT_INT, &o->partitions, "P", "array_split partitions (default: the rank count)", 1,
         1 << 20, 0, 0, NULL},
        {"apply", 'a', MK_OPT_STRING, &o->apply, "NAME=EXPR",
         "add a column (default K=2*A unless --groupby): + - * / ( ), numbers, columns", 0, 0, 0, 0, NULL},
        {"groupby", 'g', MK_OPT_STRING, &o->groupby, "COL", "group rows by a column (hash shuffle)", 0, 0, 0, 0,
         NULL},
        {"agg", 0, MK_OPT_STRING, &o->agg, "SPEC", "aggregations, e.g. sum:A,mean:C,count (default count)", 0, 0, 0,
         0, NULL},
        {"output", 'o', MK_OPT_STRING, &o->output, "FILE", "write the result: .csv or .h5 (column datasets)", 0, 0,
         0, 0, NULL},
        {"head", 0, MK_OPT_INT, &o->head, "K", "print the first K rows of the result (default 5)", 0, 1000000, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        {"timing", 't', MK_OPT_FLAG, &o->timing, NULL, "report per-phase times over ranks", 0, 0, 0, 0, NULL},
        {"verbose", 'v', MK_OPT_FLAG, &o->verbose, NULL, "print each rank's partitions and rows", 0, 0, 0, 0, NULL},
        {"debug", 0, MK_OPT_FLAG, &o->debug, NULL, "show HDF5's own error stack", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "table",
        .usage = "[options]",
        .summary = "Split a table into partitions over the ranks (MPI_Scatterv), add a computed column,\n"
                   "and combine by gathering to rank 0 and by a direct parallel HDF5 write; or groupby-\n"
                   "aggregate with a hash shuffle. Run it as: mpirun -n 4 table --partitions 7",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && o->agg != NULL && o->groupby == NULL)
        return mk_err_set(err, MK_EXIT_USAGE, "--agg needs --groupby");
    if (rc == MK_CLI_OK && o->apply == NULL && o->groupby == NULL)
        o->apply = "K=2*A";
    if (rc == MK_CLI_OK && o->groupby != NULL && o->agg == NULL)
        o->agg = "count";
    const char *inputs[] = {o->input};
    if (rc == MK_CLI_OK && o->input != NULL && mk_output_not_input("--output", o->output, inputs, 1, err) != 0)
        return MK_CLI_ERROR;
    return rc;
}

/* Rank 0 loads the whole table (the "split" happens from there). */
static int load(const options *o, mk_frame *f, mk_err *err)
{
    if (o->input == NULL) {
        const char *names[] = {"A", "B", "C", "D"};
        if (mk_frame_init(f, 4, names, (uint64_t)o->rows, err) != 0)
            return -1;
        mk_frame_fill_random(f, (uint64_t)o->seed, 0);
        return 0;
    }
    size_t n = strlen(o->input);
    if (n > 4 && strcmp(o->input + n - 4, ".csv") == 0)
        return mk_frame_read_csv(o->input, f, err);
    if (!mk_h5_is_h5_path(o->input))
        return mk_err_set(err, MK_EXIT_USAGE, "--input '%s': expected a .csv, .h5 or .hdf5 file", o->input);
    mk_h5 h;
    if (mk_h5_open(&h, MPI_COMM_SELF, o->input, err) != 0)
        return -1;
    int rc = mk_frame_read_h5(&h, f, err);
    mk_h5_close(&h);
    return rc;
}

static int write_csv_file(const char *path, const mk_frame *f, mk_err *err)
{
    mk_outfile of;
    if (mk_outfile_begin(&of, path, "output", err) != 0)
        return -1;
    if (mk_frame_write_csv(of.fp, f) != 0) {
        mk_outfile_abandon(&of);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write output '%s': %s", path, strerror(errno));
    }
    return mk_outfile_commit(&of, path, err);
}

/* Whether two frames hold the same names and values bit for bit. */
static int same_frame(const mk_frame *a, const mk_frame *b)
{
    if (a->ncols != b->ncols || a->nrows != b->nrows)
        return 0;
    for (int c = 0; c < a->ncols; c++) {
        if (strcmp(a->names[c], b->names[c]) != 0)
            return 0;
        for (uint64_t r = 0; r < a->nrows; r++)
            /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c): bits on purpose */
            if (memcmp(&a->cols[c][r], &b->cols[c][r], sizeof(double)) != 0 &&
                !(isnan(a->cols[c][r]) && isnan(b->cols[c][r])))
                return 0;
    }
    return 1;
}

static void print_head(FILE *out, const mk_frame *f, int64_t k, mk_format fmt, const char *title)
{
    const char *cols[MK_FRAME_MAX_COLS];
    for (int c = 0; c < f->ncols; c++)
        cols[c] = f->names[c];
    mk_table *t = mk_table_new("head", title, f->ncols, cols);
    for (uint64_t r = 0; r < f->nrows && (int64_t)r < k; r++)
        for (int c = 0; c < f->ncols; c++)
            mk_table_f64(t, "%.17g", f->cols[c][r] == 0 ? 0.0 : f->cols[c][r]);
    mk_table_print(out, t, fmt);
    mk_table_free(t);
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "table", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);
    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    if (rc != MK_CLI_EXIT && mk_err_agree(job.comm, &err) != 0) /* the output check stats files */
        rc = MK_CLI_ERROR;
    mk_job_parsed(&job, rc, &err);
    mk_h5_quiet(o.debug);
    int root = job.world_rank == 0;
    int h5_out = o.output != NULL && mk_h5_is_h5_path(o.output);
    if (o.output != NULL && !h5_out && (strlen(o.output) < 4 || strcmp(o.output + strlen(o.output) - 4, ".csv") != 0)) {
        mk_err_set(&err, MK_EXIT_USAGE, "--output '%s': expected a .csv, .h5 or .hdf5 file", o.output);
        mk_job_exit_error(&job, &err);
    }

    mk_timing tm;
    mk_timing_init(&tm);
    int ph_load = mk_timing_phase(&tm, "load (rank 0)"), ph_scatter = mk_timing_phase(&tm, "scatter");
    int ph_apply = mk_timing_phase(&tm, "apply");
    int ph_gather = mk_timing_phase(&tm, "combine: gather to rank 0");
    int ph_h5 = mk_timing_phase(&tm, "combine: parallel HDF5 write");
    int ph_shuffle = mk_timing_phase(&tm, "groupby: shuffle+aggregate");
    int ph_serial = mk_timing_phase(&tm, "serial on rank 0 (check)");

    /* load on rank 0 */
    mk_frame full, local, all, serial, groups;
    memset(&full, 0, sizeof full);
    memset(&all, 0, sizeof all);
    memset(&serial, 0, sizeof serial);
    memset(&groups, 0, sizeof groups);
    mk_timing_start(&tm, ph_load);
    if (root)
        load(&o, &full, &err);
    mk_timing_stop(&tm, ph_load);
    if (mk_err_agree(job.comm, &err) != 0)
        mk_job_exit_error(&job, &err);
    uint64_t nrows = full.nrows;
    MPI_Bcast(&nrows, 1, MPI_UINT64_T, 0, job.comm);

    /* split: P partitions (array_split), consecutive partitions per rank */
    int P = o.partitions > 0 ? (int)o.partitions : job.world_size;
    int *counts = calloc((size_t)job.world_size, sizeof *counts), *displs = calloc((size_t)job.world_size, sizeof *displs);
    for (int r = 0; r < job.world_size; r++) {
        mk_range parts = mk_block_range((uint64_t)P, job.world_size, r);
        uint64_t first = parts.count ? mk_block_range(nrows, P, (int)parts.start).start : 0;
        uint64_t end = first;
        for (uint64_t p = parts.start; p < parts.start + parts.count; p++) {
            mk_range pr = mk_block_range(nrows, P, (int)p);
            end = pr.start + pr.count;
        }
        counts[r] = (int)(end - first);
        displs[r] = (int)first;
    }
    mk_timing_start(&tm, ph_scatter);
    if (mk_frame_scatter(job.comm, 0, &full, counts, displs, &local, &err) != 0)
        mk_job_exit_error(&job, &err);
    mk_timing_stop(&tm, ph_scatter);
    uint64_t row0 = (uint64_t)displs[job.world_rank];
    mk_range myparts = mk_block_range((uint64_t)P, job.world_size, job.world_rank);

    /* compile the expression and the aggregations (same verdict on every rank) */
    mk_expr *expr = NULL;
    char newcol[MK_FRAME_NAME_MAX] = "";
    const char *etext = NULL;
    if (o.apply != NULL && mk_assign_split(o.apply, newcol, sizeof newcol, &etext, &err) == 0 &&
        mk_expr_compile(etext, &local, &expr, &err) != 0) {
        /* the expression parser does not know which option its text came from */
        char why[MK_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err.msg);
        mk_err_set(&err, err.code, "--apply: %s", why);
    }
    mk_agg aggs[MK_FRAME_MAX_COLS - 1];
    int naggs = 0, keycol = -1;
    if (err.code == 0 && o.groupby != NULL) {
        /* the key and the aggregations may use the new column */
        mk_frame names_only;
        memset(&names_only, 0, sizeof names_only);
        names_only.ncols = local.ncols;
        memcpy(names_only.names, local.names, sizeof local.names);
        if (expr != NULL && mk_frame_find(&names_only, newcol) < 0 && names_only.ncols < MK_FRAME_MAX_COLS)
            strcpy(names_only.names[names_only.ncols++], newcol);
        keycol = mk_frame_find(&names_only, o.groupby);
        if (keycol < 0)
            mk_err_set(&err, MK_EXIT_USAGE, "--groupby: unknown column '%s'", o.groupby);
        else
            mk_agg_parse(o.agg, &names_only, aggs, MK_FRAME_MAX_COLS - 1, &naggs, &err);
    }
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    /* apply: partition by partition */
    mk_timing_start(&tm, ph_apply);
    if (expr != NULL) {
        int k = mk_frame_add_column(&local, newcol, &err);
        for (uint64_t p = myparts.start; k >= 0 && p < myparts.start + myparts.count; p++) {
            mk_range pr = mk_block_range(nrows, P, (int)p);
            mk_frame view = local;
            for (int c = 0; c < local.ncols; c++)
                view.cols[c] = local.cols[c] + (pr.start - row0);
            if (mk_expr_eval(expr, &view, pr.count, local.cols[k] + (pr.start - row0)) != 0)
                mk_err_set(&err, MK_EXIT_FAILURE, "out of memory evaluating '%s'", o.apply);
        }
    }
    mk_timing_stop(&tm, ph_apply);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;
    if (o.verbose) {
        char line[256];
        snprintf(line, sizeof line, "rank %d: partitions %llu..%llu, rows %llu..%llu (%d rows)\n", job.world_rank,
                 (unsigned long long)myparts.start, (unsigned long long)myparts.start + myparts.count,
                 (unsigned long long)row0, (unsigned long long)row0 + local.nrows, counts[job.world_rank]);
        if (myparts.count == 0)
            snprintf(line, sizeof line, "rank %d: no partitions\n", job.world_rank);
        mk_print_ordered(job.comm, stdout, line);
    }

    /* serial reference on rank 0: the same work on the whole table */
    mk_timing_start(&tm, ph_serial);
    if (root) {
        if (expr != NULL) {
            int k = mk_frame_add_column(&full, newcol, &err);
            if (k >= 0 && mk_expr_eval(expr, &full, full.nrows, full.cols[k]) != 0)
                mk_err_set(&err, MK_EXIT_FAILURE, "out of memory");
        }
        if (err.code == 0 && o.groupby != NULL)
            mk_groupby_local(&full, keycol, aggs, naggs, &serial, &err);
    }
    mk_timing_stop(&tm, ph_serial);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    int checked = 1;
    mk_frame *result = NULL;
    if (o.groupby == NULL) {
        /* combine (a): concat on rank 0 */
        mk_timing_start(&tm, ph_gather);
        if (mk_frame_gather(job.comm, 0, &local, &all, &err) != 0)
            goto fail;
        mk_timing_stop(&tm, ph_gather);
        if (root)
            checked = same_frame(&all, &full);
        result = &all;
        /* combine (b): every rank writes its rows into the HDF5 columns */
        if (h5_out) {
            mk_timing_start(&tm, ph_h5);
            mk_h5 h;
            if (mk_h5_create(&h, job.comm, o.output, &err) != 0)
                goto fail;
            if (mk_h5_provenance(&h, "table", argc, argv, &err) != 0 ||
                mk_frame_write_h5(&h, &local, row0, nrows, 0, &err) != 0 || mk_err_agree(job.comm, &err) != 0) {
                mk_err_agree(job.comm, &err);
                mk_h5_abandon(&h);
                goto fail;
            }
            char first[MK_FRAME_NAME_MAX + 1];
            snprintf(first, sizeof first, "/%s", local.names[0]);
            if (mk_h5_commit(&h, first, &err) != 0)
                goto fail;
            mk_timing_stop(&tm, ph_h5);
        }
    } else {
        /* groupby: hash shuffle, aggregate, gather the (few) groups to rank 0 */
        mk_timing_start(&tm, ph_shuffle);
        mk_frame mine;
        if (mk_groupby_shuffle(job.comm, &local, keycol, aggs, naggs, &mine, &err) != 0)
            goto fail;
        mk_timing_stop(&tm, ph_shuffle);
        mk_timing_start(&tm, ph_gather);
        rc = mk_frame_gather(job.comm, 0, &mine, &groups, &err);
        mk_frame_free(&mine);
        if (rc != 0)
            goto fail;
        if (root)
            mk_frame_sort(&groups, 0, &err);
        mk_timing_stop(&tm, ph_gather);
        if (root)
            checked = same_frame(&groups, &serial);
        result = &groups;
        if (h5_out) {
            /* a handful of rows: rank 0 writes them all, the others take part with none */
            mk_timing_start(&tm, ph_h5);
            mk_h5 h;
            mk_frame empty;
            if (!root) {
                const char *np[MK_FRAME_MAX_COLS];
                np[0] = o.groupby;
                for (int a = 0; a < naggs; a++)
                    np[a + 1] = aggs[a].name;
                mk_frame_init(&empty, naggs + 1, np, 0, &err);
            }
            uint64_t ng = root ? groups.nrows : 0;
            MPI_Bcast(&ng, 1, MPI_UINT64_T, 0, job.comm);
            if (mk_err_agree(job.comm, &err) != 0 || mk_h5_create(&h, job.comm, o.output, &err) != 0)
                goto fail;
            if (mk_h5_provenance(&h, "table", argc, argv, &err) != 0 ||
                mk_frame_write_h5(&h, root ? &groups : &empty, 0, ng, 0, &err) != 0 ||
                mk_err_agree(job.comm, &err) != 0) {
                mk_err_agree(job.comm, &err);
                mk_h5_abandon(&h);
                goto fail;
            }
            if (!root)
                mk_frame_free(&empty);
            char first[MK_FRAME_NAME_MAX + 1];
            snprintf(first, sizeof first, "/%s", o.groupby);
            if (mk_h5_commit(&h, first, &err) != 0)
                goto fail;
            mk_timing_stop(&tm, ph_h5);
        }
    }
    MPI_Bcast(&checked, 1, MPI_INT, 0, job.comm);
    if (!checked)
        mk_err_set(&err, MK_EXIT_FAILURE, "internal check failed: the parallel result differs from the serial one");
    if (err.code == 0 && root && o.output != NULL && !h5_out)
        write_csv_file(o.output, result, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    mk_timing_stats ts;
    mk_timing_reduce(&tm, job.comm, &ts);
    if (out != NULL) {
        char title[256];
        snprintf(title, sizeof title, "%s: %llu rows x %d columns (%d partitions on %d ranks; first %lld shown)",
                 o.groupby ? "groupby" : "result", (unsigned long long)result->nrows, result->ncols, P,
                 job.world_size, (long long)(o.head < (int64_t)result->nrows ? o.head : (int64_t)result->nrows));
        if (o.head > 0)
            print_head(out, result, o.head, (mk_format)o.format, title);
        if (o.timing) {
            if (o.head > 0)
                fputc('\n', out);
            mk_table *t = mk_timing_table(&ts, 0);
            mk_table_print(out, t, (mk_format)o.format);
            mk_table_free(t);
        }
    }
    mk_frame_free(&all);
    mk_frame_free(&groups);
    mk_frame_free(&serial);
    mk_frame_free(&full);
    mk_frame_free(&local);
    mk_expr_free(expr);
    free(counts);
    free(displs);
    mk_job_end(&job);

fail:
    mk_expr_free(expr);
    mk_job_exit_error(&job, &err);
}
