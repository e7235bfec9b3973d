/* test_cli.c - option parsing, value parsers and their error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/cli.h"

#ifndef MK_VERSION
#define MK_VERSION "unknown"
#endif

/* The options of a typical job, with targets living next to them. */
typedef struct {
    int verbose;
    int64_t top;
    uint64_t bytes;
    double ratio;
    double timeout;
    const char *name;
    int format;
    mk_option opts[7];
    mk_cli cli;
    mk_err err;
    char **pos;
    int npos;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->top = 10;
    f->bytes = 1;
    f->ratio = 0.5;
    f->timeout = 1.0;
    f->format = 0;
    const mk_option opts[7] = {
        { "verbose", 'v', MK_OPT_FLAG, &f->verbose, NULL, "print more", 0, 0, 0, 0, NULL },
        { "top", 'k', MK_OPT_INT, &f->top, "K", "show the K most frequent words", 1, 1000000, 0, 0, NULL },
        { "bytes", 0, MK_OPT_SIZE, &f->bytes, NULL, "block size", 0, 0, 0, 0, NULL },
        { "ratio", 0, MK_OPT_DOUBLE, &f->ratio, "X", "a ratio", 0, 0, 0, 0, NULL },
        { "timeout", 0, MK_OPT_DURATION, &f->timeout, NULL, "give up after TIME", 0, 0, 0.001, 60, NULL },
        { "name", 'n', MK_OPT_STRING, &f->name, NULL, NULL, 0, 0, 0, 0, NULL },
        { "format", 'f', MK_OPT_CHOICE, &f->format, "FMT", "output format", 0, 0, 0, 0, "text|csv|json" },
    };
    memcpy(f->opts, opts, sizeof opts);
    f->cli.prog = "wc";
    f->cli.usage = "[options] FILE...";
    f->cli.summary = "Count words.";
    f->cli.opts = f->opts;
    f->cli.nopts = 7;
    f->cli.min_positional = 0;
    f->cli.max_positional = -1;
}

static int argv_count(char **argv)
{
    int n = 0;
    while (argv[n] != NULL)
        n++;
    return n;
}

static int parse_out(fixture *f, FILE *out, char **argv)
{
    free(f->pos);
    f->pos = NULL;
    return mk_cli_parse(&f->cli, argv_count(argv), argv, out, &f->pos, &f->npos, &f->err);
}

static int parse(fixture *f, char **argv)
{
    return parse_out(f, NULL, argv);
}

/* The argument vector of one call, program name first, NULL-terminated. */
#define ARGV(...) ((char *[]){ "wc", __VA_ARGS__, NULL })

static void expect_error(fixture *f, char **argv, const char *msg)
{
    assert_int_equal(parse(f, argv), MK_CLI_ERROR);
    assert_int_equal(f->err.code, MK_EXIT_USAGE);
    assert_string_equal(f->err.msg, msg);
    assert_null(f->pos);
    assert_int_equal(f->npos, 0);
}

/* Everything written to f since it was opened, as a malloc'd string. */
static char *slurp(FILE *f)
{
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    return s;
}

/* --- value parsers ---------------------------------------------------------- */

