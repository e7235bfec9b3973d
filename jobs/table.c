/* table - split-apply-combine on a table, the pandas + multiprocessing tutorial with MPI.
 *
 *   usage: mpirun -n 4 table [--rows 100 | --input t.csv|t.h5] [--partitions 7] [--apply 'K=2*A']
 *                            [--groupby B --agg sum:A,mean:C,count] [-o out.csv|out.h5]
 *
 *   load       --input t.csv: every rank preads its byte range; an exclusive scan of quote
 *              counts tells each rank whether its range starts inside a quoted field, so each
 *              finds its first record exactly and parses the records starting in its range
 *              (rank r holds global rows row0..row0+n, in rank order); column types agreed
 *              otherwise rank 0 generates (seeded A,B,C,D in 0..99) or reads HDF5 columns and
 *   split      numpy.array_split into P partitions; rank r takes partitions
 *              mk_block_range(P, ranks, r), i.e. one run of consecutive rows
 *                 | p0 p1 | p2 p3 | p4 p5 | p6 |          P = 7 on 4 ranks
 *   scatter    MPI_Scatterv, one column at a time
 *   apply      each partition (the part of it on this rank): K = expression over its columns
 *              (a compiled, safe language: + - * / ( ) numbers and column names only)
 *   combine    (a) concat: MPI_Gatherv back to rank 0, in row order
 *              (b) parallel write: every rank writes its rows straight into the
 *                  HDF5 column datasets (collective hyperslabs), no gather
 *   groupby    combiner: each rank aggregates its rows into partial aggregates per key
 *              (count, sum, mean+M2, min, max); the partials move to rank hash(key) % ranks
 *              (MPI_Alltoallv, as many records as groups), which merges them; the groups are
 *              gathered to rank 0 and sorted by key
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

/* The tables a run can make, for --table; the main result first. */
#define TABLE_TABLES "result|timing"

