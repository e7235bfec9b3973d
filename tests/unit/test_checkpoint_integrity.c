/* test_checkpoint_integrity.c - every byte of every checkpoint file is authenticated (issue 13):
 * a small checkpoint (mk_checkpoint_*: PATH and PATH.rank0) and a small task journal
 * (mk_journal_*: PATH and PATH.rank0) are saved, then each file in turn gets every byte
 * overwritten (one bit, and all eight), is cut at every length and has a byte appended; every
 * such file is refused with an error naming it, and the saved state is never half-loaded. The
 * one exception is by design: a rank journal cut after its header loses exactly the records
 * the cut removed (a kill mid-write looks the same) and keeps every whole one before it.
 * One rank (tests/run.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/checkpoint.h"

enum { N = 6, SIZE = 5, DONE = 4 };   /* journal: N items of SIZE bytes, the first DONE done */

static char dir[256];

/* ---- whole files: read, write back, and the three kinds of damage ---- */

static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    assert_true(n < cap);
    fclose(f);
    return n;
}

static void spill(const char *path, const unsigned char *buf, size_t n)
{
    /* unlink first: the library may have replaced the file, and a saved copy is wanted back */
    unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A damaged copy of the n bytes in orig: kind 0 xors byte `at` with `mask`, kind 1 keeps the
 * first `at` bytes, kind 2 appends one byte. Returns its length. */
static size_t damage(const unsigned char *orig, size_t n, int kind, size_t at, unsigned mask, unsigned char *out)
{
    memcpy(out, orig, n);
    if (kind == 0) {
        out[at] ^= (unsigned char)mask;
        return n;
    }
    if (kind == 1)
        return at;
    out[n] = 0;
    return n + 1;
}

/* ---- checkpoints (wordcount's) ---- */

static void identity(mk_blob *id)
{
    mk_blob_init(id);
    mk_blob_put(id, "run-1", 5);
}

static void save(const char *path)
{
    mk_blob id, mine;
    identity(&id);
    mk_blob_init(&mine);
    mk_blob_put_u64(&mine, 0x1122334455667788ull);
    mk_blob_put(&mine, "state", 5);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_checkpoint_save(MPI_COMM_WORLD, path, &id, &mine, &err), 0);
    mk_blob_free(&id);
    mk_blob_free(&mine);
}

/* Load PATH: 0 with the saved state read back whole, or -1 with err set. */
static int load(const char *path, mk_err *err)
{
    mk_blob id, mine;
    identity(&id);
    mk_blob_init(&mine);
    int found = -1;
    mk_err_clear(err);
    int rc = mk_checkpoint_load(MPI_COMM_WORLD, path, &id, &mine, &found, err);
    if (rc == 0) {
        assert_int_equal(found, 1);
        char got[5];
        assert_int_equal(mk_blob_get_u64(&mine), 0x1122334455667788ull);
        mk_blob_get(&mine, got, sizeof got);
        assert_int_equal(mine.bad, 0);
        assert_memory_equal(got, "state", 5);
        assert_int_equal(mine.pos, mine.len);   /* no checksum or other bytes left over as "state" */
    }
    mk_blob_free(&id);
    mk_blob_free(&mine);
    return rc;
}

static void assert_refused_naming(int rc, const mk_err *err, const char *file)
{
    if (rc != -1 || err->code != MK_EXIT_FAILURE || strstr(err->msg, file) == NULL)
        fail_msg("accepted or unclear: rc %d, code %d, '%s' (file %s)", rc, err->code, err->msg, file);
}

static void test_checkpoint_every_byte(void **state)
{
    (void)state;
    char path[300], own[320];
    snprintf(path, sizeof path, "%s/ck", dir);
    snprintf(own, sizeof own, "%s.rank0", path);
    save(path);
    mk_err err;
    assert_int_equal(load(path, &err), 0);
    const char *files[2] = {path, own};
    unsigned char orig[2][512], bad[513];
    size_t len[2];
    for (int f = 0; f < 2; f++)
        len[f] = slurp(files[f], orig[f], sizeof orig[f]);
    size_t cases = 0;
    for (int f = 0; f < 2; f++) {
        for (int kind = 0; kind < 3; kind++) {
            size_t last = kind == 2 ? 1 : len[f];
            for (size_t at = 0; at < last; at++) {
                for (unsigned mask = 1; mask <= (kind == 0 ? 0x100u : 1u); mask = mask == 1 ? 0x80 : mask << 1) {
                    unsigned m = mask == 0x100 ? 0xff : mask;   /* the lowest bit, the highest, all */
                    size_t n = damage(orig[f], len[f], kind, at, m, bad);
                    spill(files[f], bad, n);
                    assert_refused_naming(load(path, &err), &err, files[f]);
                    spill(files[f], orig[f], len[f]);
                    cases++;
                }
            }
        }
    }
    print_message("checkpoint: %zu damaged files refused (%zu + %zu bytes)\n", cases, len[0], len[1]);
    assert_int_equal(load(path, &err), 0);   /* the originals still load */
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
}

