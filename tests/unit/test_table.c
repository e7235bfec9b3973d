/* Unit tests: the expression language (precedence, unary minus, errors with positions, nothing
 * but + - * / ( ) numbers and columns), the CSV reader, aggregation specs and the serial groupby. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/table.h"

static void make_frame(mk_frame *f)
{
    const char *names[] = {"A", "B", "C_2"};
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_frame_init(f, 3, names, 3, &err), 0);
    double a[] = {1, 2, 3}, b[] = {10, 20, 30}, c[] = {0.5, -1, 4};
    memcpy(f->cols[0], a, sizeof a);
    memcpy(f->cols[1], b, sizeof b);
    memcpy(f->cols[2], c, sizeof c);
}

/* Value of text at row r, or the error message. */
static double eval_at(const char *text, int r, mk_err *err)
{
    mk_frame f;
    make_frame(&f);
    mk_expr *e = NULL;
    double out[3] = {0, 0, 0};
    mk_err_clear(err);
    if (mk_expr_compile(text, &f, &e, err) == 0) {
        assert_int_equal(mk_expr_eval(e, &f, 3, out), 0);
        mk_expr_free(e);
    }
    mk_frame_free(&f);
    return out[r];
}

static void test_expr_values(void **state)
{
    (void)state;
    mk_err err;
    assert_true(eval_at("2*A", 1, &err) == 4);
    assert_true(eval_at("A+B*2", 2, &err) == 63);      /* * binds tighter */
    assert_true(eval_at("(A+B)*2", 2, &err) == 66);
    assert_true(eval_at("A-B-1", 0, &err) == -10);     /* left associative */
    assert_true(eval_at("B/A/2", 1, &err) == 5);
    assert_true(eval_at("-A", 0, &err) == -1);
    assert_true(eval_at("--A", 0, &err) == 1);
    assert_true(eval_at("-(A+B)*-2", 0, &err) == 22);
    assert_true(eval_at("+A", 2, &err) == 3);
    assert_true(eval_at(" 1.5e2 + .5 ", 0, &err) == 150.5);
    assert_true(eval_at("C_2*4", 1, &err) == -4);
    assert_true(eval_at("((((A))))", 2, &err) == 3);
    assert_int_equal(err.code, 0);
}

/* Conditions as pandas' query: comparisons bind tighter than & |, & tighter than |, not and ~;
 * NaN (0/0) compares false except !=. */
static void test_expr_conditions(void **state)
{
    (void)state;
    mk_err err;
    assert_true(eval_at("A > 1 & B < 30", 1, &err) == 1);
    assert_true(eval_at("A > 1 & B < 30", 2, &err) == 0);
    assert_true(eval_at("A == 1 | A == 3 & B == 10", 2, &err) == 0); /* & first */
    assert_true(eval_at("(A == 1 | A == 3) & B == 10", 0, &err) == 1);
    assert_true(eval_at("A+1 >= B/10+1", 1, &err) == 1);
    assert_true(eval_at("not A <= 2", 2, &err) == 1);
    assert_true(eval_at("~(A != 2)", 1, &err) == 1);
    assert_true(eval_at("A>1 and C_2 or 0", 1, &err) == 1); /* -1 is true */
    assert_true(eval_at("0/0 == 0/0", 0, &err) == 0);
    assert_true(eval_at("0/0 != 0/0", 0, &err) == 1);
    assert_true(eval_at("0/0 | 0", 0, &err) == 0); /* NaN is not true */
    assert_true(eval_at("andy", 0, &err) == 0 && err.code != 0); /* a name, not 'and' */
    eval_at("A =", 0, &err);
    assert_non_null(strstr(err.msg, "expected an operator"));
    eval_at("A > > 2", 0, &err);
    assert_int_equal(err.code, MK_EXIT_USAGE);
}

static void expect_error(const char *text, const char *fragment)
{
    mk_err err;
    eval_at(text, 0, &err);
    assert_int_equal(err.code, MK_EXIT_USAGE);
    if (strstr(err.msg, fragment) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, fragment);
}

static void test_expr_errors(void **state)
{
    (void)state;
    expect_error("A*", "at column 3: unexpected end");
    expect_error("", "at column 1");
    expect_error("A+Q", "unknown column 'Q'");
    expect_error("(A+B", "expected ')'");
    expect_error("A+B)", "unbalanced ')'");
    expect_error("A B", "expected an operator");
    expect_error("system(A)", "unknown column 'system'");
    expect_error("A;B", "at column 2");
    expect_error("A**2", "at column 3");
    expect_error("A^2", "at column 2");
    expect_error("1e", "bad exponent");
    expect_error("1e999", "out of range");
    char deep[300];
    memset(deep, '(', 200);
    strcpy(deep + 200, "A");
    expect_error(deep, "nested too deeply");
}

