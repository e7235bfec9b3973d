/* table.c - column tables of numbers and text: the frame and its string arena, a safe
 * expression language, aggregation specs, sort, scatter/gather, HDF5 columns. (CSV is in
 * frame_csv.c, groupby in groupby.c.) */
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

/* One block of the string arena: a malloc'ed region, filled from the front. */
typedef struct arena_block {
    struct arena_block *next;
    char *mem;
    size_t used, cap;
} arena_block;

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
    for (int i = 0; i < f->ncols; i++) {
        free(f->cols[i]);
        free((void *)f->strs[i]);
        f->cols[i] = NULL;
        f->strs[i] = NULL;
    }
    for (arena_block *b = f->arena, *next; b != NULL; b = next) {
        next = b->next;
        free(b->mem);
        free(b);
    }
    f->arena = NULL;
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

enum { ARENA_BLOCK = 1 << 20 };

static int push_block(mk_frame *f, char *mem, size_t used, size_t cap)
{
    arena_block *b = malloc(sizeof *b);
    if (b == NULL)
        return -1;
    *b = (arena_block){f->arena, mem, used, cap};
    f->arena = b;
    return 0;
}

int mk_frame_adopt(mk_frame *f, void *block)
{
    return push_block(f, block, 0, 0);
}

char *mk_frame_strndup(mk_frame *f, const char *s, size_t n)
{
    arena_block *b = f->arena;
    if (b == NULL || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
        char *mem = malloc(cap);
        if (mem == NULL || push_block(f, mem, 0, cap) != 0) {
            free(mem);
            return NULL;
        }
        b = f->arena;
    }
    char *d = b->mem + b->used;
    memcpy(d, s, n);
    d[n] = '\0';
    b->used += n + 1;
    return d;
}

int mk_frame_is_text(const mk_frame *f, int c)
{
    return f->strs[c] != NULL;
}

/* A new or replaced column of nrows values: numeric (zeros) or text (missing). */
static int add_column(mk_frame *f, const char *name, int text, mk_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len >= MK_FRAME_NAME_MAX)
        return mk_err_set(err, MK_EXIT_USAGE, "'%.80s' is not a valid column name (1 to %d bytes)", name,
                          MK_FRAME_NAME_MAX - 1);
    int i = mk_frame_find(f, name);
    if (i < 0 && f->ncols == MK_FRAME_MAX_COLS)
        return mk_err_set(err, MK_EXIT_FAILURE, "too many columns (at most %d)", MK_FRAME_MAX_COLS);
    void *c = text ? calloc(f->nrows ? f->nrows : 1, sizeof(char *)) : calloc(f->nrows ? f->nrows : 1, sizeof(double));
    if (c == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory for column '%s'", name);
    if (i < 0) {
        i = f->ncols++;
        strcpy(f->names[i], name);
    } else {
        free(f->cols[i]);
        free((void *)f->strs[i]);
    }
    f->cols[i] = text ? NULL : c;
    f->strs[i] = text ? c : NULL;
    return i;
}

int mk_frame_add_column(mk_frame *f, const char *name, mk_err *err)
{
    return add_column(f, name, 0, err);
}

int mk_frame_add_text_column(mk_frame *f, const char *name, mk_err *err)
{
    return add_column(f, name, 1, err);
}

void mk_frame_fill_random(mk_frame *f, uint64_t seed, uint64_t row0)
{
    for (uint64_t r = 0; r < f->nrows; r++)
        for (int c = 0; c < f->ncols && c < 4; c++)
            f->cols[c][r] = (double)mk_rng_below(seed, (row0 + r) * 4 + (uint64_t)c, 100);
}

/* ---- expressions ---- */

enum { OP_COL, OP_CONST, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_NOT, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
       OP_AND, OP_OR };
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

/* The expression as messages quote it: at most 60 bytes, so that the reason after it always
 * fits in one error line however long the expression is. */
