/* table.c - column tables of doubles: CSV, a safe expression language, scatter/gather,
 * and groupby-aggregate locally and with a hash shuffle. */
#include "mpikit/table.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mpikit/rng.h"

int mk_frame_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= MK_FRAME_NAME_MAX || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
            return 0;
    return 1;
}

int mk_frame_init(mk_frame *f, int ncols, const char *const *names, uint64_t nrows, mk_err *err)
{
    memset(f, 0, sizeof *f);
    if (ncols < 0 || ncols > MK_FRAME_MAX_COLS)
        return mk_err_set(err, MK_EXIT_FAILURE, "too many columns (%d; at most %d)", ncols, MK_FRAME_MAX_COLS);
    f->nrows = nrows;
    for (int i = 0; i < ncols; i++) {
        if (mk_frame_add_column(f, names[i], err) < 0) {
            mk_frame_free(f);
            return -1;
        }
    }
    return 0;
}

void mk_frame_free(mk_frame *f)
{
    for (int i = 0; i < f->ncols; i++)
        free(f->cols[i]);
    f->ncols = 0;
    f->nrows = 0;
}

int mk_frame_find(const mk_frame *f, const char *name)
{
    for (int i = 0; i < f->ncols; i++)
        if (strcmp(f->names[i], name) == 0)
            return i;
    return -1;
}

int mk_frame_add_column(mk_frame *f, const char *name, mk_err *err)
{
    if (!mk_frame_valid_name(name))
        return mk_err_set(err, MK_EXIT_USAGE, "'%s' is not a valid column name", name);
    int i = mk_frame_find(f, name);
    if (i < 0) {
        if (f->ncols == MK_FRAME_MAX_COLS)
            return mk_err_set(err, MK_EXIT_FAILURE, "too many columns (at most %d)", MK_FRAME_MAX_COLS);
        i = f->ncols;
        double *c = calloc(f->nrows ? f->nrows : 1, sizeof *c);
        if (c == NULL)
            return mk_err_set(err, MK_EXIT_FAILURE, "out of memory for column '%s'", name);
        f->cols[i] = c;
        strcpy(f->names[i], name);
        f->ncols++;
    }
    return i;
}

void mk_frame_fill_random(mk_frame *f, uint64_t seed, uint64_t row0)
{
    for (uint64_t r = 0; r < f->nrows; r++)
        for (int c = 0; c < f->ncols && c < 4; c++)
            f->cols[c][r] = (double)mk_rng_below(seed, (row0 + r) * 4 + (uint64_t)c, 100);
}

/* ---- CSV ---- */

