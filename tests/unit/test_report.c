/* test_report.c - table rendering (text, CSV, JSON), escaping, rank-ordered printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/report.h"

/* Output captured in memory so renderings compare as exact strings. */
typedef struct {
    char *buf;
    size_t len;
    FILE *f;
} capture;

static FILE *capture_open(capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    return c->f;
}

/* Closes the stream, compares, frees. */
static void capture_check(capture *c, const char *want)
{
    fclose(c->f);
    assert_string_equal(c->buf, want);
    free(c->buf);
}

static mk_table *words_table(void)
{
    const char *cols[] = { "word", "count" };
    mk_table *t = mk_table_new("words", "top words", 2, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_str(t, "the"), 0);
    assert_int_equal(mk_table_u64(t, 27843), 0);
    assert_int_equal(mk_table_str(t, "a"), 0);
    assert_int_equal(mk_table_u64(t, 5), 0);
    assert_int_equal(mk_table_str(t, "na\xc3\xafve"), 0); /* 5 columns wide, 6 bytes */
    assert_int_equal(mk_table_i64(t, -12), 0);
    return t;
}

static void test_text_alignment(void **state)
{
    (void)state;
    mk_table *t = words_table();
    assert_int_equal(mk_table_rows(t), 3);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_TEXT);
    capture_check(&c,
                  "top words\n"
                  "word   count\n"
                  "the    27843\n"
                  "a          5\n"
                  "na\xc3\xafve    -12\n");
    mk_table_free(t);
}

/* The last column is not padded when left-aligned; a column holding any string
 * keeps its header left-aligned; no title means no title line. */
static void test_text_strings_last(void **state)
{
    (void)state;
    const char *cols[] = { "n", "phase", "rate" };
    mk_table *t = mk_table_new("t", NULL, 3, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_u64(t, 1000), 0);
    assert_int_equal(mk_table_str(t, "read"), 0);
    assert_int_equal(mk_table_f64(t, "%.1f", 12.25), 0);
    assert_int_equal(mk_table_u64(t, 2), 0);
    assert_int_equal(mk_table_str(t, "x"), 0);
    assert_int_equal(mk_table_str(t, "-"), 0);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_TEXT);
    capture_check(&c,
                  "   n  phase  rate\n"
                  "1000  read   12.2\n"
                  "   2  x      -\n");
    mk_table_free(t);
}

static void test_empty_and_partial(void **state)
{
    (void)state;
    const char *cols[] = { "a", "b" };
    mk_table *t = mk_table_new("e", "empty", 2, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_rows(t), 0);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_TEXT);
    capture_check(&c, "empty\na  b\n");
    mk_table_print(capture_open(&c), t, MK_FMT_JSON);
    capture_check(&c, "{\n  \"e\": []\n}\n");

    /* An unfinished row still shows, its missing cells empty (null in JSON). */
    assert_int_equal(mk_table_str(t, "x"), 0);
    assert_int_equal(mk_table_rows(t), 1);
    mk_table_print(capture_open(&c), t, MK_FMT_CSV);
    capture_check(&c, "a,b\nx,\n");
    mk_table_print(capture_open(&c), t, MK_FMT_JSON);
    capture_check(&c, "{\n  \"e\": [\n    {\"a\": \"x\", \"b\": null}\n  ]\n}\n");
    mk_table_free(t);

    assert_null(mk_table_new("z", NULL, 0, cols));
}

static void test_cells_are_copies(void **state)
{
    (void)state;
    char col[8] = "name";
    const char *cols[] = { col };
    mk_table *t = mk_table_new("t", NULL, 1, cols);
    assert_non_null(t);
    char value[8] = "abc";
    assert_int_equal(mk_table_str(t, value), 0);
    strcpy(value, "XYZ");
    strcpy(col, "QQQQ");
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_CSV);
    capture_check(&c, "name\nabc\n");
    mk_table_free(t);
}

static void test_csv_field(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "", "" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "line\nbreak", "\"line\nbreak\"" },
        { "cr\r", "\"cr\r\"" },
        { "semi;colon 'q'", "semi;colon 'q'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        capture c;
        mk_csv_field(capture_open(&c), cases[i].in);
        capture_check(&c, cases[i].out);
    }
}

static void test_csv_table(void **state)
{
    (void)state;
    const char *cols[] = { "word", "count, total" };
    mk_table *t = mk_table_new("w", "title not in CSV", 2, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_str(t, "\"quoted\""), 0);
    assert_int_equal(mk_table_u64(t, 3), 0);
    assert_int_equal(mk_table_str(t, "two\nlines"), 0);
    assert_int_equal(mk_table_f64(t, "%.2f", 0.5), 0);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_CSV);
    capture_check(&c,
                  "word,\"count, total\"\n"
                  "\"\"\"quoted\"\"\",3\n"
                  "\"two\nlines\",0.5\n");
    mk_table_free(t);
}