static void test_parse_int(void **state)
{
    (void)state;
    int64_t v = 42;
    assert_int_equal(mk_parse_int("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(mk_parse_int("-5", &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(mk_parse_int("+7", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(mk_parse_int("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(mk_parse_int("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);

    v = 42;
    const char *bad[] = { "99999999999999999999", "9223372036854775808", "-9223372036854775809",
                          "", " 5", "5 ", "abc", "12abc", "-", "+", "1.5", "0x10", "--5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mk_parse_int(bad[i], &v), -1);
        assert_int_equal(v, 42);
    }
    assert_int_equal(mk_parse_int(NULL, &v), -1);
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t bytes; } good[] = {
        { "0", 0 },
        { "4096", 4096 },
        { "4096B", 4096 },
        { "64K", 65536 },
        { "64k", 65536 },
        { "64KiB", 65536 },
        { "64kib", 65536 },
        { "64KB", 65536 },
        { "64M", 64ull << 20 },
        { "1G", 1ull << 30 },
        { "1g", 1ull << 30 },
        { "1GiB", 1ull << 30 },
        { "2T", 2ull << 40 },
        { "1.5G", 1610612736ull },
        { "0.1K", 102 },       /* 102.4 rounds down */
        { "1.5", 1 },
        { "0.5M", 512ull << 10 },
        { "18446744073709551615", UINT64_MAX },
        { "16777215T", UINT64_MAX - (1ull << 40) + 1 },
        { "16777215.5T", UINT64_MAX - (1ull << 40) + 1 + (1ull << 39) },
        { "16777215.99999999999999999999999T", UINT64_MAX },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 7;
        assert_int_equal(mk_parse_size(good[i].text, &v), 0);
        assert_true(v == good[i].bytes);
    }

    const char *bad[] = { "-1", "10X", "", "K", "1.G", "1.", ".5K", "64iB", "64KiBs", " 1K", "1K ",
                          "1 K", "+1", "99999999999999999999", "18446744073709551616", "16777216T",
                          "16777215.99999999999999999999999T0", "nan", "inf", "1e3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 7;
        assert_int_equal(mk_parse_size(bad[i], &v), -1);
        assert_true(v == 7);
    }
    uint64_t v = 7;
    assert_int_equal(mk_parse_size(NULL, &v), -1);
}

static void test_parse_double(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(mk_parse_double("1.5", &v), 0);
    assert_true(v == 1.5);
    assert_int_equal(mk_parse_double("-2", &v), 0);
    assert_true(v == -2.0);
    assert_int_equal(mk_parse_double("1e3", &v), 0);
    assert_true(v == 1000.0);
    assert_int_equal(mk_parse_double("1e-400", &v), 0); /* underflow is a fine zero */
    assert_true(v == 0.0);

    v = 9;
    const char *bad[] = { "nan", "NaN", "inf", "-inf", "infinity", "1e999", "", " 1", "1.5x", "x", "1 " };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mk_parse_double(bad[i], &v), -1);
        assert_true(v == 9);
    }
}

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct { const char *text; double seconds; } good[] = {
        { "10ms", 0.01 }, { "2s", 2 }, { "1.5us", 1.5e-6 }, { "3m", 180 }, { "1h", 3600 },
        { "5", 5 }, { "100ns", 1e-7 }, { "0", 0 }, { "0.5", 0.5 }, { ".5s", 0.5 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        assert_int_equal(mk_parse_duration(good[i].text, &v), 0);
        assert_float_equal(v, good[i].seconds, 1e-12);
    }
    const char *bad[] = { "-1s", "-0", "1x", "s", "", "inf", "nan", "1 s", " 1s", "1S", "1ms ", "1e999h",
                          "+1s" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = -1;
        assert_int_equal(mk_parse_duration(bad[i], &v), -1);
        assert_true(v == -1);
    }
}

static void test_format_bytes(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(mk_format_bytes(0, buf, sizeof buf), "0 B");
    assert_string_equal(mk_format_bytes(512, buf, sizeof buf), "512 B");
    assert_string_equal(mk_format_bytes(1023, buf, sizeof buf), "1023 B");
    assert_string_equal(mk_format_bytes(1024, buf, sizeof buf), "1.0 KiB");
    assert_string_equal(mk_format_bytes(1536, buf, sizeof buf), "1.5 KiB");
    assert_string_equal(mk_format_bytes(64ull << 20, buf, sizeof buf), "64.0 MiB");
    assert_string_equal(mk_format_bytes(1ull << 30, buf, sizeof buf), "1.00 GiB");
    assert_string_equal(mk_format_bytes(3ull << 40, buf, sizeof buf), "3.00 TiB");
    assert_string_equal(mk_format_bytes(UINT64_MAX, buf, sizeof buf), "16.00 EiB");

    char small[5];
    assert_ptr_equal(mk_format_bytes(1ull << 30, small, sizeof small), small);
    assert_string_equal(small, "1.00");
}

/* --- option parsing --------------------------------------------------------- */

static void test_defaults_untouched(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_int_equal(parse(&f, ARGV("a.txt")), MK_CLI_OK);
    assert_int_equal(f.err.code, 0);
    assert_int_equal(f.top, 10);
    assert_int_equal(f.verbose, 0);
    assert_int_equal(f.npos, 1);
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): a failed cmocka assert does not return */
    assert_string_equal(f.pos[0], "a.txt");
    assert_null(f.pos[1]);
    free(f.pos);
}

