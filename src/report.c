/* report.c - tables rendered as aligned text, CSV or JSON; rank-ordered printing. */
#include "mpikit/report.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A non-finite number keeps its printf text for humans but has no JSON spelling. */
enum { CELL_STR, CELL_NUM, CELL_NONFINITE };

typedef struct {
    char *text;  /* as text tables show it */
    char *exact; /* a double's shortest round-trip spelling for CSV and JSON, or NULL */
    int kind;
} cell;

struct mk_table {
    char *name;
    char *title;
    int ncols;
    char **cols;
    cell *cells;
    size_t ncells, cap;
};

static char *dup_str(const char *s)
{
    if (s == NULL)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

mk_table *mk_table_new(const char *name, const char *title, int ncols, const char *const *cols)
{
    if (ncols <= 0 || cols == NULL)
        return NULL;
    mk_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    t->name = dup_str(name != NULL ? name : "table");
    t->title = title != NULL ? dup_str(title) : NULL;
    t->cols = calloc((size_t)ncols, sizeof *t->cols);
    int ok = t->name != NULL && (title == NULL || t->title != NULL) && t->cols != NULL;
    for (int i = 0; ok && i < ncols; i++) {
        t->cols[i] = dup_str(cols[i]);
        ok = t->cols[i] != NULL;
    }
    if (!ok) {
        mk_table_free(t);
        return NULL;
    }
    return t;
}

void mk_table_free(mk_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncells; i++) {
        free(t->cells[i].text);
        free(t->cells[i].exact);
    }
    free(t->cells);
    if (t->cols != NULL)
        for (int i = 0; i < t->ncols; i++)
            free(t->cols[i]);
    free(t->cols);
    free(t->title);
    free(t->name);
    free(t);
}

/* Takes ownership of text and exact; text may be NULL after a failed allocation. */
static int push_cell2(mk_table *t, char *text, char *exact, int kind)
{
    if (t->ncells == t->cap && text != NULL) {
        size_t cap = t->cap != 0 ? t->cap * 2 : 64;
        cell *c = realloc(t->cells, cap * sizeof *c);
        if (c == NULL) {
            free(text);
            text = NULL;
        } else {
            t->cells = c;
            t->cap = cap;
        }
    }
    if (text == NULL) {
        free(exact);
        return -1;
    }
    t->cells[t->ncells].text = text;
    t->cells[t->ncells].exact = exact;
    t->cells[t->ncells].kind = kind;
    t->ncells++;
    return 0;
}

static int push_cell(mk_table *t, char *text, int kind)
{
    return push_cell2(t, text, NULL, kind);
}

int mk_table_str(mk_table *t, const char *value)
{
    return push_cell(t, dup_str(value), CELL_STR);
}

int mk_table_u64(mk_table *t, uint64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, value);
    return push_cell(t, dup_str(buf), CELL_NUM);
}

int mk_table_i64(mk_table *t, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, value);
    return push_cell(t, dup_str(buf), CELL_NUM);
}

int mk_table_f64(mk_table *t, const char *printf_format, double value)
{
    const char *fmt = printf_format != NULL ? printf_format : "%g";
    int n = snprintf(NULL, 0, fmt, value);
    if (n < 0)
        return -1;
    char *text = malloc((size_t)n + 1);
    if (text != NULL)
        snprintf(text, (size_t)n + 1, fmt, value);
    char exact[40];
    char *ex = dup_str(mk_format_exact(value, exact, sizeof exact));
    if (ex == NULL) {
        free(text);
        return -1;
    }
    return push_cell2(t, text, ex, isfinite(value) ? CELL_NUM : CELL_NONFINITE);
}