/* ---- task journals (pool's) ---- */

static void journal_identity(mk_blob *id)
{
    mk_blob_init(id);
    mk_blob_put(id, "tasks", 5);
}

static void result_of(uint64_t item, unsigned char *r)
{
    for (int k = 0; k < SIZE; k++)
        r[k] = (unsigned char)(0xa0 + item * 8 + (uint64_t)k);
}

/* Open PATH's journal: returns the call's result; done/results/ndone filled. */
static int open_journal(const char *path, unsigned char *done, unsigned char *results, uint64_t *ndone,
                        mk_journal *j, mk_err *err)
{
    mk_blob id;
    journal_identity(&id);
    int found;
    mk_err_clear(err);
    memset(results, 0, N * SIZE);
    int rc = mk_journal_open(MPI_COMM_WORLD, path, &id, N, SIZE, done, results, ndone, &found, j, err);
    mk_blob_free(&id);
    return rc;
}

/* A journal whose PATH holds item 0 (merged by a reopen) and whose rank journal holds items
 * 1 .. DONE-1, one record each. */
static void make_journal(const char *path)
{
    unsigned char done[N], results[N * SIZE], r[SIZE];
    uint64_t ndone;
    mk_journal j;
    mk_err err;
    assert_int_equal(open_journal(path, done, results, &ndone, &j, &err), 0);
    result_of(0, r);
    assert_int_equal(mk_journal_add(&j, 0, r, &err), 0);
    mk_journal_close(&j);
    assert_int_equal(open_journal(path, done, results, &ndone, &j, &err), 0);
    assert_int_equal(ndone, 1);
    for (uint64_t i = 1; i < DONE; i++) {
        result_of(i, r);
        assert_int_equal(mk_journal_add(&j, i, r, &err), 0);
    }
    mk_journal_close(&j);
}

/* Reopen: -1 (refused), or the number of items found; each found one must carry its result. */
static int reopen(const char *path, mk_err *err)
{
    unsigned char done[N], results[N * SIZE], r[SIZE];
    uint64_t ndone;
    mk_journal j;
    if (open_journal(path, done, results, &ndone, &j, err) != 0)
        return -1;
    mk_journal_close(&j);
    uint64_t count = 0;
    for (uint64_t i = 0; i < N; i++) {
        if (!done[i])
            continue;
        count++;
        result_of(i, r);
        assert_memory_equal(results + i * SIZE, r, SIZE);
    }
    assert_int_equal(count, ndone);
    return (int)count;
}

static void test_journal_every_byte(void **state)
{
    (void)state;
    char path[300], own[320];
    snprintf(path, sizeof path, "%s/jk", dir);
    snprintf(own, sizeof own, "%s.rank0", path);
    make_journal(path);
    const char *files[2] = {path, own};
    unsigned char orig[2][512], bad[513];
    size_t len[2];
    for (int f = 0; f < 2; f++)
        len[f] = slurp(files[f], orig[f], sizeof orig[f]);
    const size_t head = 32, record = 16 + SIZE;
    assert_int_equal(len[1], head + (DONE - 1) * record);
    mk_err err;
    size_t cases = 0, torn = 0;
    for (int f = 0; f < 2; f++) {
        for (int kind = 0; kind < 3; kind++) {
            size_t last = kind == 2 ? 1 : len[f];
            for (size_t at = 0; at < last; at++) {
                for (unsigned mask = 1; mask <= (kind == 0 ? 0x100u : 1u); mask = mask == 1 ? 0x80 : mask << 1) {
                    unsigned m = mask == 0x100 ? 0xff : mask;
                    size_t n = damage(orig[f], len[f], kind, at, m, bad);
                    spill(files[0], orig[0], len[0]);   /* a wrong acceptance rewrites both */
                    spill(files[1], orig[1], len[1]);
                    spill(files[f], bad, n);
                    int got = reopen(path, &err);
                    cases++;
                    if (f == 1 && kind != 0 && (kind == 2 || at >= head)) {
                        /* a rank journal cut after its header (or with a torn byte after its
                         * last record): the whole records before the cut, no more, no less */
                        size_t whole = kind == 2 ? DONE - 1 : (at - head) / record;
                        assert_int_equal(got, 1 + (int)whole);
                        torn++;
                    } else {
                        assert_refused_naming(got, &err, files[f]);
                    }
                }
            }
        }
    }
    print_message("journal: %zu damaged files, %zu refused, %zu torn tails kept to their whole records\n", cases,
                  cases - torn, torn);
    spill(files[0], orig[0], len[0]);
    spill(files[1], orig[1], len[1]);
    assert_int_equal(reopen(path, &err), DONE);
    mk_checkpoint_remove(MPI_COMM_WORLD, path);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    snprintf(dir, sizeof dir, "%s/mk-ckint-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_every_byte),
        cmocka_unit_test(test_journal_every_byte),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(dir);
    MPI_Finalize();
    return failed;
}
