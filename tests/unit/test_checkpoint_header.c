/* Unit tests: a checkpoint whose metadata file is shorter than its header (empty, cut inside the
 * magic: not a checkpoint; cut inside the generation: damaged) is refused with one clear error,
 * never read past its end (an empty file used to crash mk_checkpoint_load); a whole one still
 * loads. Every other offset and length: test_checkpoint_integrity.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/checkpoint.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_checkpoint_header.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/ckpt", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
    return rmdir(dir);
}

/* Save identity "run-1" and state "12345678", then cut the metadata file to `keep` bytes. */
static void save_and_cut(long keep)
{
    mk_blob id, mine;
    mk_blob_init(&id);
    mk_blob_init(&mine);
    mk_blob_put(&id, "run-1", 5);
    mk_blob_put(&mine, "12345678", 8);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_checkpoint_save(MPI_COMM_WORLD, path, &id, &mine, &err), 0);
    if (keep >= 0)
        assert_int_equal(truncate(path, keep), 0);
    mk_blob_free(&id);
    mk_blob_free(&mine);
}

static int load(mk_blob *mine, int *found, mk_err *err)
{
    mk_blob id;
    mk_blob_init(&id);
    mk_blob_put(&id, "run-1", 5);
    mk_blob_init(mine);
    *found = -1;
    mk_err_clear(err);
    int rc = mk_checkpoint_load(MPI_COMM_WORLD, path, &id, mine, found, err);
    mk_blob_free(&id);
    return rc;
}

static void test_whole_header_loads(void **state)
{
    (void)state;
    save_and_cut(-1);
    mk_blob mine;
    mk_err err;
    int found;
    assert_int_equal(load(&mine, &found, &err), 0);
    assert_int_equal(found, 1);
    char got[8];
    mk_blob_get(&mine, got, sizeof got);
    assert_int_equal(mine.bad, 0);
    assert_memory_equal(got, "12345678", 8);
    assert_int_equal(mine.pos, mine.len);
    mk_blob_free(&mine);
}

static void test_short_headers_are_refused(void **state)
{
    (void)state;
    const long cuts[] = {0, 1, 7, 8, 9, 15};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        save_and_cut(cuts[i]);
        mk_blob mine;
        mk_err err;
        int found;
        assert_int_equal(load(&mine, &found, &err), -1);
        assert_int_equal(err.code, 1);
        assert_non_null(strstr(err.msg, cuts[i] < 8 ? "is not an mpikit checkpoint" : "is damaged"));
        mk_blob_free(&mine);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_header_loads),
        cmocka_unit_test(test_short_headers_are_refused),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    MPI_Finalize();
    return failed;
}
