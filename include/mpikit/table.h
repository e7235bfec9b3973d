/* table.h - a small column table (a DataFrame of doubles): CSV reader/writer, a safe
 * arithmetic expression language over columns, scatter/gather over ranks, and a
 * groupby-aggregate with a hash shuffle (MPI_Alltoallv). (mk_table in report.h is the
 * report printer; this one is mk_frame.) */
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

/* Columns of nrows doubles each, with names. Integers up to 2^53 are exact. */
typedef struct {
    int ncols;
    uint64_t nrows;
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    double *cols[MK_FRAME_MAX_COLS];
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

/* The tutorial's table: columns A, B, C, D of random integers 0..99 from the counter-based RNG,
 * value (row, col) = mk_rng_below(seed, row * 4 + col, 100). Fills global rows
 * [row0, row0 + f->nrows) of an initialized 4-column frame. */
void mk_frame_fill_random(mk_frame *f, uint64_t seed, uint64_t row0);

/* Read a CSV file: a header of column names, then one number per field. Messages name the
 * file, the line and the column. */
int mk_frame_read_csv(const char *path, mk_frame *f, mk_err *err);
/* Write header and rows; numbers as %.17g (integers print without a decimal point). */
int mk_frame_write_csv(FILE *out, const mk_frame *f);

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

/* Aggregations for groupby. */
typedef enum { MK_AGG_SUM, MK_AGG_MEAN, MK_AGG_COUNT, MK_AGG_MIN, MK_AGG_MAX } mk_agg_kind;
typedef struct {
    mk_agg_kind kind;
    int col;                          /* input column, -1 for count */
    char name[MK_FRAME_NAME_MAX];     /* output column: "sum_A", "count" */
} mk_agg;

/* "sum:A,mean:C,count" -> aggs (at most max). */
int mk_agg_parse(const char *spec, const mk_frame *f, mk_agg *aggs, int max, int *naggs, mk_err *err);

/* Serial groupby: one row per distinct key, sorted by key ascending; values of a group are
 * combined in row order. Output columns: the key's name, then the aggregations. */
int mk_groupby_local(const mk_frame *f, int keycol, const mk_agg *aggs, int naggs, mk_frame *out, mk_err *err);

/* Distributed groupby: rows move to rank hash(key) % size (MPI_Alltoallv), so every group lives
 * on exactly one rank, which aggregates it. When the ranks hold consecutive row ranges in rank
 * order, values reach their group in global row order, so results equal the serial groupby
 * bit for bit. `out` holds this rank's groups, sorted. Collective; errors agreed. */
int mk_groupby_shuffle(MPI_Comm comm, const mk_frame *local, int keycol, const mk_agg *aggs, int naggs,
                       mk_frame *out, mk_err *err);

/* Sort rows by one column ascending (stable). */
int mk_frame_sort(mk_frame *f, int col, mk_err *err);

/* Scatter rows from root: rank r receives counts[r] rows starting at displs[r] (rows).
 * Column names travel too. `local` is initialized here. Collective. */
int mk_frame_scatter(MPI_Comm comm, int root, const mk_frame *full, const int *counts, const int *displs,
                     mk_frame *local, mk_err *err);
/* Gather every rank's rows to root in rank order (concat); on root `all` is initialized. Collective. */
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