static void test_long_forms(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char **argv = ARGV("--top", "5", "--bytes=64KiB", "--ratio", "-0.25", "--timeout=500ms",
                       "--name", "x", "--format=json", "--verbose");
    assert_int_equal(parse(&f, argv), MK_CLI_OK);
    assert_int_equal(f.top, 5);
    assert_true(f.bytes == 65536);
    assert_true(f.ratio == -0.25);
    assert_float_equal(f.timeout, 0.5, 1e-12);
    assert_ptr_equal(f.name, argv[8]);
    assert_int_equal(f.format, 2);
    assert_int_equal(f.verbose, 1);
    assert_int_equal(f.npos, 0);

    assert_int_equal(parse(&f, ARGV("--top=7", "--bytes", "1.5G", "--name=y")), MK_CLI_OK);
    assert_int_equal(f.top, 7);
    assert_true(f.bytes == 1610612736ull);
    assert_string_equal(f.name, "y");

    /* an empty text value is a usage error naming the option, in both spellings */
    assert_int_equal(parse(&f, ARGV("--name=")), MK_CLI_ERROR);
    assert_int_equal(f.err.code, MK_EXIT_USAGE);
    assert_string_equal(f.err.msg, "--name: empty value");
    assert_int_equal(parse(&f, ARGV("--name", "")), MK_CLI_ERROR);
    assert_string_equal(f.err.msg, "--name: empty value");
    free(f.pos);
}

static void test_short_forms(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_int_equal(parse(&f, ARGV("-k5", "-f", "csv", "-v", "-nfoo")), MK_CLI_OK);
    assert_int_equal(f.top, 5);
    assert_int_equal(f.format, 1);
    assert_int_equal(f.verbose, 1);
    assert_string_equal(f.name, "foo");

    free(f.pos);
    fixture_init(&f);
    assert_int_equal(parse(&f, ARGV("-k", "6")), MK_CLI_OK);
    assert_int_equal(f.top, 6);

    /* Flags bundle, and the first option taking a value ends the bundle. */
    free(f.pos);
    fixture_init(&f);
    assert_int_equal(parse(&f, ARGV("-vk12")), MK_CLI_OK);
    assert_int_equal(f.verbose, 1);
    assert_int_equal(f.top, 12);
    free(f.pos);
}

static void test_positionals(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_int_equal(parse(&f, ARGV("a", "--top", "3", "-", "b", "--", "--top", "-v", "-")), MK_CLI_OK);
    assert_int_equal(f.top, 3);
    assert_int_equal(f.verbose, 0);
    assert_int_equal(f.npos, 6);
    const char *want[] = { "a", "-", "b", "--top", "-v", "-" };
    for (int i = 0; i < 6; i++)
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): a failed cmocka assert does not return */
        assert_string_equal(f.pos[i], want[i]);
    assert_null(f.pos[6]);

    assert_int_equal(parse(&f, ARGV("--")), MK_CLI_OK);
    assert_int_equal(f.npos, 0);
    assert_non_null(f.pos);
    free(f.pos);
}

