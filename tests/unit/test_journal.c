/* test_journal.c - task journals (mk_journal_*: a fresh start, a resume, batching, a torn last
 * record, damage and another task set refused) and the map's stop flag (mk_pool_map returns 1
 * on every rank, tasks not started). Runs as one rank under tests/run.sh; every check also
 * holds under mpirun at any size (rank 0 makes the directory and tells the others). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/checkpoint.h"
#include "mpikit/pool.h"

enum { N = 10, SIZE = 8 };

static char dir[256];

static int rank(void)
{
    int r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

static void path_of(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static void identity_of(mk_blob *id, uint64_t salt)
{
    mk_blob_init(id);
    mk_blob_put(id, "test 1", 6);
    mk_blob_put_u64(id, salt);
}

/* Open PATH for N items; returns the call's result, fills done/results/ndone/found. */
static int open_journal(const char *path, uint64_t salt, unsigned char *done, unsigned char *results,
                        uint64_t *ndone, int *found, mk_journal *j, mk_err *err)
{
    mk_blob id;
    identity_of(&id, salt);
    mk_err_clear(err);
    int rc = mk_journal_open(MPI_COMM_WORLD, path, &id, N, SIZE, done, results, ndone, found, j, err);
    mk_blob_free(&id);
    return rc;
}