static void test_json_string(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "\"plain\"" },
        { "", "\"\"" },
        { "a\"b\\c", "\"a\\\"b\\\\c\"" },
        { "l1\nl2\tx\r\b\f", "\"l1\\nl2\\tx\\r\\b\\f\"" },
        { "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
        /* Valid UTF-8 passes through: 2, 3 and 4 byte sequences. */
        { "na\xc3\xafve \xe2\x82\xac \xf0\x9d\x84\x9e", "\"na\xc3\xafve \xe2\x82\xac \xf0\x9d\x84\x9e\"" },
        /* Invalid bytes become \u00XX, each on its own. */
        { "\xff", "\"\\u00ff\"" },
        { "a\x80" "b", "\"a\\u0080b\"" },
        { "\xc3", "\"\\u00c3\"" },                           /* truncated */
        { "\xc3(", "\"\\u00c3(\"" },                         /* bad continuation */
        { "\xc0\xaf", "\"\\u00c0\\u00af\"" },                /* overlong '/' */
        { "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"" },     /* overlong */
        { "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },     /* UTF-16 surrogate */
        { "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* above U+10FFFF */
        { "\xe2\x82", "\"\\u00e2\\u0082\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        capture c;
        mk_json_string(capture_open(&c), cases[i].in);
        capture_check(&c, cases[i].out);
    }
}

static void test_json_table(void **state)
{
    (void)state;
    const char *cols[] = { "name", "n", "x" };
    mk_table *t = mk_table_new("stats", "ignored in JSON", 3, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_str(t, "say \"hi\"\n"), 0);
    assert_int_equal(mk_table_i64(t, -3), 0);
    assert_int_equal(mk_table_f64(t, "%.3f", 1.5), 0);
    assert_int_equal(mk_table_str(t, "\xff"), 0);
    assert_int_equal(mk_table_u64(t, UINT64_MAX), 0);
    assert_int_equal(mk_table_f64(t, "%.3f", NAN), 0);
    assert_int_equal(mk_table_str(t, "inf"), 0);
    assert_int_equal(mk_table_u64(t, 0), 0);
    assert_int_equal(mk_table_f64(t, "%g", -INFINITY), 0);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_JSON);
    capture_check(&c,
                  "{\n"
                  "  \"stats\": [\n"
                  "    {\"name\": \"say \\\"hi\\\"\\n\", \"n\": -3, \"x\": 1.5},\n"
                  "    {\"name\": \"\\u00ff\", \"n\": 18446744073709551615, \"x\": null},\n"
                  "    {\"name\": \"inf\", \"n\": 0, \"x\": null}\n"
                  "  ]\n"
                  "}\n");

    /* Text keeps the printf spelling of non-finite values, right-aligned. */
    mk_table_print(capture_open(&c), t, MK_FMT_TEXT);
    fclose(c.f);
    assert_non_null(strstr(c.buf, "18446744073709551615    nan\n"));
    assert_non_null(strstr(c.buf, "   0   -inf\n"));
    free(c.buf);
    mk_table_free(t);
}

static void test_tables_print(void **state)
{
    (void)state;
    const char *c1[] = { "k", "v" };
    const char *c2[] = { "phase" };
    mk_table *a = mk_table_new("a", "first", 2, c1);
    mk_table *b = mk_table_new("b", NULL, 1, c2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(mk_table_str(a, "x"), 0);
    assert_int_equal(mk_table_u64(a, 1), 0);
    assert_int_equal(mk_table_str(a, "yy"), 0);
    assert_int_equal(mk_table_u64(a, 22), 0);
    mk_table *const both[] = { a, b };

    capture c;
    mk_tables_print(capture_open(&c), both, 2, MK_FMT_JSON);
    capture_check(&c,
                  "{\n"
                  "  \"a\": [\n"
                  "    {\"k\": \"x\", \"v\": 1},\n"
                  "    {\"k\": \"yy\", \"v\": 22}\n"
                  "  ],\n"
                  "  \"b\": []\n"
                  "}\n");
    mk_tables_print(capture_open(&c), both, 2, MK_FMT_TEXT);
    capture_check(&c,
                  "first\n"
                  "k    v\n"
                  "x    1\n"
                  "yy  22\n"
                  "\n"
                  "phase\n");
    /* CSV is one table: the first by default, another by its name. */
    mk_tables_print(capture_open(&c), both, 2, MK_FMT_CSV);
    capture_check(&c, "k,v\nx,1\nyy,22\n");
    assert_int_equal(mk_report_print(capture_open(&c), both, 2, MK_FMT_CSV, "a|b", 1), 0);
    capture_check(&c, "phase\n");
    assert_int_equal(mk_report_print(capture_open(&c), both, 2, MK_FMT_CSV, "a|b", MK_TABLE_MAIN), 0);
    capture_check(&c, "k,v\nx,1\nyy,22\n");
    /* A name this run did not make: nothing on the output, -1. */
    assert_int_equal(mk_report_print(capture_open(&c), both, 1, MK_FMT_CSV, "a|b", 1), -1);
    capture_check(&c, "");
    assert_int_equal(mk_report_print(capture_open(&c), both, 2, MK_FMT_JSON, "a|b", 1), 0);
    fclose(c.f);
    assert_non_null(strstr(c.buf, "\"b\": []"));
    free(c.buf);
    mk_tables_print(capture_open(&c), both, 0, MK_FMT_JSON);
    capture_check(&c, "{\n}\n");

    /* NULL output is how ranks other than 0 print: nothing happens. */
    mk_tables_print(NULL, both, 2, MK_FMT_TEXT);
    mk_table_print(NULL, a, MK_FMT_JSON);
    mk_table_free(a);
    mk_table_free(b);
    mk_table_free(NULL);
}

static void test_format_exact(void **state)
{
    (void)state;
    static const struct { double x; const char *want; } cases[] = {
        { 0.1, "0.1" }, { 1321.8, "1321.8" }, { 1.0 / 3.0, "0.3333333333333333" },
        { 100.0, "100" }, { -2.5, "-2.5" }, { 0.0, "0" }, { 1e-5, "1e-05" },
        { 0.0001, "0.0001" }, { 1e16, "1e+16" }, { 123456789012345.0, "123456789012345" },
        { 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
        { NAN, "nan" }, { -INFINITY, "-inf" },
    };
    char buf[40];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(mk_format_exact(cases[i].x, buf, sizeof buf), cases[i].want);
    /* Round trip over awkward values: sums that print as 17 digits with %.17g. */
    double x = 0;
    for (int i = 0; i < 1000; i++) {
        x += 0.1 * i + 1e-7;
        mk_format_exact(x, buf, sizeof buf);
        assert_true(strtod(buf, NULL) == x);
        char g17[40];
        snprintf(g17, sizeof g17, "%.17g", x);
        assert_true(strlen(buf) <= strlen(g17) + 1);
    }
    /* Text keeps the printf rounding; CSV has the exact value. */
    const char *cols[] = { "x" };
    mk_table *t = mk_table_new("t", NULL, 1, cols);
    assert_non_null(t);
    assert_int_equal(mk_table_f64(t, "%.2f", 1321.8), 0);
    capture c;
    mk_table_print(capture_open(&c), t, MK_FMT_TEXT);
    capture_check(&c, "      x\n1321.80\n");
    mk_table_print(capture_open(&c), t, MK_FMT_CSV);
    capture_check(&c, "x\n1321.8\n");
    mk_table_free(t);
}

static void test_table_option(void **state)
{
    (void)state;
    int table = MK_TABLE_MAIN;
    const mk_option o = MK_TABLE_OPTION(&table, "top|files");
    assert_string_equal(o.name, "table");
    assert_int_equal(o.kind, MK_OPT_CHOICE);
    assert_string_equal(o.choices, "top|files");
    assert_non_null(strstr(o.help, "top|files"));
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_table_check_format(MK_FMT_JSON, MK_TABLE_MAIN, &err), 0);
    assert_int_equal(mk_table_check_format(MK_FMT_CSV, 1, &err), 0);
    assert_int_equal(mk_table_check_format(MK_FMT_JSON, 1, &err), -1);
    assert_non_null(strstr(err.msg, "--format csv only"));
    mk_err_clear(&err);
    assert_int_equal(mk_table_require("top|files", 1, "files", 0, "needs --mode wc", &err), -1);
    assert_string_equal(err.msg, "--table files: needs --mode wc");
    mk_err_clear(&err);
    assert_int_equal(mk_table_require("top|files", 0, "files", 0, "needs --mode wc", &err), 0);
    assert_int_equal(mk_table_require("top|files", 1, "files", 1, "needs --mode wc", &err), 0);
    assert_int_equal(mk_table_require("top|files", MK_TABLE_MAIN, "files", 0, "needs --mode wc", &err), 0);
    assert_int_equal(err.code, 0);
}

static void test_print_ordered(void **state)
{
    (void)state;
    capture c;
    assert_int_equal(mk_print_ordered(MPI_COMM_WORLD, capture_open(&c), "rank 0: hello\n"), 0);
    capture_check(&c, "rank 0: hello\n");
    assert_int_equal(mk_print_ordered(MPI_COMM_WORLD, capture_open(&c), ""), 0);
    capture_check(&c, "");
    assert_int_equal(mk_print_ordered(MPI_COMM_SELF, capture_open(&c), NULL), 0);
    capture_check(&c, "");
    assert_int_equal(mk_print_ordered(MPI_COMM_WORLD, NULL, "dropped"), 0);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_alignment),
        cmocka_unit_test(test_text_strings_last),
        cmocka_unit_test(test_empty_and_partial),
        cmocka_unit_test(test_cells_are_copies),
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_csv_table),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_table),
        cmocka_unit_test(test_tables_print),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_table_option),
        cmocka_unit_test(test_print_ordered),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
