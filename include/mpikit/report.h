/* report.h - rank-0 output: tables rendered as aligned text, CSV or JSON; rank-ordered printing. */
#ifndef MPIKIT_REPORT_H
#define MPIKIT_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <mpi.h>

typedef enum { MK_FMT_TEXT = 0, MK_FMT_CSV = 1, MK_FMT_JSON = 2 } mk_format;

/* The choices string for a --format option, in mk_format order. */
#define MK_FORMAT_CHOICES "text|csv|json"

typedef struct mk_table mk_table;

/* A table with a name (JSON key, text title) and column names. */
mk_table *mk_table_new(const char *name, const char *title, int ncols, const char *const *cols);
void mk_table_free(mk_table *t);

/* Append cells to the current row, left to right; the row ends after ncols cells.
 * Numeric cells are right-aligned in text and unquoted in JSON. Return 0 or -1 (no memory). */
int mk_table_str(mk_table *t, const char *value);
int mk_table_u64(mk_table *t, uint64_t value);
int mk_table_i64(mk_table *t, int64_t value);
int mk_table_f64(mk_table *t, const char *printf_format, double value);

/* Rows added so far. */
int mk_table_rows(const mk_table *t);

/* Print one table. Text: title line, header, aligned rows. CSV: header and rows. */
void mk_table_print(FILE *out, const mk_table *t, mk_format fmt);

/* Print several tables as one document: text and CSV print them in order separated by
 * a blank line; JSON prints one object {"name": [ {col: value, ...}, ... ], ...}. */
void mk_tables_print(FILE *out, mk_table *const *tables, int ntables, mk_format fmt);

/* Write a JSON string literal with escapes (any bytes; non-UTF-8 as \u00XX). */
void mk_json_string(FILE *out, const char *s);

/* Write a CSV field, quoted when it holds a comma, quote, CR or LF. */
void mk_csv_field(FILE *out, const char *s);

/* Gather one text from every rank of comm and print them on rank 0 in rank order. Collective. */
int mk_print_ordered(MPI_Comm comm, FILE *out, const char *text);

#endif
