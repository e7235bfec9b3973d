/* report.h - rank-0 output: tables rendered as aligned text, CSV or JSON; rank-ordered printing. */
#ifndef MPIKIT_REPORT_H
#define MPIKIT_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "mpikit/cli.h"
#include "mpikit/error.h"

typedef enum { MK_FMT_TEXT = 0, MK_FMT_CSV = 1, MK_FMT_JSON = 2 } mk_format;

/* The choices string for a --format option, in mk_format order. */
#define MK_FORMAT_CHOICES "text|csv|json"

typedef struct mk_table mk_table;

/* A table with a name (JSON key, text title) and column names. */
mk_table *mk_table_new(const char *name, const char *title, int ncols, const char *const *cols);
void mk_table_free(mk_table *t);

/* Append cells to the current row, left to right; the row ends after ncols cells.
 * Numeric cells are right-aligned in text and unquoted in JSON. A double shows printf_format
 * in text (rounded for people) and its shortest round-trip spelling in CSV and JSON (exact
 * for programs). Return 0 or -1 (no memory). */
int mk_table_str(mk_table *t, const char *value);
int mk_table_u64(mk_table *t, uint64_t value);
int mk_table_i64(mk_table *t, int64_t value);
int mk_table_f64(mk_table *t, const char *printf_format, double value);

/* Rows added so far. */
int mk_table_rows(const mk_table *t);

/* Print one table. Text: title line, header, aligned rows. CSV: header and rows. */
void mk_table_print(FILE *out, const mk_table *t, mk_format fmt);

/* mk_report_print with the first table as the CSV one. */
void mk_tables_print(FILE *out, mk_table *const *tables, int ntables, mk_format fmt);

/* --table: which of a job's tables --format csv prints: an index into the job's names, or
 * MK_TABLE_MAIN (the default), the run's main result: of the tables made, the first in names. */
enum { MK_TABLE_MAIN = -1 };

/* The --table option (an mk_option initializer) of a job whose tables are the string literal
 * `names` ('|'-separated, main result first, e.g. "top|files"); --help lists the names and an
 * unknown name is a usage error listing them. */
#define MK_TABLE_OPTION(target, names)                                                                  \
    {"table", 0, MK_OPT_CHOICE, (target), "NAME",                                                       \
     "with --format csv, the one table printed: " names " (default: the main result)", 0, 0, 0, 0, names}

/* The usage checks of --format and --table: --table applies to --format csv only, and a
 * table that only some options make (`made` 0) says which option it needs. Return 0 or -1. */
int mk_table_check_format(int format, int table, mk_err *err);
int mk_table_require(const char *names, int table, const char *name, int made, const char *needs, mk_err *err);

/* Print a run's tables as the one document --format asks for. Text: every table, a blank line
 * between. JSON: one object {"name": [ {col: value, ...}, ... ], ...} holding every table.
 * CSV: exactly one table, the one whose name is entry `table` of `names` (NULL names: the
 * first table made), so that pandas.read_csv loads it as it is. Returns 0, or -1 when the
 * run made no such table (then nothing is printed and stderr gets one line). */
int mk_report_print(FILE *out, mk_table *const *tables, int ntables, mk_format fmt, const char *names,
                    int table);

/* The shortest spelling of x that strtod reads back as x exactly ("0.1", "1321.8", "1e+300");
 * fixed notation for exponents -4..15 as Python's repr. Returns buf. */
const char *mk_format_exact(double x, char *buf, size_t len);

/* Write a JSON string literal with escapes (any bytes; non-UTF-8 as \u00XX). */
void mk_json_string(FILE *out, const char *s);

/* Write a CSV field, quoted when it holds a comma, quote, CR or LF. */
void mk_csv_field(FILE *out, const char *s);

/* Gather one text from every rank of comm and print them on rank 0 in rank order. Collective. */
int mk_print_ordered(MPI_Comm comm, FILE *out, const char *text);

#endif
