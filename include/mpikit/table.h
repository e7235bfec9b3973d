/* table.h - a small column table (a DataFrame of numbers and text): a parallel RFC 4180 CSV
 * reader and a writer pandas reads back, a safe arithmetic expression language over columns,
 * scatter/gather over ranks, and a groupby that aggregates locally and shuffles partial
 * aggregates (MPI_Alltoallv). (mk_table in report.h is the report printer; this one is mk_frame.) */
#ifndef MPIKIT_TABLE_H
#define MPIKIT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "mpikit/error.h"
#include "mpikit/h5.h"

#define MK_FRAME_MAX_COLS 64
#define MK_FRAME_NAME_MAX 64

/* Columns of nrows values each, with names. A numeric column holds doubles (NaN = missing;
 * integers up to 2^53 are exact); a text column holds NUL-terminated UTF-8 strings (NULL =
 * missing) stored in the frame's arena. Exactly one of cols[c], strs[c] is set. */
typedef struct {
    int ncols;
    uint64_t nrows;
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    double *cols[MK_FRAME_MAX_COLS];
    const char **strs[MK_FRAME_MAX_COLS];
    void *arena; /* blocks holding the strings; released by mk_frame_free */
} mk_frame;

/* An empty frame with columns `names` and nrows rows (values zero). Returns 0 or -1 with err. */
int mk_frame_init(mk_frame *f, int ncols, const char *const *names, uint64_t nrows, mk_err *err);
void mk_frame_free(mk_frame *f);
/* Column index by name, -1 when absent. */
int mk_frame_find(const mk_frame *f, const char *name);
/* Add (or replace) a column of nrows values; returns its index or -1 with err. */
int mk_frame_add_column(mk_frame *f, const char *name, mk_err *err);
/* Whether a name is usable as a column: [A-Za-z_][A-Za-z0-9_]*, shorter than MK_FRAME_NAME_MAX. */
int mk_frame_valid_name(const char *name);
/* Add (or replace) a text column of nrows missing values; returns its index or -1 with err.
 * Names read from files need not be identifiers (any non-empty text shorter than the maximum). */
int mk_frame_add_text_column(mk_frame *f, const char *name, mk_err *err);
/* Whether column c holds text. */
int mk_frame_is_text(const mk_frame *f, int c);
/* A copy of n bytes (plus a NUL) in f's arena, or NULL when out of memory. */
char *mk_frame_strndup(mk_frame *f, const char *s, size_t n);
/* Hand a malloc'ed block to f's arena (freed with the frame); -1 when out of memory. */
int mk_frame_adopt(mk_frame *f, void *block);

/* The tutorial's table: columns A, B, C, D of random integers 0..99 from the counter-based RNG,
 * value (row, col) = mk_rng_below(seed, row * 4 + col, 100). Fills global rows
 * [row0, row0 + f->nrows) of an initialized 4-column frame. */
void mk_frame_fill_random(mk_frame *f, uint64_t seed, uint64_t row0);

/* ---- CSV (src/frame_csv.c) ----
 * RFC 4180 as pandas reads it: fields separated by `sep` (',' ';' or tab; 0 = detect from the
 * header line), records end at LF or CRLF, a field in double quotes may hold separators, line
 * ends and "" (one quote); a UTF-8 BOM is skipped; blank lines are skipped; an empty header name
 * becomes "Unnamed: N" (pandas' index column) and a repeated one A.1, A.2, ... (as pandas). A column is numeric when every non-missing cell
 * is a decimal number or inf, else text (kept byte for byte). Missing: an empty cell and
 * pandas' default NA strings (NA, NaN, nan, null, NULL, None, N/A, n/a, #N/A, <NA>, ...).
 * A quote inside an unquoted field, text after a closing quote, an unclosed quote and a row
 * with a different number of fields are errors naming file:line. */
typedef struct {
    char sep; /* 0: detect */
} mk_csv_opts;

/* Whether a cell (without quotes) is one of pandas' default missing-value strings. */
int mk_csv_is_na(const char *s, size_t n);
/* Parse a number as pandas does (decimal, optional exponent, inf/infinity, surrounding blanks);
 * returns 1 and *v, or 0 when the cell is not a number. */
int mk_csv_number(const char *s, size_t n, double *v);
/* The separator of a header line: the most frequent of , ; tab outside quotes (',' when none). */
char mk_csv_detect_sep(const char *s, size_t n);

/* Read a whole CSV file on this rank alone (the serial reader; the parallel one below is the
 * same parser). Messages name the file and the line. */
int mk_frame_read_csv(const char *path, const mk_csv_opts *opts, mk_frame *f, mk_err *err);
/* Parallel read: every rank preads its byte range, a scan of quote counts tells each rank
 * whether its range starts inside quotes, each rank parses the records that start in its range
 * (reading past its end to finish the last one), and column types are agreed. `local` gets this
 * rank's rows, which are global rows [*row0, *row0 + local->nrows); *total is the row count.
 * Collective; errors agreed (the first one in the file wins). */
int mk_frame_read_csv_par(MPI_Comm comm, const char *path, const mk_csv_opts *opts, mk_frame *local,
                          uint64_t *row0, uint64_t *total, mk_err *err);
/* Write header and rows as pandas' to_csv does: fields quoted when they hold the separator,
 * a quote or a line end; missing values empty; numbers in the shortest form that reads back
 * to the same double (integers without a decimal point, inf and -inf spelled so). */