static char *slurp(const char *path, size_t *len, mk_err *err)
{
    /* Check the type first: fopen of a FIFO blocks, and a device like /dev/zero never ends. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        mk_err_set(err, MK_EXIT_FAILURE, "'%s' is a directory, not a file", path);
        return NULL;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not a regular file (a pipe or device)", path);
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        mk_err_set(err, MK_EXIT_FAILURE, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (buf == NULL)
            break;
        size_t got = fread(buf + n, 1, cap - n, fp);
        /* A NUL is never in a text CSV: stop at once (a huge binary or sparse file ends here). */
        const char *nul = memchr(buf + n, '\0', got);
        if (nul != NULL) {
            mk_err_set(err, MK_EXIT_FAILURE, "'%s' has a NUL byte at offset %llu: not a text CSV file", path,
                       (unsigned long long)(nul - buf));
            free(buf);
            fclose(fp);
            return NULL;
        }
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    int bad = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (buf == NULL) {
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory reading '%s'", path);
        return NULL;
    }
    if (bad) {
        free(buf);
        mk_err_set(err, MK_EXIT_FAILURE, "cannot read '%s': %s", path, strerror(saved));
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Next field of a line: [*p, end of field); returns the field's end and trims spaces. */
static void trim(char **s, char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

int mk_frame_read_csv(const char *path, mk_frame *f, mk_err *err)
{
    memset(f, 0, sizeof *f);
    size_t len;
    char *buf = slurp(path, &len, err);
    if (buf == NULL)
        return -1;
    /* Count data lines for one allocation per column. */
    uint64_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    if (len > 0 && buf[len - 1] != '\n')
        lines++;
    char *p = buf, *end = buf + len;
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
        eol = end;
    if (p == eol || (eol - p == 1 && *p == '\r')) {
        free(buf);
        return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: empty header (expected column names)", path);
    }
    /* header */
    char *names[MK_FRAME_MAX_COLS];
    int ncols = 0;
    for (char *s = p;;) {
        char *e = memchr(s, ',', (size_t)(eol - s));
        char *fe = e ? e : eol;
        char *ts = s, *te = fe;
        trim(&ts, &te);
        if (ncols == MK_FRAME_MAX_COLS) {
            free(buf);
            return mk_err_set(err, MK_EXIT_FAILURE, "%s:1: more than %d columns", path, MK_FRAME_MAX_COLS);
        }
        /* A NUL byte would cut the name short and pass the check on its prefix. */
        int has_nul = memchr(ts, '\0', (size_t)(te - ts)) != NULL;
        *te = '\0';
        names[ncols++] = ts;
        if (has_nul || !mk_frame_valid_name(ts) || (ncols > 1 && mk_frame_find(f, ts) >= 0)) {
            mk_err_set(err, MK_EXIT_FAILURE, "%s:1: bad column name '%s' (letters, digits, _; unique)", path, ts);
            free(buf);
            return -1;
        }
        for (int i = 0; i + 1 < ncols; i++)
            if (strcmp(names[i], ts) == 0) {
                mk_err_set(err, MK_EXIT_FAILURE, "%s:1: duplicate column name '%s'", path, ts);
                free(buf);
                return -1;
            }
        if (e == NULL)
            break;
        s = e + 1;
    }
    if (mk_frame_init(f, ncols, (const char *const *)names, lines, err) != 0) {
        free(buf);
        return -1;
    }
    uint64_t row = 0, lineno = 1;
    p = eol < end ? eol + 1 : end;
    while (p < end) {
        lineno++;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        char *ls = p, *le = eol;
        trim(&ls, &le);
        if (ls == le) { /* blank line */
            p = eol + 1;
            continue;
        }
        char *s = p;
        for (int c = 0; c < ncols; c++) {
            char *e = memchr(s, ',', (size_t)(eol - s));
            if ((e == NULL) != (c == ncols - 1)) {
                int found = 1;
                for (char *q = p; q < eol; q++)
                    found += *q == ',';
                mk_err_set(err, MK_EXIT_FAILURE, "%s:%llu: expected %d fields, found %d", path,
                           (unsigned long long)lineno, ncols, found);
                goto fail;
            }
            char *fe = e ? e : eol;
            char *ts = s, *te = fe;
            trim(&ts, &te);
            char save = *te;
            *te = '\0';
            char *num_end;
            errno = 0;
            double v = strtod(ts, &num_end);
            /* Decimal only: strtod would also take hex floats ("0x1p3"), which no CSV means. */
            int ok = ts != te && num_end == te && (isdigit((unsigned char)ts[0]) || ts[0] == '-' || ts[0] == '+' ||
                                                   ts[0] == '.') && isfinite(v) && strpbrk(ts, "xX") == NULL;
            if (!ok) {
                mk_err_set(err, MK_EXIT_FAILURE, "%s:%llu: '%.40s' in column %s is not a number", path,
                           (unsigned long long)lineno, ts, f->names[c]);
                goto fail;
            }
            *te = save;
            f->cols[c][row] = v;
            s = fe + 1;
        }
        row++;
        p = eol + 1;
    }
    f->nrows = row;
    free(buf);
    return 0;
fail:
    free(buf);
    mk_frame_free(f);
    return -1;
}

int mk_frame_write_csv(FILE *out, const mk_frame *f)
{
    for (int c = 0; c < f->ncols; c++)
        fprintf(out, "%s%s", c ? "," : "", f->names[c]);
    fputc('\n', out);
    for (uint64_t r = 0; r < f->nrows; r++)
        for (int c = 0; c < f->ncols; c++)
            fprintf(out, "%.17g%c", f->cols[c][r] == 0 ? 0.0 : f->cols[c][r], c + 1 == f->ncols ? '\n' : ',');
    return ferror(out) ? -1 : 0;
}

/* ---- expressions ---- */

enum { OP_COL, OP_CONST, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG };
enum { EXPR_MAX_OPS = 256, EXPR_MAX_DEPTH = 64, EVAL_BLOCK = 512 };

typedef struct {
    int op;
    int col;
    double value;
} expr_op;

struct mk_expr {
    int nops;
    int max_stack;
    expr_op ops[EXPR_MAX_OPS];
};

typedef struct {
    const char *text;
    const char *p;
    const mk_frame *f;
    mk_expr *e;
    int depth, stack, nest;
    mk_err *err;
} parser;

static void skip_space(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static int emit(parser *ps, int op, int col, double value)
{
    if (ps->e->nops == EXPR_MAX_OPS)
        return mk_err_set(ps->err, MK_EXIT_USAGE, "expression '%s' is too long", ps->text);
    ps->e->ops[ps->e->nops++] = (expr_op){op, col, value};
    if (op == OP_COL || op == OP_CONST)
        ps->stack++;
    else if (op != OP_NEG)
        ps->stack--;
    if (ps->stack > ps->e->max_stack)
        ps->e->max_stack = ps->stack;
    return 0;
}

static int syntax(parser *ps, const char *what)
{
    return mk_err_set(ps->err, MK_EXIT_USAGE, "bad expression '%s' at column %d: %s", ps->text,
                      (int)(ps->p - ps->text) + 1, what);
}

static int parse_expr(parser *ps);

static int parse_primary(parser *ps)
{
    skip_space(ps);
    char c = *ps->p;
    if (c == '(') {
        if (++ps->nest > EXPR_MAX_DEPTH)
            return syntax(ps, "nested too deeply");
        ps->p++;
        if (parse_expr(ps) != 0)
            return -1;
        skip_space(ps);
        if (*ps->p != ')')
            return syntax(ps, "expected ')'");
        ps->p++;
        ps->nest--;
        return 0;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)ps->p[1]))) {
        const char *s = ps->p;
        while (isdigit((unsigned char)*ps->p))
            ps->p++;
        if (*ps->p == '.')
            for (ps->p++; isdigit((unsigned char)*ps->p);)
                ps->p++;
        if (*ps->p == 'e' || *ps->p == 'E') {
            const char *q = ps->p + 1;
            if (*q == '+' || *q == '-')
                q++;
            if (!isdigit((unsigned char)*q))
                return syntax(ps, "bad exponent");
            while (isdigit((unsigned char)*q))
                q++;
            ps->p = q;
        }
        char num[64];
        size_t n = (size_t)(ps->p - s);
        if (n >= sizeof num)
            return syntax(ps, "number too long");
        memcpy(num, s, n);
        num[n] = '\0';
        double v = strtod(num, NULL);
        if (!isfinite(v))
            return syntax(ps, "number out of range");
        return emit(ps, OP_CONST, -1, v);
    }
    if (isalpha((unsigned char)c) || c == '_') {
        const char *s = ps->p;
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
            ps->p++;
        char name[MK_FRAME_NAME_MAX];
        size_t n = (size_t)(ps->p - s);
        if (n >= sizeof name)
            return syntax(ps, "name too long");
        memcpy(name, s, n);
        name[n] = '\0';
        int col = mk_frame_find(ps->f, name);
        if (col < 0) {
            ps->p = s;
            return mk_err_set(ps->err, MK_EXIT_USAGE, "bad expression '%s': unknown column '%s'", ps->text, name);
        }
        return emit(ps, OP_COL, col, 0);
    }
    return syntax(ps, c == '\0' ? "unexpected end, expected a number, a column or '('"
                                : "expected a number, a column or '('");
}

static int parse_unary(parser *ps)
{
    skip_space(ps);
    if (*ps->p == '-' || *ps->p == '+') {
        int neg = *ps->p == '-';
        ps->p++;
        if (++ps->nest > EXPR_MAX_DEPTH)
            return syntax(ps, "nested too deeply");
        if (parse_unary(ps) != 0)
            return -1;
        ps->nest--;
        return neg ? emit(ps, OP_NEG, -1, 0) : 0;
    }
    return parse_primary(ps);
}

static int parse_term(parser *ps)
{
    if (parse_unary(ps) != 0)
        return -1;
    for (;;) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '*' && c != '/')
            return 0;
        ps->p++;
        if (parse_unary(ps) != 0 || emit(ps, c == '*' ? OP_MUL : OP_DIV, -1, 0) != 0)
            return -1;
    }
}

