/* fuzz_expr.c - the table expression language of src/table.c (mk_expr_compile/eval), plus
 * mk_assign_split and mk_agg_parse on the same text.
 *
 * A reference parser here follows the grammar table.h documents:
 *   expr := and (('|'|'||'|or) and)*  and := not (('&'|'&&'|and) not)*
 *   not := ('~'|not) not | compare     compare := sum [('<'|'<='|'>'|'>='|'=='|'!=') sum]
 *   sum := term (('+'|'-') term)*      term := unary (('*'|'/') unary)*
 *   unary := ('+'|'-') unary | primary  primary := number | column | '(' expr ')'
 * with blanks (' ', '\t') between tokens, numbers digits[.digits][e[+-]digits] (or .digits),
 * names [A-Za-z_][A-Za-z0-9_]* naming a column, and the documented limits: nesting
 * (parentheses and unary signs) at most 64 deep, at most 256 operations, numbers and names
 * shorter than 64 characters, finite constants. Every input must either compile (exactly
 * when the reference accepts) or fail with an error message; compiled expressions are
 * evaluated over a frame holding zeros, signed zeros, huge values, subnormals, inf and NaN
 * (division by zero and overflow included) and must equal the reference's tree evaluation.
 *
 * Input: byte 0 = rows (low 3 bits: 1..8; bit 3: add 600 to cross the evaluation block),
 * byte 1 = seed of the column values, then the expression text. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/table.h"

#define MAX_DEPTH 64
#define MAX_OPS 256
#define MAX_NODES 4096

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_expr: %s\n", what);
        abort();
    }
}

/* ---- reference ---- */

enum { N_NUM, N_COL, N_NEG, N_ADD, N_SUB, N_MUL, N_DIV, N_NOT, N_LT, N_LE, N_GT, N_GE, N_EQ, N_NE, N_AND, N_OR };
typedef struct {
    int kind, left, right, col;
    double value;
} node;

typedef struct {
    const char *p;
    const mk_frame *f;
    node nodes[MAX_NODES];
    int nnodes, ops, depth, max_depth;
    int bad; /* a syntax error (or a node pool overflow, which only long inputs reach) */
} ref_parser;

static int new_node(ref_parser *r, int kind, int left, int right, int col, double value)
{
    if (r->nnodes == MAX_NODES) {
        r->bad = 1;
        return 0;
    }
    r->nodes[r->nnodes] = (node){kind, left, right, col, value};
    /* every node is an operation of the compiled program, except unary plus (no node) */
    r->ops++;
    return r->nnodes++;
}

