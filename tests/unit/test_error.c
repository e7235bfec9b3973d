/* test_error.c - setting, clearing and agreeing on errors (one rank). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/error.h"

static void test_clear(void **state)
{
    (void)state;
    mk_err err;
    memset(&err, 'x', sizeof err);
    mk_err_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");
    mk_err_clear(NULL);
}

static void test_set(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_err_set(&err, MK_EXIT_USAGE, "--%s: '%s' is not an integer", "top", "abc"), -1);
    assert_int_equal(err.code, MK_EXIT_USAGE);
    assert_string_equal(err.msg, "--top: 'abc' is not an integer");

    assert_int_equal(mk_err_set(&err, MK_EXIT_FAILURE, "%d files", 3), -1);
    assert_int_equal(err.code, MK_EXIT_FAILURE);
    assert_string_equal(err.msg, "3 files");

    /* A zero code would read as success, so it becomes a failure. */
    assert_int_equal(mk_err_set(&err, 0, "oops"), -1);
    assert_int_equal(err.code, MK_EXIT_FAILURE);
    assert_int_equal(mk_err_set(NULL, 1, "nowhere"), -1);
}

static void test_truncation(void **state)
{
    (void)state;
    char long_text[2 * MK_ERR_MSG_MAX];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    struct {
        mk_err err;
        char guard[16];
    } s;
    memset(s.guard, 'G', sizeof s.guard);
    mk_err_set(&s.err, MK_EXIT_FAILURE, "start %s", long_text);
    assert_int_equal(strlen(s.err.msg), MK_ERR_MSG_MAX - 1);
    assert_memory_equal(s.err.msg, "start aaa", 9);
    for (size_t i = 0; i < sizeof s.guard; i++)
        assert_int_equal(s.guard[i], 'G');
}

static void test_agree_none(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_err_agree(MPI_COMM_WORLD, &err), 0);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");

    /* A stale message without a code is not an error, and is cleared. */
    strcpy(err.msg, "stale");
    assert_int_equal(mk_err_agree(MPI_COMM_SELF, &err), 0);
    assert_string_equal(err.msg, "");
}

static void test_agree_error(void **state)
{
    (void)state;
    mk_err err;
    mk_err_set(&err, MK_EXIT_USAGE, "missing FILE argument");
    assert_int_equal(mk_err_agree(MPI_COMM_WORLD, &err), MK_EXIT_USAGE);
    assert_int_equal(err.code, MK_EXIT_USAGE);
    assert_string_equal(err.msg, "missing FILE argument");

    mk_err_set(&err, MK_EXIT_FAILURE, "cannot open 'x'");
    assert_int_equal(mk_err_agree(MPI_COMM_SELF, &err), MK_EXIT_FAILURE);
    assert_string_equal(err.msg, "cannot open 'x'");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_agree_none),
        cmocka_unit_test(test_agree_error),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