static int parse_expr(parser *ps)
{
    if (parse_term(ps) != 0)
        return -1;
    for (;;) {
        skip_space(ps);
        char c = *ps->p;
        if (c != '+' && c != '-')
            return 0;
        ps->p++;
        if (parse_term(ps) != 0 || emit(ps, c == '+' ? OP_ADD : OP_SUB, -1, 0) != 0)
            return -1;
    }
}

int mk_expr_compile(const char *text, const mk_frame *f, mk_expr **out, mk_err *err)
{
    *out = NULL;
    mk_expr *e = calloc(1, sizeof *e);
    if (e == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    parser ps = {text, text, f, e, 0, 0, 0, err};
    if (parse_expr(&ps) != 0) {
        free(e);
        return -1;
    }
    skip_space(&ps);
    if (*ps.p != '\0') {
        syntax(&ps, *ps.p == ')' ? "unbalanced ')'" : "expected an operator (+ - * /)");
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void mk_expr_free(mk_expr *e)
{
    free(e);
}

int mk_expr_eval(const mk_expr *e, const mk_frame *f, uint64_t n, double *out)
{
    /* A stack of blocks: each operation runs over EVAL_BLOCK rows at a time. */
    double *stack = calloc((size_t)(e->max_stack > 0 ? e->max_stack : 1) * EVAL_BLOCK, sizeof *stack);
    if (stack == NULL)
        return -1;
    for (uint64_t r0 = 0; r0 < n; r0 += EVAL_BLOCK) {
        size_t m = n - r0 < EVAL_BLOCK ? (size_t)(n - r0) : EVAL_BLOCK;
        int sp = 0;
        for (int k = 0; k < e->nops; k++) {
            const expr_op *o = &e->ops[k];
            double *top = stack + (size_t)sp * EVAL_BLOCK;
            double *a = stack + (size_t)(sp - 2 >= 0 ? sp - 2 : 0) * EVAL_BLOCK;
            double *b = stack + (size_t)(sp - 1 >= 0 ? sp - 1 : 0) * EVAL_BLOCK;
            switch (o->op) {
            case OP_COL:
                memcpy(top, f->cols[o->col] + r0, m * sizeof *top);
                sp++;
                break;
            case OP_CONST:
                for (size_t i = 0; i < m; i++)
                    top[i] = o->value;
                sp++;
                break;
            case OP_NEG:
                for (size_t i = 0; i < m; i++)
                    b[i] = -b[i];
                break;
            case OP_ADD:
                for (size_t i = 0; i < m; i++)
                    a[i] += b[i];
                sp--;
                break;
            case OP_SUB:
                for (size_t i = 0; i < m; i++)
                    a[i] -= b[i];
                sp--;
                break;
            case OP_MUL:
                for (size_t i = 0; i < m; i++)
                    a[i] *= b[i];
                sp--;
                break;
            default:
                for (size_t i = 0; i < m; i++)
                    a[i] /= b[i];
                sp--;
                break;
            }
        }
        memcpy(out + r0, stack, m * sizeof *out);
    }
    free(stack);
    return 0;
}

int mk_assign_split(const char *text, char *name, size_t name_len, const char **expr, mk_err *err)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%s': expected NAME=EXPRESSION", text);
    const char *s = text, *e = eq;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= name_len || n >= MK_FRAME_NAME_MAX)
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%s': bad column name before '='", text);
    memcpy(name, s, n);
    name[n] = '\0';
    if (!mk_frame_valid_name(name))
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%s': '%s' is not a valid column name", text, name);
    *expr = eq + 1;
    return 0;
}

/* ---- groupby ---- */

int mk_agg_parse(const char *spec, const mk_frame *f, mk_agg *aggs, int max, int *naggs, mk_err *err)
{
    *naggs = 0;
    const char *p = spec;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char item[2 * MK_FRAME_NAME_MAX];
        if (n == 0 || n >= sizeof item)
            return mk_err_set(err, MK_EXIT_USAGE, "--agg '%s': empty or too long item", spec);
        memcpy(item, p, n);
        item[n] = '\0';
        if (*naggs == max)
            return mk_err_set(err, MK_EXIT_USAGE, "--agg '%s': at most %d aggregations", spec, max);
        mk_agg *a = &aggs[*naggs];
        char *colon = strchr(item, ':');
        if (colon)
            *colon = '\0';
        static const char *const kinds[] = {"sum", "mean", "count", "min", "max"};
        int k = -1;
        for (int i = 0; i < 5; i++)
            if (strcmp(item, kinds[i]) == 0)
                k = i;
        if (k < 0)
            return mk_err_set(err, MK_EXIT_USAGE, "--agg: unknown aggregation '%s' (sum, mean, count, min, max)",
                              item);
        a->kind = (mk_agg_kind)k;
        a->col = -1;
        if (a->kind == MK_AGG_COUNT) {
            if (colon && mk_frame_find(f, colon + 1) < 0)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: unknown column '%s'", colon + 1);
            strcpy(a->name, "count");
        } else {
            if (colon == NULL)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: '%s' needs a column ('%s:COLUMN')", item, item);
            a->col = mk_frame_find(f, colon + 1);
            if (a->col < 0)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: unknown column '%s'", colon + 1);
            if (strlen(item) + 1 + strlen(colon + 1) >= MK_FRAME_NAME_MAX)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: name too long");
            strcpy(a->name, item);
            strcat(a->name, "_");
            strcat(a->name, colon + 1);
        }
        for (int i = 0; i < *naggs; i++)
            if (strcmp(aggs[i].name, a->name) == 0)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: '%s' given twice", a->name);
        (*naggs)++;
        p += n;
        if (*p == ',')
            p++;
    }
    if (*naggs == 0)
        return mk_err_set(err, MK_EXIT_USAGE, "--agg: no aggregation given");
    return 0;
}