static void blanks(ref_parser *r)
{
    while (*r->p == ' ' || *r->p == '\t')
        r->p++;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

static int ref_expr(ref_parser *r);

static int ref_primary(ref_parser *r)
{
    blanks(r);
    char c = *r->p;
    if (c == '(') {
        r->p++;
        if (++r->depth > r->max_depth)
            r->max_depth = r->depth;
        int e = ref_expr(r);
        if (r->bad)
            return 0;
        blanks(r);
        if (*r->p != ')') {
            r->bad = 1;
            return 0;
        }
        r->p++;
        r->depth--;
        return e;
    }
    if (is_digit(c) || (c == '.' && is_digit(r->p[1]))) {
        const char *s = r->p;
        while (is_digit(*r->p))
            r->p++;
        if (*r->p == '.') {
            r->p++;
            while (is_digit(*r->p))
                r->p++;
        }
        if (*r->p == 'e' || *r->p == 'E') {
            const char *q = r->p + 1;
            if (*q == '+' || *q == '-')
                q++;
            if (!is_digit(*q)) {
                r->bad = 1;
                return 0;
            }
            while (is_digit(*q))
                q++;
            r->p = q;
        }
        size_t n = (size_t)(r->p - s);
        char num[64];
        if (n >= sizeof num) {
            r->bad = 1;
            return 0;
        }
        memcpy(num, s, n);
        num[n] = '\0';
        double v = strtod(num, NULL);
        if (!isfinite(v)) {
            r->bad = 1;
            return 0;
        }
        return new_node(r, N_NUM, -1, -1, -1, v);
    }
    if (is_alpha(c)) {
        const char *s = r->p;
        while (is_alpha(*r->p) || is_digit(*r->p))
            r->p++;
        size_t n = (size_t)(r->p - s);
        int col = -1;
        for (int i = 0; i < r->f->ncols; i++)
            if (strlen(r->f->names[i]) == n && memcmp(r->f->names[i], s, n) == 0)
                col = i;
        if (n >= MK_FRAME_NAME_MAX || col < 0) {
            r->bad = 1;
            return 0;
        }
        return new_node(r, N_COL, -1, -1, col, 0);
    }
    r->bad = 1;
    return 0;
}

static int ref_unary(ref_parser *r)
{
    blanks(r);
    if (*r->p == '-' || *r->p == '+') {
        int neg = *r->p == '-';
        r->p++;
        if (++r->depth > r->max_depth)
            r->max_depth = r->depth;
        int e = ref_unary(r);
        if (r->bad)
            return 0;
        r->depth--;
        return neg ? new_node(r, N_NEG, e, -1, -1, 0) : e;
    }
    return ref_primary(r);
}

static int ref_term(ref_parser *r)
{
    int e = ref_unary(r);
    while (!r->bad) {
        blanks(r);
        char c = *r->p;
        if (c != '*' && c != '/')
            break;
        r->p++;
        int rhs = ref_unary(r);
        if (r->bad)
            break;
        e = new_node(r, c == '*' ? N_MUL : N_DIV, e, rhs, -1, 0);
    }
    return e;
}

static int ref_sum(ref_parser *r)
{
    int e = ref_term(r);
    while (!r->bad) {
        blanks(r);
        char c = *r->p;
        if (c != '+' && c != '-')
            break;
        r->p++;
        int rhs = ref_term(r);
        if (r->bad)
            break;
        e = new_node(r, c == '+' ? N_ADD : N_SUB, e, rhs, -1, 0);
    }
    return e;
}

/* keyword (and, or, not) standing alone */
static int ref_word(const ref_parser *r, const char *w)
{
    size_t n = strlen(w);
    return strncmp(r->p, w, n) == 0 && !is_alpha(r->p[n]) && !is_digit(r->p[n]);
}

static int ref_compare(ref_parser *r)
{
    int e = ref_sum(r);
    if (r->bad)
        return 0;
    blanks(r);
    static const struct {
        const char *tok;
        int kind;
    } cmps[] = {{"<=", N_LE}, {">=", N_GE}, {"==", N_EQ}, {"!=", N_NE}, {"<", N_LT}, {">", N_GT}};
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++)
        if (strncmp(r->p, cmps[i].tok, strlen(cmps[i].tok)) == 0) {
            r->p += strlen(cmps[i].tok);
            int rhs = ref_sum(r);
            return r->bad ? 0 : new_node(r, cmps[i].kind, e, rhs, -1, 0);
        }
    return e;
}

static int ref_not(ref_parser *r)
{
    blanks(r);
    int tilde = *r->p == '~';
    if (tilde || ref_word(r, "not")) {
        r->p += tilde ? 1 : 3;
        if (++r->depth > r->max_depth)
            r->max_depth = r->depth;
        if (r->depth > 2 * MAX_DEPTH + 8) {
            r->bad = 1;
            return 0;
        }
        int e = ref_not(r);
        if (r->bad)
            return 0;
        r->depth--;
        return new_node(r, N_NOT, e, -1, -1, 0);
    }
    return ref_compare(r);
}

static int ref_and(ref_parser *r)
{
    int e = ref_not(r);
    while (!r->bad) {
        blanks(r);
        int amp = *r->p == '&';
        if (!amp && !ref_word(r, "and"))
            break;
        r->p += amp ? (r->p[1] == '&' ? 2 : 1) : 3;
        int rhs = ref_not(r);
        if (r->bad)
            break;
        e = new_node(r, N_AND, e, rhs, -1, 0);
    }
    return e;
}

static int ref_expr(ref_parser *r)
{
    if (r->depth > 2 * MAX_DEPTH + 8) { /* far past the limit: stop, the verdict is known */
        r->bad = 1;
        return 0;
    }
    int e = ref_and(r);
    while (!r->bad) {
        blanks(r);
        int bar = *r->p == '|';
        if (!bar && !ref_word(r, "or"))
            break;
        r->p += bar ? (r->p[1] == '|' ? 2 : 1) : 2;
        int rhs = ref_and(r);
        if (r->bad)
            break;
        e = new_node(r, N_OR, e, rhs, -1, 0);
    }
    return e;
}

static int truth(double x) { return x != 0 && !isnan(x); }

static double ref_eval(const ref_parser *r, int i, const mk_frame *f, uint64_t row)
{
    const node *n = &r->nodes[i];
    switch (n->kind) {
    case N_NUM: return n->value;
    case N_COL: return f->cols[n->col][row];
    case N_NEG: return -ref_eval(r, n->left, f, row);
    case N_NOT: return !truth(ref_eval(r, n->left, f, row));
    default: break;
    }
    double a = ref_eval(r, n->left, f, row), b = ref_eval(r, n->right, f, row);
    switch (n->kind) {
    case N_ADD: return a + b;
    case N_SUB: return a - b;
    case N_MUL: return a * b;
    case N_LT: return a < b;
    case N_LE: return a <= b;
    case N_GT: return a > b;
    case N_GE: return a >= b;
    case N_EQ: return a == b;
    case N_NE: return a != b;
    case N_AND: return truth(a) && truth(b);
    case N_OR: return truth(a) || truth(b);
    default: return a / b;
    }
}