static void test_expr_long_columns(void **state)
{
    (void)state;
    /* more rows than one evaluation block, with a remainder */
    const char *names[] = {"X"};
    mk_frame f;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_frame_init(&f, 1, names, 1301, &err), 0);
    for (int i = 0; i < 1301; i++)
        f.cols[0][i] = i;
    mk_expr *e;
    assert_int_equal(mk_expr_compile("X*X-(X+1)/2", &f, &e, &err), 0);
    double *out = malloc(1301 * sizeof *out);
    assert_int_equal(mk_expr_eval(e, &f, 1301, out), 0);
    for (int i = 0; i < 1301; i++)
        assert_true(out[i] == (double)i * i - (i + 1.0) / 2);
    free(out);
    mk_expr_free(e);
    mk_frame_free(&f);
}

static void test_assign_split(void **state)
{
    (void)state;
    char name[64];
    const char *expr;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_assign_split(" K = 2*A", name, sizeof name, &expr, &err), 0);
    assert_string_equal(name, "K");
    assert_string_equal(expr, " 2*A");
    assert_int_equal(mk_assign_split("2*A", name, sizeof name, &expr, &err), -1);
    assert_int_equal(mk_assign_split("1K=A", name, sizeof name, &expr, &err), -1);
    assert_int_equal(mk_assign_split("=A", name, sizeof name, &expr, &err), -1);
}