/* Keys order totally: -0 equals 0, NaN after everything. */
static int key_cmp(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static int cmp_index(const void *pa, const void *pb, void *ctx)
{
    const double *key = ctx;
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    int c = key_cmp(key[a], key[b]);
    return c != 0 ? c : (a > b) - (a < b);
}

/* Row order sorted by key, ties in row order. */
static uint64_t *sorted_order(const double *key, uint64_t n)
{
    uint64_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (idx == NULL)
        return NULL;
    for (uint64_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_index, (void *)(uintptr_t)key);
    return idx;
}

int mk_frame_sort(mk_frame *f, int col, mk_err *err)
{
    uint64_t *idx = sorted_order(f->cols[col], f->nrows);
    double *tmp = malloc((f->nrows ? f->nrows : 1) * sizeof *tmp);
    if (idx == NULL || tmp == NULL) {
        free(idx);
        free(tmp);
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory sorting");
    }
    for (int c = 0; c < f->ncols; c++) {
        for (uint64_t i = 0; i < f->nrows; i++)
            tmp[i] = f->cols[c][idx[i]];
        memcpy(f->cols[c], tmp, f->nrows * sizeof *tmp);
    }
    free(idx);
    free(tmp);
    return 0;
}

static int init_result(const mk_frame *f, int keycol, const mk_agg *aggs, int naggs, uint64_t nrows,
                       mk_frame *out, mk_err *err)
{
    const char *names[MK_FRAME_MAX_COLS];
    if (naggs + 1 > MK_FRAME_MAX_COLS)
        return mk_err_set(err, MK_EXIT_USAGE, "too many aggregations");
    names[0] = f->names[keycol];
    for (int i = 0; i < naggs; i++) {
        names[i + 1] = aggs[i].name;
        if (strcmp(aggs[i].name, names[0]) == 0)
            return mk_err_set(err, MK_EXIT_USAGE, "aggregation '%s' has the key's name", aggs[i].name);
    }
    return mk_frame_init(out, naggs + 1, names, nrows, err);
}

int mk_groupby_local(const mk_frame *f, int keycol, const mk_agg *aggs, int naggs, mk_frame *out, mk_err *err)
{
    const double *key = f->cols[keycol];
    uint64_t *idx = sorted_order(key, f->nrows);
    if (idx == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory in groupby");
    uint64_t groups = 0;
    for (uint64_t i = 0; i < f->nrows; i++)
        groups += i == 0 || key_cmp(key[idx[i]], key[idx[i - 1]]) != 0;
    if (init_result(f, keycol, aggs, naggs, groups, out, err) != 0) {
        free(idx);
        return -1;
    }
    uint64_t g = 0;
    for (uint64_t i = 0; i < f->nrows;) {
        uint64_t j = i;
        while (j < f->nrows && key_cmp(key[idx[j]], key[idx[i]]) == 0)
            j++;
        double k = key[idx[i]];
        out->cols[0][g] = k == 0 ? 0.0 : k;
        for (int a = 0; a < naggs; a++) {
            const double *v = aggs[a].col >= 0 ? f->cols[aggs[a].col] : NULL;
            double acc = 0;
            switch (aggs[a].kind) {
            case MK_AGG_SUM:
            case MK_AGG_MEAN:
                for (uint64_t r = i; r < j; r++)
                    acc += v[idx[r]];
                if (aggs[a].kind == MK_AGG_MEAN)
                    acc /= (double)(j - i);
                break;
            case MK_AGG_COUNT:
                acc = (double)(j - i);
                break;
            case MK_AGG_MIN:
            case MK_AGG_MAX:
                acc = v[idx[i]];
                for (uint64_t r = i + 1; r < j; r++)
                    acc = aggs[a].kind == MK_AGG_MIN ? fmin(acc, v[idx[r]]) : fmax(acc, v[idx[r]]);
                break;
            }
            out->cols[a + 1][g] = acc;
        }
        g++;
        i = j;
    }
    free(idx);
    return 0;
}

static uint64_t key_hash(double k)
{
    uint64_t bits;
    if (k == 0)
        k = 0.0;           /* -0 and 0 are one group */
    if (isnan(k))
        k = NAN;
    memcpy(&bits, &k, sizeof bits);
    bits ^= bits >> 33;    /* splitmix64 finalizer */
    bits *= 0xff51afd7ed558ccdULL;
    bits ^= bits >> 33;
    bits *= 0xc4ceb9fe1a85ec53ULL;
    bits ^= bits >> 33;
    return bits;
}

int mk_groupby_shuffle(MPI_Comm comm, const mk_frame *local, int keycol, const mk_agg *aggs, int naggs,
                       mk_frame *out, mk_err *err)
{
    int size;
    MPI_Comm_size(comm, &size);
    memset(out, 0, sizeof *out);
    /* Records: the key then each input column the aggregations need. */
    int need[MK_FRAME_MAX_COLS], nneed = 0;
    for (int a = 0; a < naggs; a++) {
        if (aggs[a].col < 0)
            continue;
        int seen = 0;
        for (int i = 0; i < nneed; i++)
            seen |= need[i] == aggs[a].col;
        if (!seen && aggs[a].col != keycol)
            need[nneed++] = aggs[a].col;
    }
    int w = 1 + nneed;
    uint64_t n = local->nrows;
    int *dest = malloc((n ? n : 1) * sizeof *dest);
    int *scount = calloc((size_t)size, sizeof *scount), *rcount = calloc((size_t)size, sizeof *rcount);
    int *sdispl = calloc((size_t)size, sizeof *sdispl), *rdispl = calloc((size_t)size, sizeof *rdispl);
    double *sbuf = malloc((n ? n : 1) * (size_t)w * sizeof *sbuf), *rbuf = NULL;
    uint64_t *fill = calloc((size_t)size, sizeof *fill);
    int ok = dest && scount && rcount && sdispl && rdispl && sbuf && fill;
    if (ok) {
        for (uint64_t i = 0; i < n; i++) {
            dest[i] = (int)(key_hash(local->cols[keycol][i]) % (uint64_t)size);
            scount[dest[i]] += w;
        }
        for (int r = 1; r < size; r++)
            sdispl[r] = sdispl[r - 1] + scount[r - 1];
        if (n * (uint64_t)w > 0x7fffffff)
            ok = 0;
        for (int r = 0; r < size; r++)
            fill[r] = (uint64_t)sdispl[r];
        for (uint64_t i = 0; ok && i < n; i++) {
            double *rec = sbuf + fill[dest[i]];
            rec[0] = local->cols[keycol][i];
            for (int k = 0; k < nneed; k++)
                rec[1 + k] = local->cols[need[k]][i];
            fill[dest[i]] += (uint64_t)w;
        }
    }
    if (!ok)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory (or over 2^31 values) in the groupby shuffle");
    if (mk_err_agree(comm, err) != 0)
        goto done;
    MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, comm);
    uint64_t total = 0;
    for (int r = 0; r < size; r++)
        total += (uint64_t)rcount[r];
    for (int r = 1; r < size; r++)
        rdispl[r] = rdispl[r - 1] + rcount[r - 1];
    rbuf = malloc((total ? total : 1) * sizeof *rbuf);
    if (rbuf == NULL || total > 0x7fffffff)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory receiving the groupby shuffle");
    if (mk_err_agree(comm, err) != 0)
        goto done;
    if (MPI_Alltoallv(sbuf, scount, sdispl, MPI_DOUBLE, rbuf, rcount, rdispl, MPI_DOUBLE, comm) != MPI_SUCCESS)
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Alltoallv failed in the groupby shuffle");
    if (mk_err_agree(comm, err) != 0)
        goto done;
    /* Received rows, in source-rank order: a frame of the key and the needed columns. */
    {
        uint64_t m = total / (uint64_t)w;
        mk_frame recv;
        const char *names[MK_FRAME_MAX_COLS];
        names[0] = local->names[keycol];
        for (int k = 0; k < nneed; k++)
            names[1 + k] = local->names[need[k]];
        if (mk_frame_init(&recv, w, names, m, err) == 0) {
            for (uint64_t i = 0; i < m; i++)
                for (int k = 0; k < w; k++)
                    recv.cols[k][i] = rbuf[i * (uint64_t)w + (uint64_t)k];
            mk_agg remap[MK_FRAME_MAX_COLS];
            for (int a = 0; a < naggs; a++) {
                remap[a] = aggs[a];
                if (aggs[a].col >= 0)
                    remap[a].col = mk_frame_find(&recv, local->names[aggs[a].col]);
            }
            mk_groupby_local(&recv, 0, remap, naggs, out, err);
            mk_frame_free(&recv);
        }
    }
    mk_err_agree(comm, err);
done:
    free(dest);
    free(scount);
    free(rcount);
    free(sdispl);
    free(rdispl);
    free(sbuf);
    free(rbuf);
    free(fill);
    return err->code != 0 ? -1 : 0;
}

/* ---- scatter / gather ---- */

int mk_frame_scatter(MPI_Comm comm, int root, const mk_frame *full, const int *counts, const int *displs,
                     mk_frame *local, mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    int ncols = rank == root ? full->ncols : 0;
    MPI_Bcast(&ncols, 1, MPI_INT, root, comm);
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    if (rank == root)
        memcpy(names, full->names, sizeof names);
    MPI_Bcast(names, (int)sizeof names, MPI_CHAR, root, comm);
    const char *np[MK_FRAME_MAX_COLS];
    for (int i = 0; i < ncols; i++)
        np[i] = names[i];
    mk_frame_init(local, ncols, np, (uint64_t)counts[rank], err);
    if (mk_err_agree(comm, err) != 0)
        return -1;
    for (int c = 0; c < ncols; c++)
        MPI_Scatterv(rank == root ? full->cols[c] : NULL, counts, displs, MPI_DOUBLE, local->cols[c], counts[rank],
                     MPI_DOUBLE, root, comm);
    return 0;
}

int mk_frame_gather(MPI_Comm comm, int root, const mk_frame *local, mk_frame *all, mk_err *err)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(all, 0, sizeof *all);
    int mine = (int)local->nrows;
    if (local->nrows > 0x7fffffff)
        mk_err_set(err, MK_EXIT_FAILURE, "too many rows to gather");
    if (mk_err_agree(comm, err) != 0)
        return -1;
    int *counts = calloc((size_t)size, sizeof *counts), *displs = calloc((size_t)size, sizeof *displs);
    if (counts == NULL || displs == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (mk_err_agree(comm, err) != 0) {
        free(counts);
        free(displs);
        return -1;
    }
    MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, root, comm);
    uint64_t total = 0;
    if (rank == root) {
        for (int r = 0; r < size; r++) {
            displs[r] = (int)total;
            total += (uint64_t)counts[r];
        }
        if (total > 0x7fffffff)
            mk_err_set(err, MK_EXIT_FAILURE, "too many rows to gather");
        else {
            const char *np[MK_FRAME_MAX_COLS];
            for (int i = 0; i < local->ncols; i++)
                np[i] = local->names[i];
            mk_frame_init(all, local->ncols, np, total, err);
        }
    }
    if (mk_err_agree(comm, err) != 0) {
        free(counts);
        free(displs);
        if (rank == root)
            mk_frame_free(all);
        return -1;
    }
    for (int c = 0; c < local->ncols; c++)
        MPI_Gatherv(local->cols[c], mine, MPI_DOUBLE, rank == root ? all->cols[c] : NULL, counts, displs, MPI_DOUBLE,
                    root, comm);
    free(counts);
    free(displs);
    return 0;
}