static void payload(uint64_t item, unsigned char *p)
{
    for (int k = 0; k < SIZE; k++)
        p[k] = (unsigned char)(item * 16 + (uint64_t)k);
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Every rank journals items rank, rank + P, ... below `upto`; a reopen finds them all. */
static void test_resume_finds_every_rank_s_items(void **state)
{
    (void)state;
    char path[300];
    path_of(path, sizeof path, "a.ckpt");
    int P;
    MPI_Comm_size(MPI_COMM_WORLD, &P);
    unsigned char done[N], results[N * SIZE], p[SIZE];
    uint64_t ndone = 99;
    int found = 1;
    mk_journal j;
    mk_err err;
    assert_int_equal(open_journal(path, 1, done, results, &ndone, &found, &j, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(ndone, 0);
    for (uint64_t i = (uint64_t)rank(); i < 7; i += (uint64_t)P) {
        payload(i, p);
        assert_int_equal(mk_journal_add(&j, i, p, &err), 0);
    }
    assert_int_equal(mk_journal_sync(&j, &err), 0);
    mk_journal_close(&j);
    MPI_Barrier(MPI_COMM_WORLD);

    memset(results, 0, sizeof results);
    assert_int_equal(open_journal(path, 1, done, results, &ndone, &found, &j, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(ndone, 7);
    for (uint64_t i = 0; i < N; i++) {
        assert_int_equal(done[i], i < 7);
        if (rank() == 0 && i < 7) {
            payload(i, p);
            assert_memory_equal(results + i * SIZE, p, SIZE);
        }
    }
    /* the reopen merged everything into PATH: a third open still sees it, with empty journals */
    mk_journal_close(&j);
    MPI_Barrier(MPI_COMM_WORLD);
    assert_int_equal(open_journal(path, 1, done, results, &ndone, &found, &j, &err), 0);
    assert_int_equal(ndone, 7);
    mk_journal_close(&j);
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
    char own[320];
    snprintf(own, sizeof own, "%s.rank%d", path, rank());
    assert_int_equal(size_of(path), -1);
    assert_int_equal(size_of(own), -1);
}

/* every = 3: records stay in memory until three are pending; close writes the rest. */
static void test_batched_writes(void **state)
{
    (void)state;
    char path[300], own[320];
    path_of(path, sizeof path, "b.ckpt");
    snprintf(own, sizeof own, "%s.rank%d", path, rank());
    unsigned char done[N], results[N * SIZE], p[SIZE] = {0};
    uint64_t ndone;
    int found;
    mk_journal j;
    mk_err err;
    assert_int_equal(open_journal(path, 2, done, results, &ndone, &found, &j, &err), 0);
    j.every = 3;
    j.every_seconds = 1e9;
    off_t head = size_of(own);
    assert_int_equal(mk_journal_add(&j, 0, p, &err), 0);
    assert_int_equal(mk_journal_add(&j, 1, p, &err), 0);
    assert_int_equal(size_of(own), head);
    assert_int_equal(mk_journal_add(&j, 2, p, &err), 0);
    assert_int_equal(size_of(own), head + 3 * (16 + SIZE));
    assert_int_equal(mk_journal_add(&j, 3, p, &err), 0);
    mk_journal_close(&j);
    assert_int_equal(size_of(own), head + 4 * (16 + SIZE));
    MPI_Barrier(MPI_COMM_WORLD);
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
}

/* A torn last record (a kill during a write) is skipped; a bad record elsewhere is damage. */
static void test_torn_tail_and_damage(void **state)
{
    (void)state;
    char path[300], own[320];
    path_of(path, sizeof path, "c.ckpt");
    snprintf(own, sizeof own, "%s.rank%d", path, rank());
    unsigned char done[N], results[N * SIZE], p[SIZE];
    uint64_t ndone;
    int found;
    mk_journal j;
    mk_err err;
    assert_int_equal(open_journal(path, 3, done, results, &ndone, &found, &j, &err), 0);
    for (uint64_t i = 0; i < 3; i++) { /* rank 0 journals 0, 1, 2 */
        payload(i, p);
        if (rank() == 0)
            assert_int_equal(mk_journal_add(&j, i, p, &err), 0);
    }
    mk_journal_close(&j);
    off_t full = size_of(own);
    if (rank() == 0)
        assert_int_equal(truncate(own, full - 3), 0);
    MPI_Barrier(MPI_COMM_WORLD);
    assert_int_equal(open_journal(path, 3, done, results, &ndone, &found, &j, &err), 0);
    assert_int_equal(ndone, 2);
    assert_int_equal(done[2], 0);
    payload(5, p);
    if (rank() == 0) {
        assert_int_equal(mk_journal_add(&j, 5, p, &err), 0);
        assert_int_equal(mk_journal_add(&j, 6, p, &err), 0);
    }
    mk_journal_close(&j);
    if (rank() == 0) { /* flip a byte of the first record's payload */
        FILE *f = fopen(own, "r+b");
        assert_non_null(f);
        assert_int_equal(fseek(f, 32 + 8, SEEK_SET), 0);   /* 32-byte header, 8-byte item */
        fputc(0xee, f);
        fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    assert_int_equal(open_journal(path, 3, done, results, &ndone, &found, &j, &err), -1);
    assert_int_equal(err.code, MK_EXIT_FAILURE);
    assert_non_null(strstr(err.msg, "is damaged at record 0"));
    /* another task set: refused as a usage error, before any journal is read */
    assert_int_equal(open_journal(path, 4, done, results, &ndone, &found, &j, &err), -1);
    assert_int_equal(err.code, MK_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "made by a different run"));
    MPI_Barrier(MPI_COMM_WORLD);
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
}

/* ---- the map's stop flag ---- */

typedef struct {
    volatile sig_atomic_t *flag;
    uint64_t stop_at;   /* the task that sets the flag (as a signal would) */
    uint64_t calls;
} stop_ctx;

static int stopping_task(uint64_t item, void *result, void *ctx)
{
    stop_ctx *c = ctx;
    c->calls++;
    if (item == c->stop_at)
        *c->flag = 1;
    memcpy(result, &item, sizeof item);
    return 0;
}

static void test_stop_flag(void **state)
{
    (void)state;
    const mk_schedule scheds[] = {MK_SCHED_STATIC, MK_SCHED_CYCLIC, MK_SCHED_DYNAMIC};
    uint64_t out[40];
    for (int s = 0; s < 3; s++) {
        for (int before = 0; before < 2; before++) {
            volatile sig_atomic_t flag = before;
            stop_ctx c = {&flag, 2, 0};
            mk_pool_options opt;
            mk_pool_options_init(&opt);
            opt.schedule = scheds[s];
            opt.chunksize = 1;
            opt.stop_flag = &flag;
            mk_pool_result res;
            mk_err err;
            int rc = mk_pool_map(MPI_COMM_WORLD, 40, sizeof(uint64_t), stopping_task, &c, &opt, out, &res, &err);
            assert_int_equal(rc, 1);   /* on every rank */
            assert_int_equal(err.code, 0);
            if (before)
                assert_int_equal(c.calls, 0);
            if (rank() == 0) {
                uint64_t total = 0;
                for (int r = 0; r < res.nranks; r++)
                    total += res.ranks[r].tasks;
                assert_true(total < 40);   /* the stop cut the map short */
            }
            mk_pool_result_free(&res);
        }
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (rank() == 0) {
        snprintf(dir, sizeof dir, "%s/mk-journal-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (mkdtemp(dir) == NULL)
            dir[0] = '\0';
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_finds_every_rank_s_items),
        cmocka_unit_test(test_batched_writes),
        cmocka_unit_test(test_torn_tail_and_damage),
        cmocka_unit_test(test_stop_flag),
    };
    int failed = dir[0] != '\0' ? cmocka_run_group_tests(tests, NULL, NULL) : 1;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank() == 0)
        rmdir(dir);
    MPI_Finalize();
    return failed;
}