const char *mk_format_exact(double x, char *buf, size_t len)
{
    if (isnan(x)) {
        snprintf(buf, len, "nan");
        return buf;
    }
    if (isinf(x)) {
        snprintf(buf, len, x > 0 ? "inf" : "-inf");
        return buf;
    }
    if (x == 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    /* The fewest significant digits that read back as x; 17 always do. */
    char e[40];
    int digits = 1;
    for (; digits < 17; digits++) {
        snprintf(e, sizeof e, "%.*e", digits - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    snprintf(e, sizeof e, "%.*e", digits - 1, x);
    const char *mark = strchr(e, 'e');
    int exp10 = mark != NULL ? (int)strtol(mark + 1, NULL, 10) : 0;
    if (exp10 >= -4 && exp10 < 16) {
        /* Rounding at the same decimal place as the %e above gives the same digits. */
        int decimals = digits - 1 - exp10;
        snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, x);
    } else {
        snprintf(buf, len, "%s", e);
    }
    return buf;
}

int mk_table_rows(const mk_table *t)
{
    /* A partly filled last row counts: it is printed, with its missing cells empty. */
    return (int)((t->ncells + (size_t)t->ncols - 1) / (size_t)t->ncols);
}

static const cell *cell_at(const mk_table *t, int row, int col)
{
    size_t i = (size_t)row * (size_t)t->ncols + (size_t)col;
    return i < t->ncells ? &t->cells[i] : NULL;
}

/* Width in terminal columns, assuming one column per UTF-8 code point. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void pad(FILE *out, size_t n)
{
    while (n-- > 0)
        fputc(' ', out);
}

static void print_text_cell(FILE *out, const char *s, size_t width, int right, int last)
{
    size_t w = display_width(s);
    size_t fill = width > w ? width - w : 0;
    if (right)
        pad(out, fill);
    fputs(s, out);
    if (!right && !last)
        pad(out, fill);
}

static void print_text(FILE *out, const mk_table *t)
{
    int rows = mk_table_rows(t);
    size_t *width = calloc((size_t)t->ncols, sizeof *width);
    int *numeric = calloc((size_t)t->ncols, sizeof *numeric);
    if (width == NULL || numeric == NULL) {
        free(width);
        free(numeric);
        return;
    }
    for (int c = 0; c < t->ncols; c++) {
        width[c] = display_width(t->cols[c]);
        /* A column of numbers gets its header right-aligned over the digits. */
        numeric[c] = rows > 0;
        for (int r = 0; r < rows; r++) {
            const cell *x = cell_at(t, r, c);
            if (x == NULL)
                continue;
            size_t w = display_width(x->text);
            if (w > width[c])
                width[c] = w;
            if (x->kind == CELL_STR)
                numeric[c] = 0;
        }
    }

    if (t->title != NULL)
        fprintf(out, "%s\n", t->title);
    for (int c = 0; c < t->ncols; c++) {
        if (c > 0)
            fputs("  ", out);
        print_text_cell(out, t->cols[c], width[c], numeric[c], c == t->ncols - 1);
    }
    fputc('\n', out);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const cell *x = cell_at(t, r, c);
            if (c > 0)
                fputs("  ", out);
            print_text_cell(out, x != NULL ? x->text : "", width[c],
                            x != NULL && x->kind != CELL_STR, c == t->ncols - 1);
        }
        fputc('\n', out);
    }
    free(width);
    free(numeric);
}