/* ---- HDF5 ---- */

int mk_frame_write_h5(mk_h5 *h, const mk_frame *local, uint64_t row0, uint64_t total, uint64_t chunk,
                      mk_err *err)
{
    const char *cols[MK_FRAME_MAX_COLS];
    for (int c = 0; c < local->ncols; c++)
        cols[c] = local->names[c];
    if (mk_h5_attr_strs(h, "/", "columns", cols, local->ncols, err) != 0 ||
        mk_h5_attr_i64(h, "/", "rows", (int64_t)total, err) != 0)
        return -1;
    for (int c = 0; c < local->ncols; c++) {
        int integral = 1;
        for (uint64_t i = 0; i < local->nrows && integral; i++) {
            double v = local->cols[c][i];
            integral = v == floor(v) && fabs(v) <= 9007199254740992.0;
        }
        int all = 0;
        MPI_Allreduce(&integral, &all, 1, MPI_INT, MPI_MIN, h->comm);
        char name[MK_FRAME_NAME_MAX + 1];
        snprintf(name, sizeof name, "/%s", local->names[c]);
        hid_t d;
        uint64_t dims[1] = {total}, ch[1] = {chunk};
        if (mk_h5_dataset_create(h, name, all ? H5T_STD_I64LE : H5T_IEEE_F64LE, 1, dims, chunk ? ch : NULL, &d,
                                 err) != 0)
            return -1;
        char what[MK_FRAME_NAME_MAX + 64];
        snprintf(what, sizeof what, "column %s of the table, one value per row (order: the root's `columns`)",
                 local->names[c]);
        if (mk_h5_attr_str(h, name, "description", what, err) != 0) {
            H5Dclose(d);
            return -1;
        }
        /* HDF5 converts double -> int64 exactly for integers in range. */
        int rc = mk_h5_write_rows(h, d, H5T_NATIVE_DOUBLE, row0, local->nrows, local->cols[c], err);
        H5Dclose(d);
        if (rc != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    char names[MK_FRAME_MAX_COLS][MK_FRAME_NAME_MAX];
    int n;
} link_list;

static herr_t collect_link(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    link_list *l = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name(group, name, &oi, H5P_DEFAULT) >= 0 && oi.type == H5O_TYPE_DATASET &&
        l->n < MK_FRAME_MAX_COLS && mk_frame_valid_name(name))
        strcpy(l->names[l->n++], name);
    return 0;
}

static void add_column_names(char *s, link_list *l)
{
    char *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok && l->n < MK_FRAME_MAX_COLS; tok = strtok_r(NULL, ",", &save))
        if (strlen(tok) < MK_FRAME_NAME_MAX)
            strcpy(l->names[l->n++], tok);
}