static char *write_temp(const char *text)
{
    static const char tmpl[] = "/tmp/test_table.XXXXXX";
    char *path = malloc(sizeof tmpl + 4);
    strcpy(path, tmpl);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

static int read_csv_text(const char *text, mk_frame *f, mk_err *err)
{
    char *path = write_temp(text);
    mk_err_clear(err);
    int rc = mk_frame_read_csv(path, NULL, f, err);
    unlink(path);
    free(path);
    return rc;
}

static char *write_to_string(const mk_frame *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    mk_frame_write_csv(mem, f);
    fclose(mem);
    return buf;
}

static void test_csv_good(void **state)
{
    (void)state;
    mk_frame f;
    mk_err err;
    assert_int_equal(read_csv_text("A,B,C\r\n1,2.5,-3\r\n\r\n4, 5e1 ,6\n7,8,9", &f, &err), 0);
    assert_int_equal(f.ncols, 3);
    assert_int_equal(f.nrows, 3);
    assert_string_equal(f.names[1], "B");
    assert_true(f.cols[1][0] == 2.5 && f.cols[1][1] == 50 && f.cols[2][2] == 9 && f.cols[2][0] == -3);
    char *buf = write_to_string(&f);
    assert_string_equal(buf, "A,B,C\n1,2.5,-3\n4,50,6\n7,8,9\n");
    free(buf);
    mk_frame_free(&f);
    assert_int_equal(read_csv_text("A\n", &f, &err), 0);
    assert_int_equal(f.nrows, 0);
    mk_frame_free(&f);
    /* repeated names as pandas renames them */
    assert_int_equal(read_csv_text("A,A,A.1,A\n1,2,3,4\n", &f, &err), 0);
    assert_string_equal(f.names[1], "A.2"); /* pandas: A, A.2, A.1, A.3 */
    assert_string_equal(f.names[2], "A.1");
    assert_string_equal(f.names[3], "A.3");
    mk_frame_free(&f);
}

/* Text, quotes, missing values, a BOM, ';' and pandas' index column, then a round trip. */
static void test_csv_real(void **state)
{
    (void)state;
    mk_frame f;
    mk_err err;
    const char *text = "\xEF\xBB\xBF;\"na;me\";x\r\n0;\"Smith; \"\"J\"\"\nline 2\";1.5\r\n1;plain;\r\n2;NA;NaN\n3;;-inf\n";
    assert_int_equal(read_csv_text(text, &f, &err), 0);
    assert_int_equal(f.ncols, 3);
    assert_int_equal(f.nrows, 4);
    assert_string_equal(f.names[0], "Unnamed: 0");
    assert_string_equal(f.names[1], "na;me");
    assert_false(mk_frame_is_text(&f, 0));
    assert_true(mk_frame_is_text(&f, 1));
    assert_string_equal(f.strs[1][0], "Smith; \"J\"\nline 2");
    assert_string_equal(f.strs[1][1], "plain");
    assert_null(f.strs[1][2]);
    assert_null(f.strs[1][3]);
    assert_true(f.cols[2][0] == 1.5 && isnan(f.cols[2][1]) && isnan(f.cols[2][2]) && isinf(f.cols[2][3]));
    char *buf = write_to_string(&f);
    assert_string_equal(buf, "Unnamed: 0,\"na;me\",x\n0,\"Smith; \"\"J\"\"\nline 2\",1.5\n1,plain,\n2,,\n3,,-inf\n");
    /* what the writer wrote reads back to the same frame (NaN and inf included: issue 13 #14) */
    mk_frame g;
    assert_int_equal(read_csv_text(buf, &g, &err), 0);
    assert_int_equal(g.nrows, 4);
    assert_string_equal(g.strs[1][0], f.strs[1][0]);
    assert_true(isnan(g.cols[2][1]) && g.cols[2][3] == -INFINITY);
    free(buf);
    mk_frame_free(&g);
    mk_frame_free(&f);
    /* a number column stays numeric with quotes; one text cell makes the column text */
    assert_int_equal(read_csv_text("a\tb\n\"1\"\t2\n3\tx\n", &f, &err), 0);
    assert_false(mk_frame_is_text(&f, 0));
    assert_true(mk_frame_is_text(&f, 1));
    assert_string_equal(f.strs[1][0], "2");
    mk_frame_free(&f);
}

static void test_csv_numbers(void **state)
{
    (void)state;
    const char *good[] = {"1", "-2.5", " 3 ", "1e3", ".5", "5.", "+7", "inf", "-Infinity", "0.1",
                          "123456789012345678901234", "1e-320", "9007199254740993"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = 0;
        assert_int_equal(mk_csv_number(good[i], strlen(good[i]), &v), 1);
        assert_true(v == strtod(good[i], NULL));
    }
    const char *bad[] = {"", "x", "1x", "0x10", "1e", "--1", ".", "1,5", "nan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (mk_csv_number(bad[i], strlen(bad[i]), &v) != 0)
            fail_msg("'%s' read as a number", bad[i]);
    }
    char buf[40];
    double vals[] = {0.1, 1321.8, 1.0 / 3, 1e16, -0.0, 123, 5e-324};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        mk_format_double(buf, sizeof buf, vals[i]);
        assert_true(strtod(buf, NULL) == vals[i]);
    }
    mk_format_double(buf, sizeof buf, 1321.8);
    assert_string_equal(buf, "1321.8");
    mk_format_double(buf, sizeof buf, NAN);
    assert_string_equal(buf, "");
    assert_int_equal(mk_csv_detect_sep("a;b;\"c,d,e\"\n1,2", 15), ';');
    assert_int_equal(mk_csv_detect_sep("a\tb", 3), '\t');
    assert_int_equal(mk_csv_detect_sep("a", 1), ',');
}

static void csv_error(const char *text, const char *fragment)
{
    mk_frame f;
    mk_err err;
    assert_int_equal(read_csv_text(text, &f, &err), -1);
    if (strstr(err.msg, fragment) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, fragment);
}

static void test_csv_errors(void **state)
{
    (void)state;
    csv_error("A,B\n1,2\n3\n", ":3: expected 2 fields, found 1");
    csv_error("A,B\n1,2,3\n", ":2: expected 2 fields, found 3");
    csv_error("A,B\n1,\"x\ny\"\n2,3,4\n", ":4: expected 2 fields, found 3");
    csv_error("A,B\n1,2\n3,\"unclosed\n4,5\n", ":3: unclosed quote");
    csv_error("A,B\n1,ab\"c\n", ":2: quote inside an unquoted field");
    csv_error("A,B\n1,\"ab\"c\n", ":2: text after a closing quote");
    csv_error("", "empty header");
    mk_frame f;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_frame_read_csv("/nonexistent/x.csv", NULL, &f, &err), -1);
    assert_non_null(strstr(err.msg, "cannot open '/nonexistent/x.csv': No such file"));
}