static void test_value_errors(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    expect_error(&f, ARGV("--top", "abc"), "--top: 'abc' is not an integer");
    expect_error(&f, ARGV("--top=99999999999999999999"), "--top: '99999999999999999999' is not an integer");
    expect_error(&f, ARGV("-kabc"), "--top: 'abc' is not an integer");
    expect_error(&f, ARGV("--top="), "--top: '' is not an integer");
    expect_error(&f, ARGV("--top", "0"), "--top: 0 is out of range [1, 1000000]");
    expect_error(&f, ARGV("--top", "1000001"), "--top: 1000001 is out of range [1, 1000000]");
    expect_error(&f, ARGV("--top", "-5"), "--top: -5 is out of range [1, 1000000]");
    expect_error(&f, ARGV("--bytes", "10X"), "--bytes: '10X' is not a size (examples: 4096, 64K, 64M, 1G)");
    expect_error(&f, ARGV("--bytes", "-1"), "--bytes: '-1' is not a size (examples: 4096, 64K, 64M, 1G)");
    expect_error(&f, ARGV("--ratio", "nan"), "--ratio: 'nan' is not a number");
    expect_error(&f, ARGV("--timeout", "5x"),
                 "--timeout: '5x' is not a duration (examples: 500ms, 2s, 1.5m, 1h)");
    expect_error(&f, ARGV("--timeout", "2m"), "--timeout: 2m is out of range [0.001s, 60s]");
    expect_error(&f, ARGV("--format", "xml"), "--format: 'xml' is not one of text|csv|json");
    expect_error(&f, ARGV("--format", "tex"), "--format: 'tex' is not one of text|csv|json");
    expect_error(&f, ARGV("-f", "jsonx"), "--format: 'jsonx' is not one of text|csv|json");
    /* A rejected value leaves the default in place. */
    assert_int_equal(f.top, 10);
    assert_true(f.bytes == 1);
    assert_int_equal(f.format, 0);
}

static void test_option_errors(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    expect_error(&f, ARGV("--frob"), "unknown option '--frob'");
    expect_error(&f, ARGV("--frob=3"), "unknown option '--frob'");
    expect_error(&f, ARGV("--to", "3"), "unknown option '--to'");
    expect_error(&f, ARGV("-x"), "unknown option '-x'");
    expect_error(&f, ARGV("-vx"), "unknown option '-x'");
    expect_error(&f, ARGV("--top"), "--top: missing value");
    expect_error(&f, ARGV("a", "-k"), "--top: missing value");
    expect_error(&f, ARGV("--verbose=1"), "--verbose takes no value");
    expect_error(&f, ARGV("--verbose="), "--verbose takes no value");
    expect_error(&f, ARGV("--help=yes"), "--help takes no value");
    expect_error(&f, ARGV("--version=2"), "--version takes no value");
}

static void test_positional_counts(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.cli.min_positional = 1;
    expect_error(&f, ARGV("--top", "3"), "missing FILE argument");
    assert_int_equal(parse(&f, ARGV("a", "b", "c")), MK_CLI_OK);
    assert_int_equal(f.npos, 3);

    f.cli.max_positional = 2;
    expect_error(&f, ARGV("a", "b", "c"), "too many arguments");
    f.cli.min_positional = 0;
    f.cli.max_positional = 0;
    expect_error(&f, ARGV("a"), "too many arguments");

    /* The missing name comes from the usage line; optional parts are skipped. */
    f.cli.usage = "[options] [-o OUT] SRC DST";
    f.cli.min_positional = 2;
    f.cli.max_positional = 2;
    expect_error(&f, ARGV("a"), "missing DST argument");
    f.cli.usage = NULL;
    expect_error(&f, ARGV("a"), "missing argument (expected at least 2)");
    free(f.pos);
}

static void test_unbounded(void **state)
{
    (void)state;
    int64_t n = 0;
    uint64_t sz = 0;
    double d = 0;
    mk_option opts[] = {
        { "n", 0, MK_OPT_INT, &n, NULL, NULL, 0, 0, 0, 0, NULL },
        { "size", 0, MK_OPT_SIZE, &sz, NULL, NULL, 4096, 1 << 20, 0, 0, NULL },
        { "d", 0, MK_OPT_DOUBLE, &d, NULL, NULL, 0, 0, 0, 0, NULL },
    };
    mk_cli cli = { "t", NULL, NULL, opts, 3, 0, -1 };
    mk_err err;
    char **pos = NULL;
    int npos = -1;
    char **argv = ARGV("--n", "-9223372036854775808", "--d=-1e300", "--size", "64K");
    assert_int_equal(mk_cli_parse(&cli, argv_count(argv), argv, NULL, &pos, &npos, &err), MK_CLI_OK);
    assert_true(n == INT64_MIN);
    assert_true(d == -1e300);
    assert_true(sz == 65536);
    free(pos);

    argv = ARGV("--size", "2M");
    assert_int_equal(mk_cli_parse(&cli, argv_count(argv), argv, NULL, &pos, &npos, &err), MK_CLI_ERROR);
    assert_string_equal(err.msg, "--size: 2M is out of range [4096, 1048576]");

    /* Without somewhere to put positionals the parse still counts them. */
    argv = ARGV("a", "b");
    assert_int_equal(mk_cli_parse(&cli, argv_count(argv), argv, NULL, NULL, &npos, &err), MK_CLI_OK);
    assert_int_equal(npos, 2);
}