/* The `columns` attribute: an array of variable-length strings (what mk_frame_write_h5
 * writes), or one comma-joined fixed-length string (files of mpikit 0.1.0 and other tools). */
static void read_columns_attr(hid_t a, link_list *l)
{
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0 && n > 0 && n <= MK_FRAME_MAX_COLS) {
        char *v[MK_FRAME_MAX_COLS] = {NULL};
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t)); /* HDF5 converts no strings between character sets */
        if (H5Aread(a, mt, v) >= 0) {
            for (hssize_t i = 0; i < n; i++)
                if (v[i] != NULL)
                    add_column_names(v[i], l);
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, v);
        }
        H5Tclose(mt);
    } else if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 && n == 1) {
        char *s = calloc(1, H5Tget_size(t) + 1);
        if (s != NULL && H5Aread(a, t, s) >= 0)
            add_column_names(s, l);
        free(s);
    }
    H5Sclose(space);
    H5Tclose(t);
}

int mk_frame_read_h5(mk_h5 *h, mk_frame *f, mk_err *err)
{
    memset(f, 0, sizeof *f);
    link_list l;
    l.n = 0;
    hid_t a = H5Aexists(h->file, "columns") > 0 ? H5Aopen(h->file, "columns", H5P_DEFAULT) : -1;
    if (a >= 0) {
        read_columns_attr(a, &l);
        H5Aclose(a);
    }
    if (l.n == 0)
        H5Literate(h->file, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_link, &l);
    if (l.n == 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "no column datasets in '%s'", h->path);
    hid_t d[MK_FRAME_MAX_COLS];
    uint64_t rows = 0;
    for (int c = 0; c < l.n; c++) {
        char path[MK_FRAME_NAME_MAX + 1];
        snprintf(path, sizeof path, "/%s", l.names[c]);
        uint64_t dims[1];
        if (mk_h5_dataset_open(h, path, MK_H5_NUMERIC, 1, dims, &d[c], err) != 0) {
            for (int i = 0; i < c; i++)
                H5Dclose(d[i]);
            return -1;
        }
        if (c > 0 && dims[0] != rows) {
            for (int i = 0; i <= c; i++)
                H5Dclose(d[i]);
            return mk_err_set(err, MK_EXIT_FAILURE, "column '%s' in '%s' has %llu rows, '%s' has %llu",
                              l.names[c], h->path, (unsigned long long)dims[0], l.names[0],
                              (unsigned long long)rows);
        }
        rows = dims[0];
    }
    const char *np[MK_FRAME_MAX_COLS];
    for (int c = 0; c < l.n; c++)
        np[c] = l.names[c];
    int rc = mk_frame_init(f, l.n, np, rows, err);
    /* Every rank makes every read call, even after its own allocation failed: the call agrees
     * on entry, so all ranks learn of the failure there instead of waiting in a collective. */
    for (int c = 0; c < l.n; c++) {
        if (mk_h5_read_rows(h, d[c], H5T_NATIVE_DOUBLE, 0, rows, rc == 0 ? f->cols[c] : NULL, err) != 0)
            rc = -1;
        H5Dclose(d[c]);
    }
    if (rc != 0)
        mk_frame_free(f);
    return rc;
}
