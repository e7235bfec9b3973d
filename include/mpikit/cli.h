/* cli.h - command-line options: --help, --version, typed values with range checks, clear errors. */
#ifndef MPIKIT_CLI_H
#define MPIKIT_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "mpikit/error.h"

typedef enum {
    MK_OPT_FLAG,    /* no value; target int* set to 1 */
    MK_OPT_INT,     /* target int64_t*, checked against [min, max] */
    MK_OPT_SIZE,    /* target uint64_t*, bytes with optional K/M/G/T suffix (binary), [min, max] */
    MK_OPT_DOUBLE,  /* target double*, checked against [dmin, dmax] */
    MK_OPT_DURATION,/* target double* seconds: 10ms, 2s, 1.5us, 3m; [dmin, dmax] */
    MK_OPT_STRING,  /* target const char** (points into argv) */
    MK_OPT_CHOICE   /* target int*, index into the '|'-separated `choices` */
} mk_opt_kind;

typedef struct {
    const char *name;      /* long name without dashes, e.g. "top" */
    char short_name;       /* e.g. 'k', or 0 */
    mk_opt_kind kind;
    void *target;
    const char *metavar;   /* shown in --help, e.g. "K" */
    const char *help;      /* one line */
    int64_t min, max;      /* MK_OPT_INT / MK_OPT_SIZE bounds (both 0: no bounds) */
    double dmin, dmax;     /* MK_OPT_DOUBLE / MK_OPT_DURATION bounds (both 0: no bounds) */
    const char *choices;   /* MK_OPT_CHOICE: "text|csv|json" */
} mk_option;

typedef struct {
    const char *prog;      /* program name used in messages */
    const char *usage;     /* e.g. "[options] FILE..." */
    const char *summary;   /* one paragraph shown by --help */
    const mk_option *opts;
    int nopts;
    int min_positional;    /* fewer positional arguments is a usage error */
    int max_positional;    /* -1: unlimited */
} mk_cli;

enum { MK_CLI_OK = 0, MK_CLI_EXIT = 1, MK_CLI_ERROR = -1 };

/* Parse argv. Positional arguments are returned in *positional (malloc'd array of
 * pointers into argv; free it) and their number in *npositional. --help and --version
 * print to `out` (pass NULL on ranks other than 0) and return MK_CLI_EXIT.
 * Errors return MK_CLI_ERROR with err->code = MK_EXIT_USAGE and a message naming the option.
 * Deterministic, so every rank parsing the same argv reaches the same verdict. */
int mk_cli_parse(const mk_cli *cli, int argc, char **argv, FILE *out,
                 char ***positional, int *npositional, mk_err *err);

/* The value of --NAME VALUE or --NAME=VALUE in argv (before "--"), or NULL: for the few
 * options needed before MPI starts (a thread level); the full parse validates it later. */
const char *mk_cli_peek(int argc, char **argv, const char *name);

/* Print the --help text. */
void mk_cli_help(const mk_cli *cli, FILE *out);

/* Value parsers used by mk_cli_parse, exported for jobs and tests; return 0 or -1. */
int mk_parse_int(const char *text, int64_t *value);
int mk_parse_size(const char *text, uint64_t *bytes);
int mk_parse_double(const char *text, double *value);
int mk_parse_duration(const char *text, double *seconds);

/* Format a byte count for humans ("64.0 MiB"); returns buf. */
const char *mk_format_bytes(uint64_t bytes, char *buf, size_t len);

#endif