static void quoted_text(const parser *ps, char *buf, size_t len)
{
    size_t n = strlen(ps->text);
    snprintf(buf, len, "%.60s%s", ps->text, n > 60 ? "..." : "");
}

static int emit(parser *ps, int op, int col, double value)
{
    char q[80];
    quoted_text(ps, q, sizeof q);
    if (ps->e->nops == EXPR_MAX_OPS)
        return mk_err_set(ps->err, MK_EXIT_USAGE, "expression '%s' is too long (at most %d operations)", q,
                          EXPR_MAX_OPS);
    ps->e->ops[ps->e->nops++] = (expr_op){op, col, value};
    if (op == OP_COL || op == OP_CONST)
        ps->stack++;
    else if (op != OP_NEG && op != OP_NOT)
        ps->stack--;
    if (ps->stack > ps->e->max_stack)
        ps->e->max_stack = ps->stack;
    return 0;
}

static int syntax(parser *ps, const char *what)
{
    char q[80];
    quoted_text(ps, q, sizeof q);
    return mk_err_set(ps->err, MK_EXIT_USAGE, "bad expression '%s' at column %d: %s", q,
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
        char q[80];
        quoted_text(ps, q, sizeof q);
        if (col < 0) {
            ps->p = s;
            return mk_err_set(ps->err, MK_EXIT_USAGE, "bad expression '%s': unknown column '%s'", q, name);
        }
        if (mk_frame_is_text(ps->f, col))
            return mk_err_set(ps->err, MK_EXIT_USAGE, "bad expression '%s': column '%s' is text, not numbers", q,
                              name);
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

static int parse_sum(parser *ps)
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

/* A comparison (< <= > >= == !=) of two sums, at most one, as in pandas' eval: 1 or 0, and 0
 * when either side is NaN (except != : 1). */
static int parse_compare(parser *ps)
{
    if (parse_sum(ps) != 0)
        return -1;
    skip_space(ps);
    static const struct {
        const char *tok;
        int op;
    } cmps[] = {{"<=", OP_LE}, {">=", OP_GE}, {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {">", OP_GT}};
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        size_t n = strlen(cmps[i].tok);
        if (strncmp(ps->p, cmps[i].tok, n) == 0) {
            ps->p += n;
            return parse_sum(ps) != 0 ? -1 : emit(ps, cmps[i].op, -1, 0);
        }
    }
    return 0;
}

/* A keyword (and, or, not) standing alone at p. */
static int keyword(parser *ps, const char *word)
{
    size_t n = strlen(word);
    return strncmp(ps->p, word, n) == 0 && !isalnum((unsigned char)ps->p[n]) && ps->p[n] != '_';
}

/* not / ~ (pandas' query spellings) before a comparison. */
static int parse_not(parser *ps)
{
    skip_space(ps);
    int tilde = *ps->p == '~';
    if (tilde || keyword(ps, "not")) {
        ps->p += tilde ? 1 : 3;
        if (++ps->nest > EXPR_MAX_DEPTH)
            return syntax(ps, "nested too deeply");
        if (parse_not(ps) != 0)
            return -1;
        ps->nest--;
        return emit(ps, OP_NOT, -1, 0);
    }
    return parse_compare(ps);
}

static int parse_and(parser *ps)
{
    if (parse_not(ps) != 0)
        return -1;
    for (;;) {
        skip_space(ps);
        int amp = *ps->p == '&';
        if (!amp && !keyword(ps, "and"))
            return 0;
        ps->p += amp ? (ps->p[1] == '&' ? 2 : 1) : 3;
        if (parse_not(ps) != 0 || emit(ps, OP_AND, -1, 0) != 0)
            return -1;
    }
}

/* The whole grammar, loosest first: or (| or), and (& and), not (~ not), one comparison,
 * + -, * /, unary -, (...), numbers and columns. Truth is 1 or 0; a value is true when not 0
 * and not NaN. */
static int parse_expr(parser *ps)
{
    if (parse_and(ps) != 0)
        return -1;
    for (;;) {
        skip_space(ps);
        int bar = *ps->p == '|';
        if (!bar && !keyword(ps, "or"))
            return 0;
        ps->p += bar ? (ps->p[1] == '|' ? 2 : 1) : 2;
        if (parse_and(ps) != 0 || emit(ps, OP_OR, -1, 0) != 0)
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
        syntax(&ps, *ps.p == ')' ? "unbalanced ')'" : "expected an operator (+ - * / < == & | ...)");
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

/* A value as a condition: not 0 and not NaN. */
static int truth(double x)
{
    return x != 0 && !isnan(x);
}

/* Comparisons (false with NaN, as IEEE and pandas; != true) and boolean and/or. */
static double logic(int op, double x, double y)
{
    switch (op) {
    case OP_LT:
        return x < y;
    case OP_LE:
        return x <= y;
    case OP_GT:
        return x > y;
    case OP_GE:
        return x >= y;
    case OP_EQ:
        return x == y;
    case OP_NE:
        return x != y;
    case OP_AND:
        return truth(x) && truth(y);
    default:
        return truth(x) || truth(y);
    }
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
            case OP_NOT:
                for (size_t i = 0; i < m; i++)
                    b[i] = !truth(b[i]);
                break;
            case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE: case OP_AND: case OP_OR:
                for (size_t i = 0; i < m; i++)
                    a[i] = logic(o->op, a[i], b[i]);
                sp--;
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
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%.60s': expected NAME=EXPRESSION", text);
    const char *s = text, *e = eq;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= name_len || n >= MK_FRAME_NAME_MAX)
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%.60s': bad column name before '='", text);
    memcpy(name, s, n);
    name[n] = '\0';
    if (!mk_frame_valid_name(name))
        return mk_err_set(err, MK_EXIT_USAGE, "--apply '%.60s': '%s' is not a valid column name", text, name);
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
        static const char *const kinds[] = {"sum", "mean", "count", "min", "max", "std",
                                            "var", "first", "last", "median", "nunique"};
        int k = -1;
        for (int i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++)
            if (strcmp(item, kinds[i]) == 0)
                k = i;
        if (k < 0)
            return mk_err_set(err, MK_EXIT_USAGE,
                              "--agg: unknown aggregation '%s' (sum, mean, count, min, max, std, var, first, last, median, nunique)", item);
        a->kind = (mk_agg_kind)k;
        a->col = -1;
        if (colon == NULL && a->kind != MK_AGG_COUNT)
            return mk_err_set(err, MK_EXIT_USAGE, "--agg: '%s' needs a column ('%s:COLUMN')", item, item);
        if (colon != NULL) {
            a->col = mk_frame_find(f, colon + 1);
            if (a->col < 0)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: unknown column '%s'", colon + 1);
            if (a->kind != MK_AGG_COUNT && mk_frame_is_text(f, a->col))
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: '%s:%s': column '%s' is text, not numbers", item,
                                  colon + 1, colon + 1);
            if (strlen(item) + 1 + strlen(colon + 1) >= MK_FRAME_NAME_MAX)
                return mk_err_set(err, MK_EXIT_USAGE, "--agg: name too long");
            strcpy(a->name, item);
            strcat(a->name, "_");
            strcat(a->name, colon + 1);
        } else {
            strcpy(a->name, "count");
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

#define TEXT_MISSING UINT32_MAX

/* Text column c of every rank to root's `all` (rows in rank order): each string travels as a
 * 4-byte length (TEXT_MISSING for a missing value) and its bytes. Collective; errors agreed. */
static int gather_text(MPI_Comm comm, int root, const mk_frame *local, int c, mk_frame *all, mk_err *err)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    uint64_t bytes = 0;
    for (uint64_t r = 0; r < local->nrows; r++)
        bytes += 4 + (local->strs[c][r] ? strlen(local->strs[c][r]) : 0);
    char *buf = malloc(bytes ? bytes : 1);
    int *counts = calloc((size_t)size, sizeof *counts), *displs = calloc((size_t)size, sizeof *displs);
    if (buf == NULL || counts == NULL || displs == NULL || bytes > 0x7fffffff)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory (or over 2 GiB of text) gathering column '%s'",
                   local->names[c]);
    char *p = buf;
    for (uint64_t r = 0; buf != NULL && r < local->nrows; r++) {
        const char *v = local->strs[c][r];
        uint32_t n = v ? (uint32_t)strlen(v) : TEXT_MISSING;
        memcpy(p, &n, 4);
        if (v) /* a length-prefixed record: no terminator by design */
            memcpy(p + 4, v, n); // NOLINT(bugprone-not-null-terminated-result)
        p += 4 + (v ? n : 0);
    }
    int mine = (int)bytes;
    char *rbuf = NULL;
    if (mk_err_agree(comm, err) == 0) {
        MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, root, comm);
        uint64_t total = 0;
        for (int r = 0; rank == root && r < size; r++) {
            displs[r] = (int)total;
            total += (uint64_t)counts[r];
        }
        if (rank == root && (total > 0x7fffffff || (rbuf = malloc(total ? total : 1)) == NULL))
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory (or over 2 GiB of text) gathering column '%s'",
                       local->names[c]);
        if (mk_err_agree(comm, err) == 0) {
            MPI_Gatherv(buf, mine, MPI_BYTE, rbuf, counts, displs, MPI_BYTE, root, comm);
            if (rank == root) {
                /* the lengths become NULs in place: the buffer is the strings' storage */
                const char *q = rbuf, *end = rbuf + total;
                for (uint64_t r = 0; q < end && r < all->nrows; r++) {
                    uint32_t n;
                    memcpy(&n, q, 4);
                    if (n == TEXT_MISSING) {
                        q += 4;
                        continue;
                    }
                    char *d = (char *)q;
                    memmove(d, q + 4, n);
                    d[n] = '\0';
                    all->strs[c][r] = d;
                    q += 4 + n;
                }
                if (mk_frame_adopt(all, rbuf) != 0) {
                    free(rbuf);
                    mk_err_set(err, MK_EXIT_FAILURE, "out of memory gathering column '%s'", local->names[c]);
                }
            }
        } else {
            free(rbuf);
        }
    }
    free(buf);
    free(counts);
    free(displs);
    return mk_err_agree(comm, err);
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
            all->nrows = total;
            for (int i = 0; i < local->ncols && err->code == 0; i++)
                add_column(all, local->names[i], mk_frame_is_text(local, i), err);
        }
    }
    if (mk_err_agree(comm, err) != 0) {
        free(counts);
        free(displs);
        if (rank == root)
            mk_frame_free(all);
        return -1;
    }
    for (int c = 0; c < local->ncols && err->code == 0; c++) {
        if (mk_frame_is_text(local, c))
            gather_text(comm, root, local, c, all, err);
        else
            MPI_Gatherv(local->cols[c], mine, MPI_DOUBLE, rank == root ? all->cols[c] : NULL, counts, displs,
                        MPI_DOUBLE, root, comm);
    }
    free(counts);
    free(displs);
    if (err->code != 0 && rank == root)
        mk_frame_free(all);
    return err->code != 0 ? -1 : 0;
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
        /* 0 rows: nothing to read, and a dataset without storage (h5py's empty contiguous
         * dataset) fails an MPI-IO read of nothing (issue 13 #12); rows is the same on every
         * rank, so all skip together. Otherwise every rank makes the call (agreed inside). */
        if (rows > 0 && mk_h5_read_rows(h, d[c], H5T_NATIVE_DOUBLE, 0, rows, rc == 0 ? f->cols[c] : NULL, err) != 0)
            rc = -1;
        H5Dclose(d[c]);
    }
    if (rc != 0)
        mk_frame_free(f);
    return rc;
}
