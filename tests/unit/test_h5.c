/* Unit tests: the h5 module on one rank - temp-then-rename, provenance, contiguous and chunked
 * datasets, hyperslab blocks read back value by value, clear errors, nothing left on failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/h5.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_h5.XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1; /* NOLINT(cert-env33-c): a test's own fixed command */
}

static int entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r"); /* NOLINT(cert-env33-c): a test's own fixed command */
    int n = -1;
    if (fscanf(p, "%d", &n) != 1) /* NOLINT(cert-err34-c): wc -l prints one small number */
        n = -1;
    pclose(p);
    return n;
}

static void test_paths(void **state)
{
    (void)state;
    char f[64], d[64];
    assert_int_equal(mk_h5_split_spec("a.h5:/grp/x", f, sizeof f, d, sizeof d, "/x"), 0);
    assert_string_equal(f, "a.h5");
    assert_string_equal(d, "/grp/x");
    assert_int_equal(mk_h5_split_spec("a.h5", f, sizeof f, d, sizeof d, "/x"), 0);
    assert_string_equal(d, "/x");
    assert_int_equal(mk_h5_split_spec(":/x", f, sizeof f, d, sizeof d, "/x"), -1);
    assert_true(mk_h5_is_h5_path("x.h5") && mk_h5_is_h5_path("x.hdf5"));
    assert_false(mk_h5_is_h5_path("x.csv") || mk_h5_is_h5_path(".h5"));
}

