/* test_outfile.c - stale temporaries and the disk reserve of src/outfile.c (no MPI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "mpikit/outfile.h"

/* Create dir/name holding "x", its mtime `age` seconds ago. */
static void make_file(const char *dir, const char *name, int age)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age;
    tv[1] = tv[0];
    assert_int_equal(utimes(p, tv), 0);
}

static int exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return lstat(p, &st) == 0;
}

static void test_remove_stale(void **state)
{
    (void)state;
    char dir[] = "/tmp/mpikit-outfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    make_file(dir, "out.h5.tmp-AbC123", 60);  /* a killed run's: removed */
    make_file(dir, "out.h5.tmp-zz9900", 60);  /* removed */
    make_file(dir, "out.h5.tmp-Fresh1", 0);   /* too young: maybe between mkstemp and lock */
    make_file(dir, "out.h5.tmp-Live00", 60);  /* held by a live writer */
    make_file(dir, "out.h5.tmp-AbC1234", 60); /* not mkstemp's pattern */
    make_file(dir, "other.h5.tmp-AbC123", 60); /* another output's */
    make_file(dir, "out.h5", 60);
    char live[512], link[512];
    snprintf(live, sizeof live, "%s/out.h5.tmp-Live00", dir);
    int fd = open(live, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(mk_outfile_lock(fd), 0);
    snprintf(link, sizeof link, "%s/out.h5.tmp-Link00", dir);
    assert_int_equal(symlink("out.h5", link), 0); /* never followed, never removed */

    char out[512];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    assert_int_equal(mk_outfile_remove_stale(out), 2);
    assert_false(exists(dir, "out.h5.tmp-AbC123"));
    assert_false(exists(dir, "out.h5.tmp-zz9900"));
    assert_true(exists(dir, "out.h5.tmp-Fresh1"));
    assert_true(exists(dir, "out.h5.tmp-Live00"));
    assert_true(exists(dir, "out.h5.tmp-AbC1234"));
    assert_true(exists(dir, "other.h5.tmp-AbC123"));
    assert_true(exists(dir, "out.h5.tmp-Link00"));
    assert_true(exists(dir, "out.h5"));

    /* once its writer is gone, the live one is stale too */
    close(fd);
    assert_int_equal(mk_outfile_remove_stale(out), 1);
    assert_false(exists(dir, "out.h5.tmp-Live00"));

    const char *left[] = {"out.h5.tmp-Fresh1", "out.h5.tmp-AbC1234", "other.h5.tmp-AbC123", "out.h5.tmp-Link00",
                          "out.h5"};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, left[i]);
        assert_int_equal(unlink(p), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void test_reserve(void **state)
{
    (void)state;
    char dir[] = "/tmp/mpikit-outfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[512];
    snprintf(out, sizeof out, "%s/out.h5", dir);
    mk_err err;
    mk_err_clear(&err);
    int fd = -2;
    assert_int_equal(mk_outfile_reserve(out, 65536, &fd, &err), 0);
    assert_int_equal(err.code, 0);
    if (fd >= 0) { /* an unnamed file holding the space, nothing in the directory */
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(st.st_blocks * 512 >= 65536);
        close(fd);
    } else {
        assert_int_equal(fd, -1); /* no O_TMPFILE here: nothing reserved, no error */
    }
    assert_int_equal(rmdir(dir), 0); /* empty */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_stale),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