static void test_agg_and_groupby(void **state)
{
    (void)state;
    const char *names[] = {"K", "V"};
    mk_frame f, g;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_frame_init(&f, 2, names, 6, &err), 0);
    double k[] = {3, 1, 3, -0.0, 1, 0}, v[] = {1, 2, 3, 4, 5, 6};
    memcpy(f.cols[0], k, sizeof k);
    memcpy(f.cols[1], v, sizeof v);
    mk_agg aggs[8];
    int n;
    assert_int_equal(mk_agg_parse("sum:V,mean:V,count,min:V,max:V", &f, aggs, 8, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(aggs[0].name, "sum_V");
    assert_string_equal(aggs[2].name, "count");
    assert_int_equal(mk_groupby_local(&f, (int[]){0}, 1, aggs, n, &g, &err), 0);
    assert_int_equal(g.nrows, 3); /* -0 and 0 are one group */
    double want[3][6] = {{0, 10, 5, 2, 4, 6}, {1, 7, 3.5, 2, 2, 5}, {3, 4, 2, 2, 1, 3}};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 6; c++)
            assert_true(g.cols[c][r] == want[r][c]);
    mk_frame_free(&g);
    assert_int_equal(mk_agg_parse("mode:V", &f, aggs, 8, &n, &err), -1);
    assert_int_equal(mk_agg_parse("sum", &f, aggs, 8, &n, &err), -1);
    assert_int_equal(mk_agg_parse("sum:Q", &f, aggs, 8, &n, &err), -1);
    assert_int_equal(mk_agg_parse("count,count", &f, aggs, 8, &n, &err), -1);
    assert_int_equal(mk_agg_parse("", &f, aggs, 8, &n, &err), -1);
    mk_frame_free(&f);
}

static void test_groupby_shuffle_one_rank(void **state)
{
    (void)state;
    const char *names[] = {"A", "B", "C", "D"};
    mk_frame f, serial, shuffled;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_frame_init(&f, 4, names, 1000, &err), 0);
    mk_frame_fill_random(&f, 9, 0);
    mk_agg aggs[4];
    int n;
    assert_int_equal(mk_agg_parse("sum:A,mean:C,count", &f, aggs, 4, &n, &err), 0);
    assert_int_equal(mk_groupby_local(&f, (int[]){1}, 1, aggs, n, &serial, &err), 0);
    assert_int_equal(mk_groupby_shuffle(MPI_COMM_WORLD, &f, (int[]){1}, 1, aggs, n, &shuffled, &err), 0);
    assert_int_equal(serial.nrows, shuffled.nrows);
    for (int c = 0; c < serial.ncols; c++)
        assert_memory_equal(serial.cols[c], shuffled.cols[c], serial.nrows * sizeof(double));
    uint64_t total = 0;
    for (uint64_t r = 0; r < serial.nrows; r++)
        total += (uint64_t)serial.cols[3][r];
    assert_int_equal(total, 1000);
    mk_frame_free(&serial);
    mk_frame_free(&shuffled);
    mk_frame_free(&f);
}

/* Issue 13 #11: a long expression's error keeps its reason (the text is quoted shortened). */
static void test_expr_long_message(void **state)
{
    (void)state;
    char text[900];
    memset(text, ' ', sizeof text);
    text[0] = 'A';
    text[1] = '+';
    strcpy(text + 600, "(B"); /* column 601 opens, the end comes without ')' */
    mk_err err;
    eval_at(text, 0, &err);
    if (strstr(err.msg, "expected ')'") == NULL || strstr(err.msg, "at column 603") == NULL)
        fail_msg("message: %s", err.msg);
    eval_at("A+weather", 0, &err);
    assert_non_null(strstr(err.msg, "unknown column 'weather'"));
}

/* Text keys, missing values skipped (pandas), missing keys dropped, std/var with ddof 1. */
static void test_groupby_text(void **state)
{
    (void)state;
    mk_frame f, g, s;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(read_csv_text("k,v\nb,1\na,2\nb,\n,7\na,4\nb,3\nc,NaN\n", &f, &err), 0);
    mk_agg aggs[8];
    int n;
    assert_int_equal(mk_agg_parse("sum:v,mean:v,count,count:v,std:v,var:v,min:v,max:v", &f, aggs, 8, &n, &err), 0);
    assert_int_equal(mk_groupby_local(&f, (int[]){0}, 1, aggs, n, &g, &err), 0);
    assert_int_equal(g.nrows, 3);
    assert_string_equal(g.strs[0][0], "a");
    assert_string_equal(g.strs[0][2], "c");
    double want[3][8] = {{6, 3, 2, 2, 1.4142135623730951, 2, 2, 4}, {4, 2, 3, 2, 1.4142135623730951, 2, 1, 3},
                         {0, NAN, 1, 0, NAN, NAN, NAN, NAN}};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 8; c++)
            if (!(g.cols[c + 1][r] == want[r][c] || (isnan(want[r][c]) && isnan(g.cols[c + 1][r]))))
                fail_msg("group %d agg %d: %.17g, want %.17g", r, c, g.cols[c + 1][r], want[r][c]);
    assert_int_equal(mk_groupby_shuffle(MPI_COMM_WORLD, &f, (int[]){0}, 1, aggs, n, &s, &err), 0);
    assert_int_equal(s.nrows, 3);
    assert_string_equal(s.strs[0][1], "b");
    assert_int_equal(mk_agg_parse("mean:k", &f, aggs, 8, &n, &err), -1);
    assert_non_null(strstr(err.msg, "is text"));
    mk_frame_free(&s);
    mk_frame_free(&g);
    mk_frame_free(&f);
}