static void test_write_read_blocks(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/a.h5", dir);
    mk_h5 h;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_h5_create(&h, MPI_COMM_WORLD, path, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), -1); /* only the temporary exists until commit */
    char *argv[] = {"prog", "--flag", "value"};
    assert_int_equal(mk_h5_provenance(&h, "prog", 3, argv, &err), 0);
    assert_int_equal(mk_h5_attr_f64(&h, "/", "pi", 3.25, &err), 0);
    enum { R = 7, C = 5 };
    uint64_t dims[2] = {R, C}, chunk[2] = {3, 100};
    hid_t d;
    assert_int_equal(mk_h5_dataset_create(&h, "/g/x", H5T_IEEE_F64LE, 2, dims, chunk, &d, &err), 0);
    double x[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = i + 0.5;
    /* three blocks covering the array: rows 0-2, then two column halves of rows 3-6 */
    uint64_t s1[2] = {0, 0}, c1[2] = {3, C};
    assert_int_equal(mk_h5_write_block(&h, d, H5T_NATIVE_DOUBLE, s1, c1, x, &err), 0);
    double left[4 * 2], right[4 * 3];
    for (int i = 0; i < 4; i++) {
        memcpy(left + i * 2, x + (3 + i) * C, 2 * sizeof(double));
        memcpy(right + i * 3, x + (3 + i) * C + 2, 3 * sizeof(double));
    }
    uint64_t s2[2] = {3, 0}, c2[2] = {4, 2}, s3[2] = {3, 2}, c3[2] = {4, 3}, s0[2] = {0, 0}, c0[2] = {0, 0};
    assert_int_equal(mk_h5_write_block(&h, d, H5T_NATIVE_DOUBLE, s2, c2, left, &err), 0);
    assert_int_equal(mk_h5_write_block(&h, d, H5T_NATIVE_DOUBLE, s3, c3, right, &err), 0);
    assert_int_equal(mk_h5_write_block(&h, d, H5T_NATIVE_DOUBLE, s0, c0, NULL, &err), 0); /* empty share */
    H5Dclose(d);
    uint64_t n1[1] = {R};
    assert_int_equal(mk_h5_dataset_create(&h, "/ints", H5T_STD_I64LE, 1, n1, NULL, &d, &err), 0);
    int64_t v[R] = {1, -2, 3, -4, 5, -6, 7};
    assert_int_equal(mk_h5_write_rows(&h, d, H5T_NATIVE_INT64, 0, 4, v, &err), 0);
    assert_int_equal(mk_h5_write_rows(&h, d, H5T_NATIVE_INT64, 4, 3, v + 4, &err), 0);
    H5Dclose(d);
    assert_int_equal(mk_h5_commit(&h, "/g/x", &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(entries(), 1);

    assert_int_equal(mk_h5_open(&h, MPI_COMM_WORLD, path, &err), 0);
    uint64_t got_dims[2];
    assert_int_equal(mk_h5_dataset_open(&h, "/g/x", MK_H5_FLOAT, 2, got_dims, &d, &err), 0);
    assert_int_equal(got_dims[0], R);
    assert_int_equal(got_dims[1], C);
    double back[R * C];
    assert_int_equal(mk_h5_read_rows(&h, d, H5T_NATIVE_DOUBLE, 0, R, back, &err), 0);
    assert_memory_equal(back, x, sizeof x);
    double mid[2 * 3];
    uint64_t sm[2] = {2, 1}, cm[2] = {2, 3};
    assert_int_equal(mk_h5_read_block(&h, d, H5T_NATIVE_DOUBLE, sm, cm, mid, &err), 0);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            assert_true(mid[i * 3 + j] == x[(2 + i) * C + 1 + j]);
    H5Dclose(d);
    assert_int_equal(mk_h5_dataset_open(&h, "/ints", MK_H5_NUMERIC, 1, got_dims, &d, &err), 0);
    double vd[R];
    assert_int_equal(mk_h5_read_rows(&h, d, H5T_NATIVE_DOUBLE, 0, R, vd, &err), 0);
    for (int i = 0; i < R; i++)
        assert_true(vd[i] == (double)v[i]);
    H5Dclose(d);
    double pi;
    assert_int_equal(mk_h5_attr_get_f64(&h, "/", "pi", &pi, &err), 0);
    assert_true(pi == 3.25);
    assert_int_equal(mk_h5_attr_get_f64(&h, "/", "ranks", &pi, &err), 0);
    assert_true(pi == 1);

    /* errors: missing dataset, wrong class, wrong rank */
    assert_int_equal(mk_h5_dataset_open(&h, "/nope", MK_H5_NUMERIC, 1, got_dims, &d, &err), -1);
    assert_non_null(strstr(err.msg, "no dataset '/nope' in"));
    assert_int_equal(mk_h5_dataset_open(&h, "/ints", MK_H5_FLOAT, 1, got_dims, &d, &err), -1);
    assert_non_null(strstr(err.msg, "has integer values, expected floating-point"));
    assert_int_equal(mk_h5_dataset_open(&h, "/g/x", MK_H5_NUMERIC, 1, got_dims, &d, &err), -1);
    assert_non_null(strstr(err.msg, "has shape [7x5] (2-D), expected 1-D"));
    assert_int_equal(mk_h5_dataset_open(&h, "/g/missing/deeper", MK_H5_NUMERIC, 1, got_dims, &d, &err), -1);
    mk_h5_close(&h);
}

static void test_open_errors(void **state)
{
    (void)state;
    mk_h5 h;
    mk_err err;
    char path[128];
    mk_err_clear(&err);
    snprintf(path, sizeof path, "%s/missing.h5", dir);
    assert_int_equal(mk_h5_open(&h, MPI_COMM_WORLD, path, &err), -1);
    assert_non_null(strstr(err.msg, "No such file or directory"));
    snprintf(path, sizeof path, "%s/text.h5", dir);
    FILE *fp = fopen(path, "w");
    fputs("hello\n", fp);
    fclose(fp);
    mk_err_clear(&err);
    assert_int_equal(mk_h5_open(&h, MPI_COMM_WORLD, path, &err), -1);
    assert_non_null(strstr(err.msg, "is not an HDF5 file"));
    unlink(path);
    mk_err_clear(&err);
    assert_int_equal(mk_h5_open(&h, MPI_COMM_WORLD, dir, &err), -1);
    assert_non_null(strstr(err.msg, "is a directory"));
}

static void test_abandon_and_unwritable(void **state)
{
    (void)state;
    int before = entries();
    mk_h5 h;
    mk_err err;
    char path[128];
    mk_err_clear(&err);
    snprintf(path, sizeof path, "%s/b.h5", dir);
    assert_int_equal(mk_h5_create(&h, MPI_COMM_WORLD, path, &err), 0);
    assert_int_equal(entries(), before + 1);
    mk_h5_abandon(&h);
    assert_int_equal(entries(), before);
    snprintf(path, sizeof path, "%s/no/such/dir/c.h5", dir);
    assert_int_equal(mk_h5_create(&h, MPI_COMM_WORLD, path, &err), -1);
    assert_non_null(strstr(err.msg, "cannot write"));
    assert_int_equal(entries(), before);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mk_h5_quiet(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_write_read_blocks),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_abandon_and_unwritable),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    MPI_Finalize();
    return failed;
}