int mk_frame_write_csv(FILE *out, const mk_frame *f);
/* The shortest %.Ng (N = 1..17) of v that reads back to v; "inf", "-inf", "" for NaN. */
void mk_format_double(char *buf, size_t len, double v);

/* Expressions: + - * / , unary minus, parentheses, decimal constants and column names.
 * Nothing else: no calls, no assignment, no access beyond the named columns. */
typedef struct mk_expr mk_expr;

/* Compile against column names; errors say where and why. */
int mk_expr_compile(const char *text, const mk_frame *f, mk_expr **out, mk_err *err);
/* out[i] = value of the expression at row i, for rows [0, n) of f's columns. Returns 0 or -1 (no memory). */
int mk_expr_eval(const mk_expr *e, const mk_frame *f, uint64_t n, double *out);
void mk_expr_free(mk_expr *e);
/* "K=A*2" -> name "K" and the expression text after '='. */
int mk_assign_split(const char *text, char *name, size_t name_len, const char **expr, mk_err *err);

/* Aggregations for groupby; missing values are skipped (pandas' default). count without a
 * column is the group's size; std and var divide by n - 1; first and last are the values of the
 * first and last rows (in file order) where the column is not missing; median is exact (the
 * mean of the two middle values when even) and nunique counts distinct values, as pandas. */
typedef enum {
    MK_AGG_SUM, MK_AGG_MEAN, MK_AGG_COUNT, MK_AGG_MIN, MK_AGG_MAX, MK_AGG_STD, MK_AGG_VAR,
    MK_AGG_FIRST, MK_AGG_LAST, MK_AGG_MEDIAN, MK_AGG_NUNIQUE
} mk_agg_kind;
typedef struct {
    mk_agg_kind kind;
    int col;                          /* input column, -1 for count alone (group size) */
    char name[MK_FRAME_NAME_MAX];     /* output column: "sum_A", "count" */
} mk_agg;

/* "sum:A,mean:C,count" -> aggs (at most max). */
int mk_agg_parse(const char *spec, const mk_frame *f, mk_agg *aggs, int max, int *naggs, mk_err *err);

/* ---- groupby (src/groupby.c) ----
 * Serial groupby on nkeys key columns (numbers and/or text): one row per distinct tuple of keys
 * (rows with a missing key are dropped, as pandas' dropna=True), sorted as pandas sorts groups:
 * by the first key, then the next (numbers ascending, text by bytes = Python's str order).
 * Output columns: the keys, then the aggregations. Sums are compensated (Neumaier), std/var
 * from mergeable moments (count, mean, M2). */
int mk_groupby_local(const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs, int naggs,
                     mk_frame *out, mk_err *err);
/* The columns of a groupby result with no rows (what a rank without groups holds); -1 with err
 * when a key is named twice or an aggregation has a key's name. */
int mk_groupby_columns(const mk_frame *f, const int *keycols, int nkeys, const mk_agg *aggs, int naggs,
                       mk_frame *out, mk_err *err);

/* Distributed groupby with a combiner: each rank aggregates its rows into partial aggregates
 * (count, compensated sum, mean and M2, min, max, first, last per group; median's values and
 * nunique's distinct values: no partial summarizes them), the partials move to rank
 * hash(keys) % size (MPI_Alltoallv of bytes: as many records as groups, not rows), which merges
 * them. Ranks hold consecutive rows in rank order (first/last). `out` holds this rank's
 * groups, sorted. Collective; errors agreed. */
int mk_groupby_shuffle(MPI_Comm comm, const mk_frame *local, const int *keycols, int nkeys, const mk_agg *aggs,
                       int naggs, mk_frame *out, mk_err *err);

/* Sort rows by one column ascending (stable; text by bytes; missing last). */
int mk_frame_sort(mk_frame *f, int col, mk_err *err);
/* Sort rows by several columns: by cols[0], ties by cols[1], ... (each as mk_frame_sort). */
int mk_frame_sort_by(mk_frame *f, const int *cols, int ncols, mk_err *err);

/* Scatter rows of a numeric frame from root: rank r receives counts[r] rows starting at
 * displs[r] (rows). Column names travel too. `local` is initialized here. Collective. */
int mk_frame_scatter(MPI_Comm comm, int root, const mk_frame *full, const int *counts, const int *displs,
                     mk_frame *local, mk_err *err);
/* Gather every rank's rows (numbers and text) to root in rank order (concat); on root `all` is
 * initialized. Collective. */
int mk_frame_gather(MPI_Comm comm, int root, const mk_frame *local, mk_frame *all, mk_err *err);

/* HDF5 layout of a frame: one 1-D dataset per column ("/A", "/B", ...), int64 when every value
 * of the column is an integer below 2^53 (agreed over comm), else float64; root attributes
 * "columns" (names in order, comma-separated) and "rows". Each rank writes its rows
 * [row0, row0 + local->nrows) of `total` collectively (chunk: rows per chunk, 0 contiguous). */
int mk_frame_write_h5(mk_h5 *h, const mk_frame *local, uint64_t row0, uint64_t total, uint64_t chunk,
                      mk_err *err);
/* Read the columns named in "columns" (or else every 1-D numeric dataset of the root group, by
 * name) of a file opened by this rank alone (MPI_COMM_SELF). */
int mk_frame_read_h5(mk_h5 *h, mk_frame *f, mk_err *err);

#endif