static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0; // NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c): bit-identical on purpose
}

/* ---- the other two parsers on the same text ---- */

static void fuzz_assign(const char *text)
{
    char name[MK_FRAME_NAME_MAX];
    const char *expr = NULL;
    mk_err err;
    mk_err_clear(&err);
    int rc = mk_assign_split(text, name, sizeof name, &expr, &err);
    const char *eq = strchr(text, '=');
    if (rc != 0) {
        check(err.code == MK_EXIT_USAGE && err.msg[0] != '\0', "assign: error without usage code or message");
        return;
    }
    check(eq != NULL && expr == eq + 1, "assign: expression does not start after the first '='");
    check(mk_frame_valid_name(name), "assign: invalid name accepted");
    /* the name is the text before '=' without surrounding white space */
    const char *s = strstr(text, name);
    check(s != NULL && s < eq, "assign: name not found before '='");
}

static void fuzz_agg(const char *text, const mk_frame *f)
{
    mk_agg aggs[8];
    int n = -1;
    mk_err err;
    mk_err_clear(&err);
    if (mk_agg_parse(text, f, aggs, 8, &n, &err) != 0) {
        check(err.code == MK_EXIT_USAGE && err.msg[0] != '\0', "agg: error without usage code or message");
        return;
    }
    check(n >= 1 && n <= 8, "agg: count out of range");
    for (int i = 0; i < n; i++) {
        check(aggs[i].kind >= MK_AGG_SUM && aggs[i].kind <= MK_AGG_NUNIQUE, "agg: kind");
        /* count alone is the group's size (col -1); count:A counts A's non-missing values */
        check((aggs[i].kind == MK_AGG_COUNT && aggs[i].col == -1) || (aggs[i].col >= 0 && aggs[i].col < f->ncols),
              "agg: column");
        check(memchr(aggs[i].name, '\0', sizeof aggs[i].name) != NULL, "agg: name not terminated");
        for (int j = 0; j < i; j++)
            check(strcmp(aggs[i].name, aggs[j].name) != 0, "agg: duplicate name");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const double palette[] = {0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e308, -1e308, 4.9e-324, NAN, INFINITY, 7.0};
    static const char *const names[] = {"A", "B", "C", "x1", "_", "a_very_long_column_name_of_63_characters_xxxxxxxxxxxxxxxxxxxxxx"};
    uint64_t rows = 1 + (data[0] & 7) + ((data[0] & 8) ? 600 : 0);
    mk_frame f;
    mk_err err;
    mk_err_clear(&err);
    check(mk_frame_init(&f, 6, names, rows, &err) == 0, "frame init");
    for (int c = 0; c < f.ncols; c++)
        for (uint64_t r = 0; r < rows; r++)
            f.cols[c][r] = palette[(data[1] + r * 7 + (uint64_t)c * 5) % (sizeof palette / sizeof palette[0])];
    char *text = strndup((const char *)data + 2, size - 2);

    mk_expr *e = NULL;
    int rc = mk_expr_compile(text, &f, &e, &err);
    ref_parser *r = calloc(1, sizeof *r);
    r->p = text;
    r->f = &f;
    int root = ref_expr(r);
    blanks(r);
    int ok = !r->bad && *r->p == '\0' && r->max_depth <= MAX_DEPTH && r->ops <= MAX_OPS;
    if (rc != 0) {
        check(e == NULL, "failed compile returned an expression");
        check(err.code == MK_EXIT_USAGE && err.msg[0] != '\0', "compile error without usage code or message");
        if (ok)
            fprintf(stderr, "rejected: %s\n", err.msg);
        check(!ok, "compile rejects an expression the reference accepts");
    } else {
        check(ok, "compile accepts an expression the reference rejects");
        double *out = malloc(rows * sizeof *out);
        check(mk_expr_eval(e, &f, rows, out) == 0, "eval failed");
        for (uint64_t row = 0; row < rows; row++)
            check(same(out[row], ref_eval(r, root, &f, row)), "value differs from the reference");
        free(out);
        mk_expr_free(e);
    }
    free(r);

    fuzz_assign(text);
    fuzz_agg(text, &f);
    free(text);
    mk_frame_free(&f);
    return 0;
}