/* Several keys, text and numbers: groups of the tuple, sorted by the first key then the next
 * (pandas' order), missing in any key drops the row; the shuffle gives the same groups. */
static void test_groupby_multikey(void **state)
{
    (void)state;
    mk_frame f, g, s;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(read_csv_text("k,n,v\nb,2,1\na,10,2\nb,2,3\na,9,4\n,1,5\nb,,6\na,10,7\nb,-0,8\nb,0,9\n", &f, &err),
                     0);
    mk_agg aggs[2];
    int n;
    assert_int_equal(mk_agg_parse("sum:v,count", &f, aggs, 2, &n, &err), 0);
    assert_int_equal(mk_groupby_local(&f, (int[]){0, 1}, 2, aggs, n, &g, &err), 0);
    assert_int_equal(g.nrows, 4);
    const char *k[] = {"a", "a", "b", "b"};
    double num[] = {9, 10, 0, 2}, sum[] = {4, 9, 17, 4}, count[] = {1, 2, 2, 2};
    for (int r = 0; r < 4; r++) {
        assert_string_equal(g.strs[0][r], k[r]);
        assert_true(g.cols[1][r] == num[r] && g.cols[2][r] == sum[r] && g.cols[3][r] == count[r]);
    }
    assert_int_equal(mk_groupby_shuffle(MPI_COMM_WORLD, &f, (int[]){1, 0}, 2, aggs, n, &s, &err), 0);
    assert_int_equal(s.nrows, 4); /* numbers first: 0 b, 2 b, 9 a, 10 a */
    assert_true(s.cols[0][0] == 0 && s.cols[0][3] == 10);
    assert_string_equal(s.strs[1][2], "a");
    mk_frame_free(&s);
    assert_int_equal(mk_groupby_local(&f, (int[]){0, 0}, 2, aggs, n, &s, &err), -1);
    assert_non_null(strstr(err.msg, "named twice"));
    mk_frame_free(&g);
    /* first/last in row order skipping missing; median (even: the middle two's mean); nunique */
    mk_agg more[4];
    mk_err_clear(&err);
    assert_int_equal(mk_agg_parse("first:n,last:n,median:v,nunique:n", &f, more, 4, &n, &err), 0);
    assert_int_equal(mk_groupby_shuffle(MPI_COMM_WORLD, &f, (int[]){0}, 1, more, n, &g, &err), 0);
    assert_int_equal(g.nrows, 2); /* a: n 10 9 10, v 2 4 7; b: n 2 2 - -0 0, v 1 3 6 8 9 */
    double want[2][4] = {{10, 10, 4, 2}, {2, 0, 6, 2}};
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 4; c++)
            if (g.cols[c + 1][r] != want[r][c])
                fail_msg("group %d agg %d: %.17g, want %.17g", r, c, g.cols[c + 1][r], want[r][c]);
    mk_frame_free(&g);
    mk_frame_free(&f);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_values), cmocka_unit_test(test_expr_conditions),    cmocka_unit_test(test_expr_errors),
        cmocka_unit_test(test_expr_long_columns), cmocka_unit_test(test_assign_split),
        cmocka_unit_test(test_csv_good),       cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_real),       cmocka_unit_test(test_csv_numbers),
        cmocka_unit_test(test_expr_long_message), cmocka_unit_test(test_groupby_text),
        cmocka_unit_test(test_agg_and_groupby), cmocka_unit_test(test_groupby_shuffle_one_rank),
        cmocka_unit_test(test_groupby_multikey),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