static const char HELP_TEXT[] =
    "usage: wc [options] FILE...\n"
    "\n"
    "Count words.\n"
    "\n"
    "options:\n"
    "  -v, --verbose       print more\n"
    "  -k, --top K         show the K most frequent words\n"
    "      --bytes SIZE    block size\n"
    "      --ratio X       a ratio\n"
    "      --timeout TIME  give up after TIME\n"
    "  -n, --name TEXT\n"
    "  -f, --format FMT    output format\n"
    "  -h, --help          show this help and exit\n"
    "      --version       show the version and exit\n";

static void test_help(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.cli.min_positional = 1;   /* --help wins over a missing FILE */
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(parse_out(&f, out, ARGV("--help")), MK_CLI_EXIT);
    assert_int_equal(f.err.code, 0);
    assert_null(f.pos);
    char *text = slurp(out);
    assert_string_equal(text, HELP_TEXT);
    free(text);
    fclose(out);

    out = tmpfile();
    assert_non_null(out);
    assert_int_equal(parse_out(&f, out, ARGV("--top", "3", "-h", "--frob")), MK_CLI_EXIT);
    text = slurp(out);
    assert_string_equal(text, HELP_TEXT);
    free(text);
    fclose(out);

    /* Other ranks pass NULL: same verdict, nothing printed. */
    assert_int_equal(parse_out(&f, NULL, ARGV("-vh")), MK_CLI_EXIT);

    out = tmpfile();
    assert_non_null(out);
    mk_cli_help(&f.cli, out);
    text = slurp(out);
    assert_string_equal(text, HELP_TEXT);
    free(text);
    fclose(out);
}

static void test_version(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(parse_out(&f, out, ARGV("--version")), MK_CLI_EXIT);
    assert_int_equal(f.err.code, 0);
    char *text = slurp(out);
    assert_string_equal(text, "wc (mpikit) " MK_VERSION "\n");
    free(text);
    fclose(out);
    assert_int_equal(parse_out(&f, NULL, ARGV("--version")), MK_CLI_EXIT);
}

/* A job's own -h replaces the built-in short form; --help still works. */
static void test_help_short_taken(void **state)
{
    (void)state;
    int64_t height = 0;
    mk_option opts[] = { { "height", 'h', MK_OPT_INT, &height, "H", "rows", 0, 0, 0, 0, NULL } };
    mk_cli cli = { "t", "[options]", NULL, opts, 1, 0, 0 };
    mk_err err;
    char **pos = NULL;
    int npos = 0;
    char **argv = ARGV("-h", "4");
    assert_int_equal(mk_cli_parse(&cli, argv_count(argv), argv, NULL, &pos, &npos, &err), MK_CLI_OK);
    assert_int_equal(height, 4);
    free(pos);

    FILE *out = tmpfile();
    assert_non_null(out);
    mk_cli_help(&cli, out);
    char *text = slurp(out);
    assert_string_equal(text,
                        "usage: t [options]\n"
                        "\n"
                        "options:\n"
                        "  -h, --height H  rows\n"
                        "      --help      show this help and exit\n"
                        "      --version   show the version and exit\n");
    free(text);
    fclose(out);
}

static void test_peek_before_parse(void **state)
{
    (void)state;
    char *argv[] = {"job", "--threads=multiple", "--thread", "funneled", "--", "--thread", "x"};
    assert_string_equal(mk_cli_peek(7, argv, "thread"), "funneled");
    assert_string_equal(mk_cli_peek(7, argv, "threads"), "multiple");
    assert_null(mk_cli_peek(7, argv, "top"));
    char *dangling[] = {"job", "--thread"};
    assert_null(mk_cli_peek(2, dangling, "thread"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peek_before_parse),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_defaults_untouched),
        cmocka_unit_test(test_long_forms),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_positionals),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_positional_counts),
        cmocka_unit_test(test_unbounded),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_help_short_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
