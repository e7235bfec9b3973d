/* Unit tests: inputs the fuzzers of tests/fuzz/ found mishandled, kept so the bugs stay fixed.
 * Each case names the harness that found it; all of them failed before the fix. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fnmatch.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/cli.h"
#include "mpikit/table.h"
#include "mpikit/walk.h"

/* Read `len` bytes (NULs allowed) as a CSV file. */
static int read_csv_bytes(const char *bytes, size_t len, mk_frame *f, mk_err *err)
{
    char path[] = "/tmp/test_fuzz_regressions.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    mk_err_clear(err);
    int rc = mk_frame_read_csv(path, NULL, f, err);
    unlink(path);
    return rc;
}

/* fuzz_csv: "A\0\0\1\0\0\0\n" was read as a table with one column "A": the NUL cut the
 * name short before the name check. */
static void test_csv_nul_in_header(void **state)
{
    (void)state;
    static const char bad[] = {'A', 0, 0, 1, 0, 0, 0, '\n'};
    mk_frame f;
    mk_err err;
    assert_int_equal(read_csv_bytes(bad, sizeof bad, &f, &err), -1);
    /* refused by the reader's NUL check, or by the name check behind it */
    assert_true(strstr(err.msg, "NUL byte") != NULL || strstr(err.msg, "bad column name") != NULL);
    static const char bad2[] = "A\0B,C\n1,2\n";
    assert_int_equal(read_csv_bytes(bad2, sizeof bad2 - 1, &f, &err), -1);
    /* the same header without the NUL is fine */
    static const char good[] = "AB,C\n1,2\n";
    assert_int_equal(read_csv_bytes(good, sizeof good - 1, &f, &err), 0);
    assert_int_equal(f.ncols, 2);
    mk_frame_free(&f);
}

/* fuzz_csv: "x20\n0X.97698313" was accepted: strtod reads hex floats. */
static void test_csv_hex_float(void **state)
{
    (void)state;
    mk_frame f;
    mk_err err;
    /* never numbers: since CSV columns may hold text, such a column is text, kept as written */
    const char *bad[] = {"x20\n0X.97698313\n", "B\n0x1p3\n", "A\n-0x10\n", "A\n+0X1\n"};
    const char *cell[] = {"0X.97698313", "0x1p3", "-0x10", "+0X1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(read_csv_bytes(bad[i], strlen(bad[i]), &f, &err), 0);
        assert_true(mk_frame_is_text(&f, 0));
        assert_string_equal(f.strs[0][0], cell[i]);
        mk_frame_free(&f);
    }
    const char good[] = "A,B\n10,1e3\n";
    assert_int_equal(read_csv_bytes(good, sizeof good - 1, &f, &err), 0);
    assert_true(f.cols[0][0] == 10.0 && f.cols[1][0] == 1000.0);
    mk_frame_free(&f);
}

/* fuzz_cli: "0x10s" was a 16-second duration and "0X1P-2" the number 0.25. */
static void test_options_hex_float(void **state)
{
    (void)state;
    const char *bad_duration[] = {"0x10s", "0x10", "0X1p3ms", "0x.8h"};
    for (size_t i = 0; i < sizeof bad_duration / sizeof bad_duration[0]; i++) {
        double v = -1;
        assert_int_equal(mk_parse_duration(bad_duration[i], &v), -1);
        assert_true(v == -1);
    }
    const char *bad_double[] = {"0X1P-2", "0x10", "-0x1p0", "+0x1"};
    for (size_t i = 0; i < sizeof bad_double / sizeof bad_double[0]; i++) {
        double v = -1;
        assert_int_equal(mk_parse_double(bad_double[i], &v), -1);
        assert_true(v == -1);
    }
    double v = 0;
    assert_int_equal(mk_parse_duration("10s", &v), 0);
    assert_true(v == 10.0);
    assert_int_equal(mk_parse_double("-1e2", &v), 0);
    assert_true(v == -100.0);
}

/* fuzz_walk: "[[:x]" style patterns were rejected as unterminated, although "[:" opens a
 * class name only before lowercase letters and ":]" (glibc then reads '[' as a member);
 * and a backslash inside a class escapes the next byte, so "[\]" is unterminated. */
static void test_glob_class_reading(void **state)
{
    (void)state;
    mk_err err;
    /* accepted, and fnmatch reads them as classes that end at the first plain ']' */
    static const struct { const char *glob, *match, *nomatch; } good[] = {
        {"[[:digxt]]i:x", "[]i:x", "a]i:x"},
        {"[[:x]", "x", "y"},
        {"[[:]", ":", "]"},
        {"[[:zz:]", "z", "y"},
        {"[\\]]x", "]x", "\\x"},
        {"[a\\-z]", "-", "b"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        mk_err_clear(&err);
        assert_int_equal(mk_walk_glob_check(good[i].glob, &err), 0);
        assert_int_equal(fnmatch(good[i].glob, good[i].match, 0), 0);
        assert_int_equal(fnmatch(good[i].glob, good[i].nomatch, 0), FNM_NOMATCH);
    }
    /* rejected: the backslash escapes the only ']' */
    const char *bad[] = {"[\\]", "x[ab\\]", "[[:alpha:]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mk_err_clear(&err);
        assert_int_equal(mk_walk_glob_check(bad[i], &err), -1);
        assert_true(strstr(err.msg, "unterminated") != NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_nul_in_header),
        cmocka_unit_test(test_csv_hex_float),
        cmocka_unit_test(test_options_hex_float),
        cmocka_unit_test(test_glob_class_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