typedef struct {
    int64_t rows, seed, partitions, head;
    const char *input, *apply, *where, *groupby, *agg, *output, *sep;
    int format, timing, verbose, debug, table;
} options;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .rows = 100, .seed = 1, .partitions = 0, .head = -1};
    const mk_option opts[] = {
        {"rows", 'n', MK_OPT_INT, &o->rows, "N", "generated table of N rows (default 100)", 0, INT32_MAX, 0, 0, NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random stream of the generated table (default 1)", 0, INT64_MAX, 0,
         0, NULL},
        {"input", 'i', MK_OPT_STRING, &o->input, "FILE",
         "read a table: .csv (read in parallel; numbers and text) or .h5 (columns)", 0, 0, 0, 0, NULL},
        {"sep", 0, MK_OPT_STRING, &o->sep, "C", "CSV separator: , ; or tab (default: detected from the header)", 0,
         0, 0, 0, NULL},
        {"partitions", 'p', MK_OPT_INT, &o->partitions, "P", "array_split partitions (default: the rank count)", 1,
         1 << 20, 0, 0, NULL},
        {"apply", 'a', MK_OPT_STRING, &o->apply, "NAME=EXPR",
         "add a column (default K=2*A unless --groupby): + - * / ( ) < <= == != & | ~, numbers, columns", 0, 0, 0,
         0, NULL},
        {"where", 'w', MK_OPT_STRING, &o->where, "EXPR",
         "keep the rows where EXPR is true (after --apply, before --groupby), e.g. 'price > 100 & A != 3'", 0, 0,
         0, 0, NULL},
        {"groupby", 'g', MK_OPT_STRING, &o->groupby, "COLS", "group rows by columns, e.g. weather or symbol,year (numbers or text)", 0, 0, 0, 0,
         NULL},
        {"agg", 0, MK_OPT_STRING, &o->agg, "SPEC",
         "sum mean count min max std var first last median nunique,\n"
         "                         e.g. sum:A,mean:C,count (default count)", 0, 0, 0, 0, NULL},
        {"output", 'o', MK_OPT_STRING, &o->output, "FILE", "write the result: .csv or .h5 (column datasets)", 0, 0,
         0, 0, NULL},
        {"head", 0, MK_OPT_INT, &o->head, "K", "rows of the result to print (default: text 5, csv/json all)", 0,
         1000000, 0, 0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, TABLE_TABLES),
        {"timing", 't', MK_OPT_FLAG, &o->timing, NULL, "report per-phase times over ranks", 0, 0, 0, 0, NULL},
        {"verbose", 'v', MK_OPT_FLAG, &o->verbose, NULL, "print each rank's partitions and rows", 0, 0, 0, 0, NULL},
        {"debug", 0, MK_OPT_FLAG, &o->debug, NULL, "show HDF5's own error stack", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "table",
        .usage = "[options]",
        .summary = "Split a table into partitions over the ranks, add a computed column, and combine by\n"
                   "gathering to rank 0 and by a direct parallel HDF5 write; or groupby-aggregate with\n"
                   "partial aggregates shuffled to the key's owner. CSV input is read in parallel.\n"
                   "Run it as: mpirun -n 4 table --partitions 7",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && (mk_table_check_format(o->format, o->table, err) != 0 ||
                            mk_table_require(TABLE_TABLES, o->table, "timing", o->timing, "needs --timing", err) != 0))
        return MK_CLI_ERROR;
    /* People read a glimpse; programs get the whole result. */
    if (rc == MK_CLI_OK && o->head < 0)
        o->head = o->format == MK_FMT_TEXT ? 5 : INT64_MAX;
    if (rc == MK_CLI_OK && o->agg != NULL && o->groupby == NULL)
        return mk_err_set(err, MK_EXIT_USAGE, "--agg needs --groupby");
    if (rc == MK_CLI_OK && o->sep != NULL && strcmp(o->sep, ",") != 0 && strcmp(o->sep, ";") != 0 &&
        strcmp(o->sep, "\t") != 0 && strcmp(o->sep, "tab") != 0 && strcmp(o->sep, "\\t") != 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--sep '%s': expected ',', ';' or tab", o->sep);
    if (rc == MK_CLI_OK && o->apply == NULL && o->groupby == NULL)
        o->apply = "K=2*A";
    if (rc == MK_CLI_OK && o->groupby != NULL && o->agg == NULL)
        o->agg = "count";
    const char *inputs[] = {o->input};
    if (rc == MK_CLI_OK && o->input != NULL && mk_output_not_input("--output", o->output, inputs, 1, err) != 0)
        return MK_CLI_ERROR;
    return rc;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Rank 0 loads the whole table (generated or HDF5); the "split" happens from there. */
static int load(const options *o, mk_frame *f, mk_err *err)
{
    if (o->input == NULL) {
        const char *names[] = {"A", "B", "C", "D"};
        if (mk_frame_init(f, 4, names, (uint64_t)o->rows, err) != 0)
            return -1;
        mk_frame_fill_random(f, (uint64_t)o->seed, 0);
        return 0;
    }
    if (!mk_h5_is_h5_path(o->input))
        return mk_err_set(err, MK_EXIT_USAGE, "--input '%s': expected a .csv, .h5 or .hdf5 file", o->input);
    mk_h5 h;
    if (mk_h5_open(&h, MPI_COMM_SELF, o->input, err) != 0)
        return -1;
    int rc = mk_frame_read_h5(&h, f, err);
    mk_h5_close(&h);
    return rc;
}

/* The rows of this rank: global rows [*row0, *row0 + local->nrows) of *nrows. */
typedef struct {
    mk_frame local;
    uint64_t row0, nrows;
    int P;
    mk_range parts; /* the partitions that have rows here */
} rows_here;

/* Partitions with a row in [row0, row0 + n): array_split of nrows into P. */
static mk_range parts_of(uint64_t nrows, int P, uint64_t row0, uint64_t n)
{
    mk_range r = {0, 0};
    for (int p = 0; p < P && n > 0; p++) {
        mk_range pr = mk_block_range(nrows, P, p);
        if (pr.count > 0 && pr.start < row0 + n && pr.start + pr.count > row0) {
            if (r.count == 0)
                r.start = (uint64_t)p;
            r.count = (uint64_t)p + 1 - r.start;
        }
    }
    return r;
}

/* load + split: a CSV file read in parallel, or rank 0's table scattered in partitions. */
static int read_rows(const mk_job *job, const options *o, mk_timing *tm, rows_here *rh, mk_err *err)
{
    int ph_load = mk_timing_phase(tm, "load"), ph_scatter = mk_timing_phase(tm, "scatter");
    rh->P = o->partitions > 0 ? (int)o->partitions : job->world_size;
    mk_timing_start(tm, ph_load);
    if (o->input != NULL && has_suffix(o->input, ".csv")) {
        mk_csv_opts copts = {(char)(o->sep == NULL ? 0 : o->sep[0] == ';' ? ';' : o->sep[0] == ',' ? ',' : '\t')};
        int rc = mk_frame_read_csv_par(job->comm, o->input, &copts, &rh->local, &rh->row0, &rh->nrows, err);
        mk_timing_stop(tm, ph_load);
        rh->parts = parts_of(rh->nrows, rh->P, rh->row0, rh->local.nrows);
        return rc;
    }
    mk_frame full;
    memset(&full, 0, sizeof full);
    if (job->world_rank == 0)
        load(o, &full, err);
    mk_timing_stop(tm, ph_load);
    if (mk_err_agree(job->comm, err) != 0)
        return -1;
    rh->nrows = full.nrows;
    MPI_Bcast(&rh->nrows, 1, MPI_UINT64_T, 0, job->comm);
    /* split: P partitions (array_split), consecutive partitions per rank */
    int *counts = calloc((size_t)job->world_size, sizeof *counts);
    int *displs = calloc((size_t)job->world_size, sizeof *displs);
    if (counts == NULL || displs == NULL || rh->nrows > INT32_MAX)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory (or over 2^31 rows) splitting the table");
    for (int r = 0; err->code == 0 && r < job->world_size; r++) {
        mk_range parts = mk_block_range((uint64_t)rh->P, job->world_size, r);
        uint64_t first = parts.count ? mk_block_range(rh->nrows, rh->P, (int)parts.start).start : 0;
        mk_range last = parts.count ? mk_block_range(rh->nrows, rh->P, (int)(parts.start + parts.count - 1))
                                    : (mk_range){0, 0};
        counts[r] = (int)(parts.count ? last.start + last.count - first : 0);
        displs[r] = (int)first;
    }
    mk_timing_start(tm, ph_scatter);
    int rc = mk_err_agree(job->comm, err) != 0 ? -1
             : mk_frame_scatter(job->comm, 0, &full, counts, displs, &rh->local, err);
    mk_timing_stop(tm, ph_scatter);
    if (rc == 0) {
        rh->row0 = (uint64_t)displs[job->world_rank];
        rh->parts = mk_block_range((uint64_t)rh->P, job->world_size, job->world_rank);
    }
    mk_frame_free(&full);
    free(counts);
    free(displs);
    return rc;
}

/* What to compute, compiled against the columns (the same verdict on every rank). */
typedef struct {
    mk_expr *expr, *where;
    char newcol[MK_FRAME_NAME_MAX];
    mk_agg aggs[MK_FRAME_MAX_COLS - 1];
    int naggs, nkeys;
    int keycols[MK_FRAME_MAX_COLS];
} plan;

static void plan_free(plan *pl)
{
    mk_expr_free(pl->expr);
    mk_expr_free(pl->where);
}

/* --groupby "a,b": the key columns in order (a whole name that holds a comma matches first). */
static int parse_keys(const char *spec, const mk_frame *f, plan *pl, mk_err *err)
{
    pl->nkeys = 0;
    if ((pl->keycols[0] = mk_frame_find(f, spec)) >= 0) {
        pl->nkeys = 1;
        return 0;
    }
    for (const char *p = spec;; p++) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[MK_FRAME_NAME_MAX];
        if (n == 0 || n >= sizeof name)
            return mk_err_set(err, MK_EXIT_USAGE, "--groupby '%s': an empty or too long column name", spec);
        memcpy(name, p, n);
        name[n] = '\0';
        int c = mk_frame_find(f, name);
        if (c < 0)
            return mk_err_set(err, MK_EXIT_USAGE, "--groupby: unknown column '%s'", name);
        for (int k = 0; k < pl->nkeys; k++)
            if (pl->keycols[k] == c)
                return mk_err_set(err, MK_EXIT_USAGE, "--groupby: column '%s' named twice", name);
        if (pl->nkeys == MK_FRAME_MAX_COLS)
            return mk_err_set(err, MK_EXIT_USAGE, "--groupby: too many columns");
        pl->keycols[pl->nkeys++] = c;
        if (e == NULL)
            return 0;
        p = e;
    }
}

/* Compile an expression; its messages get the option's name in front (the parser does not know
 * it; they quote at most 60 bytes of the expression, so the reason always fits). */
static int compile_expr(const char *option, const char *text, const mk_frame *f, mk_expr **e, mk_err *err)
{
    if (mk_expr_compile(text, f, e, err) == 0)
        return 0;
    char why[MK_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%s", err->msg);
    return mk_err_set(err, err->code, "%s: %.*s", option, MK_ERR_MSG_MAX - 20, why);
}

static int compile_plan(const options *o, const mk_frame *local, plan *pl, mk_err *err)
{
    const char *etext = NULL;
    if (o->apply != NULL && (mk_assign_split(o->apply, pl->newcol, sizeof pl->newcol, &etext, err) != 0 ||
                             compile_expr("--apply", etext, local, &pl->expr, err) != 0))
        return -1;
    /* --where, the key and the aggregations may use the new column (numeric) */
    mk_frame names_only = *local;
    names_only.arena = NULL;
    if (pl->expr != NULL && mk_frame_find(&names_only, pl->newcol) < 0 && names_only.ncols < MK_FRAME_MAX_COLS) {
        strcpy(names_only.names[names_only.ncols], pl->newcol);
        names_only.strs[names_only.ncols++] = NULL;
    }
    if (o->where != NULL && compile_expr("--where", o->where, &names_only, &pl->where, err) != 0)
        return -1;
    if (o->groupby == NULL)
        return 0;
    if (parse_keys(o->groupby, &names_only, pl, err) != 0)
        return -1;
    return mk_agg_parse(o->agg, &names_only, pl->aggs, MK_FRAME_MAX_COLS - 1, &pl->naggs, err);
}

/* apply: the new column, partition by partition (the part of each partition on this rank). */
static int apply_parts(const plan *pl, rows_here *rh, mk_err *err)
{
    int k = mk_frame_add_column(&rh->local, pl->newcol, err);
    for (uint64_t p = rh->parts.start; k >= 0 && p < rh->parts.start + rh->parts.count; p++) {
        mk_range pr = mk_block_range(rh->nrows, rh->P, (int)p);
        uint64_t lo = pr.start > rh->row0 ? pr.start - rh->row0 : 0;
        uint64_t hi = pr.start + pr.count - rh->row0 < rh->local.nrows ? pr.start + pr.count - rh->row0
                                                                          : rh->local.nrows;
        mk_frame view = rh->local;
        for (int c = 0; c < view.ncols; c++)
            if (!mk_frame_is_text(&view, c))
                view.cols[c] = rh->local.cols[c] + lo;
        if (mk_expr_eval(pl->expr, &view, hi - lo, rh->local.cols[k] + lo) != 0)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory evaluating the expression");
    }
    return k < 0 ? -1 : 0;
}

/* where: keep the rows where the condition holds (not 0, not NaN), in order; then the global
 * numbering again (rows stay in rank order). Collective (the scan), whatever err says. */
static int filter_rows(const mk_job *job, const plan *pl, rows_here *rh, mk_err *err)
{
    uint64_t n = rh->local.nrows, kept = 0;
    double *keep = malloc((n ? n : 1) * sizeof *keep);
    if (keep == NULL || mk_expr_eval(pl->where, &rh->local, n, keep) != 0)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory evaluating --where");
    for (uint64_t r = 0; err->code == 0 && r < n; r++) {
        if (keep[r] == 0 || isnan(keep[r]))
            continue;
        for (int c = 0; c < rh->local.ncols; c++) {
            if (mk_frame_is_text(&rh->local, c))
                rh->local.strs[c][kept] = rh->local.strs[c][r];
            else
                rh->local.cols[c][kept] = rh->local.cols[c][r];
        }
        kept++;
    }
    free(keep);
    if (err->code == 0)
        rh->local.nrows = kept;
    uint64_t mine = rh->local.nrows;
    rh->row0 = 0;
    MPI_Exscan(&mine, &rh->row0, 1, MPI_UINT64_T, MPI_SUM, job->comm);
    if (job->world_rank == 0)
        rh->row0 = 0; /* MPI_Exscan leaves rank 0's result undefined */
    MPI_Allreduce(&mine, &rh->nrows, 1, MPI_UINT64_T, MPI_SUM, job->comm);
    return err->code ? -1 : 0;
}

/* apply, then where (pandas: df[K] = df.eval(...); df = df.query(...)). */
static int compute_rows(const mk_job *job, const plan *pl, rows_here *rh, mk_err *err)
{
    if (pl->expr != NULL)
        apply_parts(pl, rh, err);
    if (pl->where != NULL && mk_err_agree(job->comm, err) == 0)
        filter_rows(job, pl, rh, err);
    return err->code ? -1 : 0;
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

/* HDF5 output holds numeric columns only. Same verdict on every rank (same columns). */
static int h5_numeric_only(const mk_frame *f, const char *path, mk_err *err)
{
    for (int c = 0; c < f->ncols; c++)
        if (mk_frame_is_text(f, c))
            return mk_err_set(err, MK_EXIT_USAGE, "--output '%s': column '%s' is text; HDF5 output holds numbers "
                              "only (write a .csv)", path, f->names[c]);
    return 0;
}

/* combine (b): every rank writes its rows [row0, row0 + rows) of total into the HDF5 columns. */
static int write_h5(const mk_job *job, const char *path, const mk_frame *f, uint64_t row0, uint64_t total,
                    int argc, char **argv, mk_err *err)
{
    mk_h5 h;
    if (mk_h5_create(&h, job->comm, path, err) != 0)
        return -1;
    if (mk_h5_provenance(&h, "table", argc, argv, err) != 0 || mk_frame_write_h5(&h, f, row0, total, 0, err) != 0 ||
        mk_err_agree(job->comm, err) != 0) {
        mk_err_agree(job->comm, err);
        mk_h5_abandon(&h);
        return -1;
    }
    char first[MK_FRAME_NAME_MAX + 1];
    snprintf(first, sizeof first, "/%s", f->names[0]);
    return mk_h5_commit(&h, first, err);
}

/* groupby: partial aggregates shuffled to their key's owner, the (few) groups to rank 0, sorted. */
static int groupby(const mk_job *job, const plan *pl, const mk_frame *local, mk_frame *groups, mk_err *err)
{
    mk_frame mine;
    if (mk_groupby_shuffle(job->comm, local, pl->keycols, pl->nkeys, pl->aggs, pl->naggs, &mine, err) != 0)
        return -1;
    int rc = mk_frame_gather(job->comm, 0, &mine, groups, err);
    int keys[MK_FRAME_MAX_COLS];
    for (int k = 0; k < pl->nkeys; k++)
        keys[k] = k; /* the result's first columns */
    if (rc == 0 && job->world_rank == 0)
        mk_frame_sort_by(groups, keys, pl->nkeys, err);
    mk_frame_free(&mine);
    return rc != 0 ? -1 : mk_err_agree(job->comm, err);
}

/* To HDF5, rank 0 writes the (few) groups; the others take part with none. */
static int write_groups_h5(const mk_job *job, const options *o, const plan *pl, const mk_frame *local,
                           const mk_frame *groups, int argc, char **argv, mk_err *err)
{
    uint64_t ng = groups->nrows;
    MPI_Bcast(&ng, 1, MPI_UINT64_T, 0, job->comm);
    mk_frame empty; /* the groups' columns, no rows, on the other ranks */
    memset(&empty, 0, sizeof empty);
    if (job->world_rank != 0)
        mk_groupby_columns(local, pl->keycols, pl->nkeys, pl->aggs, pl->naggs, &empty, err);
    const mk_frame *mine = job->world_rank == 0 ? groups : &empty;
    int rc = mk_err_agree(job->comm, err) != 0 || h5_numeric_only(mine, o->output, err) != 0 ||
             write_h5(job, o->output, mine, 0, ng, argc, argv, err) != 0;
    mk_frame_free(&empty);
    return rc ? -1 : 0;
}

/* The first k rows of the result, in text rounded for people (CSV and JSON are exact). */
static mk_table *head_table(const mk_frame *f, int64_t k, const char *title)
{
    const char *cols[MK_FRAME_MAX_COLS];
    for (int c = 0; c < f->ncols; c++)
        cols[c] = f->names[c];
    mk_table *t = mk_table_new("result", title, f->ncols, cols);
    char num[40];
    for (uint64_t r = 0; t != NULL && r < f->nrows && (int64_t)r < k; r++)
        for (int c = 0; c < f->ncols; c++) {
            if (mk_frame_is_text(f, c)) {
                mk_table_str(t, f->strs[c][r] ? f->strs[c][r] : "NaN");
                continue;
            }
            mk_format_double(num, sizeof num, f->cols[c][r]);
            mk_table_str(t, num[0] ? num : "NaN");
        }
    return t;
}

static void report(FILE *out, const options *o, const mk_frame *result, const rows_here *rh, int ranks,
                   const mk_timing_stats *ts)
{
    char title[256];
    snprintf(title, sizeof title, "%s: %llu rows x %d columns (%d partitions on %d ranks; first %lld shown)",
             o->groupby ? "groupby" : "result", (unsigned long long)result->nrows, result->ncols, rh->P, ranks,
             (long long)(o->head < (int64_t)result->nrows ? o->head : (int64_t)result->nrows));
    mk_table *tables[2];
    int nt = 0;
    /* --head 0 leaves the text without rows; CSV and JSON keep the (empty) table's columns. */
    if ((o->head > 0 || o->format != MK_FMT_TEXT) && (tables[nt] = head_table(result, o->head, title)) != NULL)
        nt++;
    if (o->timing && (tables[nt] = mk_timing_table(ts, 0)) != NULL)
        nt++;
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, TABLE_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

static void print_verbose(const mk_job *job, const rows_here *rh, int format)
{
    char line[256];
    snprintf(line, sizeof line, "rank %d: partitions %llu..%llu, rows %llu..%llu (%llu rows)\n", job->world_rank,
             (unsigned long long)rh->parts.start, (unsigned long long)rh->parts.start + rh->parts.count,
             (unsigned long long)rh->row0, (unsigned long long)rh->row0 + rh->local.nrows,
             (unsigned long long)rh->local.nrows);
    if (rh->parts.count == 0)
        snprintf(line, sizeof line, "rank %d: no partitions\n", job->world_rank);
    /* Diagnostics: on stdout only where they cannot break a CSV or JSON document. */
    mk_print_ordered(job->comm, format == MK_FMT_TEXT ? stdout : stderr, line);
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
    mk_job_parsed(&job, rc, &err);
    mk_h5_quiet(o.debug);
    int h5_out = o.output != NULL && mk_h5_is_h5_path(o.output);
    if (o.output != NULL && !h5_out && !has_suffix(o.output, ".csv"))
        mk_err_set(&err, MK_EXIT_USAGE, "--output '%s': expected a .csv, .h5 or .hdf5 file", o.output);
    if (err.code != 0)
        mk_job_exit_error(&job, &err);

    mk_timing tm;
    mk_timing_init(&tm);
    rows_here rh;
    memset(&rh, 0, sizeof rh);
    plan pl;
    memset(&pl, 0, sizeof pl);
    mk_frame all = {0}, groups = {0}, *result = o.groupby ? &groups : &all;
    int ph_apply = mk_timing_phase(&tm, "apply"), ph_gather = mk_timing_phase(&tm, "combine: gather to rank 0");
    int ph_h5 = mk_timing_phase(&tm, "combine: parallel HDF5 write");
    int ph_group = mk_timing_phase(&tm, "groupby: combine+shuffle+merge");
    if (read_rows(&job, &o, &tm, &rh, &err) != 0 || compile_plan(&o, &rh.local, &pl, &err) != 0 ||
        mk_err_agree(job.comm, &err) != 0)
        goto fail;

    mk_timing_start(&tm, ph_apply); /* apply */
    compute_rows(&job, &pl, &rh, &err);
    mk_timing_stop(&tm, ph_apply);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;
    if (o.verbose)
        print_verbose(&job, &rh, o.format);

    if (o.groupby == NULL) { /* combine (a) concat on rank 0, (b) every rank writes its rows */
        mk_timing_start(&tm, ph_gather);
        if (mk_frame_gather(job.comm, 0, &rh.local, &all, &err) != 0)
            goto fail;
        mk_timing_stop(&tm, ph_gather);
        mk_timing_start(&tm, ph_h5);
        if (h5_out && (h5_numeric_only(&rh.local, o.output, &err) != 0 ||
                       write_h5(&job, o.output, &rh.local, rh.row0, rh.nrows, argc, argv, &err) != 0))
            goto fail;
        mk_timing_stop(&tm, ph_h5);
    } else {
        mk_timing_start(&tm, ph_group);
        if (groupby(&job, &pl, &rh.local, &groups, &err) != 0)
            goto fail;
        mk_timing_stop(&tm, ph_group);
        if (h5_out && write_groups_h5(&job, &o, &pl, &rh.local, &groups, argc, argv, &err) != 0)
            goto fail;
    }
    if (job.world_rank == 0 && o.output != NULL && !h5_out)
        write_csv_file(o.output, result, &err);
    if (mk_err_agree(job.comm, &err) != 0)
        goto fail;

    mk_timing_stats ts;
    mk_timing_reduce(&tm, job.comm, &ts);
    if (out != NULL)
        report(out, &o, result, &rh, job.world_size, &ts);
    mk_frame_free(&all);
    mk_frame_free(&groups);
    mk_frame_free(&rh.local);
    plan_free(&pl);
    mk_job_end(&job);

fail:
    plan_free(&pl);
    mk_job_exit_error(&job, &err);
}