void mk_csv_field(FILE *out, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void print_csv(FILE *out, const mk_table *t)
{
    for (int c = 0; c < t->ncols; c++) {
        if (c > 0)
            fputc(',', out);
        mk_csv_field(out, t->cols[c]);
    }
    fputc('\n', out);
    int rows = mk_table_rows(t);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const cell *x = cell_at(t, r, c);
            if (c > 0)
                fputc(',', out);
            if (x != NULL)
                mk_csv_field(out, x->exact != NULL ? x->exact : x->text);
        }
        fputc('\n', out);
    }
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when the byte at s does not start one. */
static int utf8_len(const unsigned char *s)
{
    unsigned char b = s[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

void mk_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    fputc('"', out);
    while (*p != '\0') {
        unsigned char b = *p;
        int n;
        switch (b) {
        case '"':  fputs("\\\"", out); p++; continue;
        case '\\': fputs("\\\\", out); p++; continue;
        case '\n': fputs("\\n", out); p++; continue;
        case '\t': fputs("\\t", out); p++; continue;
        case '\r': fputs("\\r", out); p++; continue;
        case '\b': fputs("\\b", out); p++; continue;
        case '\f': fputs("\\f", out); p++; continue;
        default: break;
        }
        if (b < 0x20) { /* NOLINT(bugprone-branch-clone): the last branch escapes bytes for another reason */
            fprintf(out, "\\u%04x", b);
            p++;
        } else if (b < 0x80) {
            fputc(b, out);
            p++;
        } else if ((n = utf8_len(p)) > 0) {
            fwrite(p, 1, (size_t)n, out);
            p += n;
        } else {
            /* Not text we can pass on: keep the byte value visible rather than drop it. */
            fprintf(out, "\\u%04x", b);
            p++;
        }
    }
    fputc('"', out);
}

static void print_json_table(FILE *out, const mk_table *t)
{
    fputs("  ", out);
    mk_json_string(out, t->name);
    int rows = mk_table_rows(t);
    if (rows == 0) {
        fputs(": []", out);
        return;
    }
    fputs(": [\n", out);
    for (int r = 0; r < rows; r++) {
        fputs("    {", out);
        for (int c = 0; c < t->ncols; c++) {
            const cell *x = cell_at(t, r, c);
            if (c > 0)
                fputs(", ", out);
            mk_json_string(out, t->cols[c]);
            fputs(": ", out);
            if (x == NULL || x->kind == CELL_NONFINITE)
                fputs("null", out);
            else if (x->kind == CELL_NUM)
                fputs(x->exact != NULL ? x->exact : x->text, out);
            else
                mk_json_string(out, x->text);
        }
        fputs(r + 1 < rows ? "},\n" : "}\n", out);
    }
    fputs("  ]", out);
}

/* The name at `index` of the '|'-separated names, or "" when there is none. */
static const char *choice_name(const char *names, int index, char *buf, size_t len)
{
    const char *p = names != NULL ? names : "";
    for (int i = 0; i < index && p != NULL; i++) {
        p = strchr(p, '|');
        if (p != NULL)
            p++;
    }
    size_t n = p != NULL ? strcspn(p, "|") : 0;
    if (n >= len)
        n = len - 1;
    memcpy(buf, p != NULL ? p : "", n);
    buf[n] = '\0';
    return buf;
}

/* The table --format csv prints, or NULL when the run made none of that name. */
static const mk_table *csv_pick(mk_table *const *tables, int ntables, const char *names, int table,
                                char *name, size_t len)
{
    if (names == NULL) {
        snprintf(name, len, "%s", ntables > 0 ? tables[0]->name : "");
        return ntables > 0 ? tables[0] : NULL;
    }
    /* The main result: the made table that comes first among the names. */
    for (int k = table == MK_TABLE_MAIN ? 0 : table;; k++) {
        choice_name(names, k, name, len);
        if (name[0] == '\0')
            return NULL;
        for (int i = 0; i < ntables; i++)
            if (strcmp(tables[i]->name, name) == 0)
                return tables[i];
        if (table != MK_TABLE_MAIN)
            return NULL;
    }
}

int mk_report_print(FILE *out, mk_table *const *tables, int ntables, mk_format fmt, const char *names,
                    int table)
{
    if (out == NULL)
        return 0;
    if (fmt == MK_FMT_JSON) {
        fputs("{\n", out);
        for (int i = 0; i < ntables; i++) {
            print_json_table(out, tables[i]);
            fputs(i + 1 < ntables ? ",\n" : "\n", out);
        }
        fputs("}\n", out);
        return 0;
    }
    if (fmt == MK_FMT_CSV) {
        char name[64];
        const mk_table *t = csv_pick(tables, ntables, names, table, name, sizeof name);
        if (t == NULL) {
            /* The jobs check --table against their options first; this is the last guard. */
            fprintf(stderr, "error: --table %s: this run made no such table\n", name);
            return -1;
        }
        print_csv(out, t);
        return 0;
    }
    for (int i = 0; i < ntables; i++) {
        if (i > 0)
            fputc('\n', out);
        print_text(out, tables[i]);
    }
    return 0;
}

void mk_tables_print(FILE *out, mk_table *const *tables, int ntables, mk_format fmt)
{
    (void)mk_report_print(out, tables, ntables, fmt, NULL, MK_TABLE_MAIN);
}

int mk_table_check_format(int format, int table, mk_err *err)
{
    if (table != MK_TABLE_MAIN && format != MK_FMT_CSV)
        return mk_err_set(err, MK_EXIT_USAGE,
                          "--table applies to --format csv only (text and json print every table)");
    return 0;
}

int mk_table_require(const char *names, int table, const char *name, int made, const char *needs, mk_err *err)
{
    char picked[64];
    if (made || table == MK_TABLE_MAIN || strcmp(choice_name(names, table, picked, sizeof picked), name) != 0)
        return 0;
    return mk_err_set(err, MK_EXIT_USAGE, "--table %s: %s", name, needs);
}

void mk_table_print(FILE *out, const mk_table *t, mk_format fmt)
{
    /* The cast only adapts to the array type; mk_tables_print does not modify tables. */
    mk_table *one = (mk_table *)t;
    mk_tables_print(out, &one, 1, fmt);
}

/* Rank 0 announces whether it could allocate its buffers, so an allocation
 * failure makes every rank return -1 instead of deadlocking or crashing. */
static int root_ok(MPI_Comm comm, int ok)
{
    return MPI_Bcast(&ok, 1, MPI_INT, 0, comm) == MPI_SUCCESS && ok;
}

int mk_print_ordered(MPI_Comm comm, FILE *out, const char *text)
{
    int rank, size;
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS || MPI_Comm_size(comm, &size) != MPI_SUCCESS)
        return -1;
    if (text == NULL)
        text = "";
    size_t len = strlen(text);
    /* Counts are ints in MPI; a longer text is reported to rank 0 as -1. */
    int mylen = len > (size_t)INT_MAX ? -1 : (int)len;

    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    long long total = 0;
    int ok = 1, rc = -1;
    if (rank == 0) {
        lens = malloc((size_t)size * sizeof *lens);
        displs = malloc((size_t)size * sizeof *displs);
        ok = lens != NULL && displs != NULL;
    }
    if (!root_ok(comm, ok))
        goto done;
    if (MPI_Gather(&mylen, 1, MPI_INT, lens, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        goto done;
    if (rank == 0) {
        for (int i = 0; i < size && ok; i++) {
            ok = lens[i] >= 0 && total + lens[i] <= INT_MAX;
            displs[i] = (int)total;
            total += lens[i];
        }
        if (ok) {
            all = malloc((size_t)total + 1);
            ok = all != NULL;
        }
    }
    if (!root_ok(comm, ok))
        goto done;
    if (MPI_Gatherv(text, mylen, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, comm) != MPI_SUCCESS)
        goto done;
    if (rank == 0 && out != NULL) {
        fwrite(all, 1, (size_t)total, out);
        fflush(out);
    }
    rc = 0;
done:
    free(lens);
    free(displs);
    free(all);
    return rc;
}
