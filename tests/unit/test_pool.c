/* test_pool.c - the parallel map: every item exactly once, results in order, chunk edge cases,
 * n < ranks, n = 0, a failing task reported on every rank without a hang, progress, the log.
 * Runs as one rank under tests/run.sh, and under mpirun at 2, 3, 4, 7 ranks from
 * tests/jobs/pool.sh (every rank runs the same cases; the checks hold at any size).
 * The schedule arithmetic is tested directly by including the module (its helpers are static). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/pool.c" /* NOLINT(bugprone-suspicious-include): tests its static functions */

typedef struct {
    uint64_t *calls;      /* per item, on this rank */
    uint64_t fail_at;     /* item that fails, or UINT64_MAX */
    int fail_code;
} task_ctx;

static int square_task(uint64_t item, void *result, void *ctx)
{
    task_ctx *c = ctx;
    c->calls[item]++;
    if (item == c->fail_at)
        return c->fail_code;
    uint64_t v = item * item + 1;
    memcpy(result, &v, sizeof v);
    return 0;
}

static int world_rank(void)
{
    int r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

static int world_size(void)
{
    int p;
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    return p;
}

/* Map n items, then check: every item ran exactly once over all ranks, results in order on
 * rank 0, statistics add up, the log names every item once. */
static void check_map(uint64_t n, mk_schedule sched, uint64_t chunk, int manager_computes)
{
    task_ctx c = {calloc(n + 1, sizeof(uint64_t)), UINT64_MAX, 0};
    uint64_t *out = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(c.calls);
    assert_non_null(out);
    mk_pool_options opt;
    mk_pool_options_init(&opt);
    opt.schedule = sched;
    opt.chunksize = chunk;
    opt.manager_computes = manager_computes;
    opt.record_log = 1;
    mk_pool_result res;
    mk_err err;
    int rc = mk_pool_map(MPI_COMM_WORLD, n, sizeof(uint64_t), square_task, &c, &opt,
                         world_rank() == 0 ? out : NULL, &res, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(err.code, 0);
    uint64_t *total = calloc(n + 1, sizeof(uint64_t));
    assert_non_null(total);
    MPI_Allreduce(c.calls, total, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(total[i], 1);
    assert_int_equal(res.nranks, world_size());
    if (world_rank() == 0) {
        for (uint64_t i = 0; i < n; i++)
            assert_int_equal(out[i], i * i + 1);
        assert_non_null(res.ranks);
        uint64_t tasks = 0;
        for (int r = 0; r < res.nranks; r++) {
            tasks += res.ranks[r].tasks;
            assert_true(res.ranks[r].busy_seconds >= 0);
            assert_true(res.ranks[r].idle_seconds >= -1e-6);
        }
        assert_int_equal(tasks, n);
        if (sched == MK_SCHED_DYNAMIC && !manager_computes && res.nranks > 1)
            assert_int_equal(res.ranks[0].tasks, 0);
        assert_int_equal(res.nlog, n);
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(res.log[i].item, i);
            assert_in_range(res.log[i].rank, 0, res.nranks - 1);
            assert_true(res.log[i].end >= res.log[i].start);
        }
        if (sched == MK_SCHED_STATIC)
            for (uint64_t i = 0; i < n; i++)
                assert_int_equal(res.log[i].rank, mk_block_owner(n, res.nranks, i));
        if (sched == MK_SCHED_CYCLIC)
            for (uint64_t i = 0; i < n; i++)
                assert_int_equal(res.log[i].rank, (int)(i % (uint64_t)res.nranks));
    } else {
        assert_null(res.ranks);
        assert_null(res.log);
    }
    assert_true(res.seconds >= 0);
    mk_pool_result_free(&res);
    free(total);
    free(out);
    free(c.calls);
}

static const uint64_t sizes[] = {0, 1, 2, 3, 5, 7, 8, 13, 100, 1001};

static void test_static_every_item_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_map(sizes[i], MK_SCHED_STATIC, 0, 1);
}

static void test_cyclic_every_item_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_map(sizes[i], MK_SCHED_CYCLIC, 0, 1);
}

static void test_dynamic_every_item_once(void **state)
{
    (void)state;
    const uint64_t chunks[] = {0, 1, 2, 3, 7, 1000, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++)
            for (int mc = 0; mc <= 1; mc++)
                check_map(sizes[i], MK_SCHED_DYNAMIC, chunks[j], mc);
}

/* The schedule arithmetic, for rank counts this process cannot start: every item once. */
static void test_schedule_arithmetic(void **state)
{
    (void)state;
    for (int p = 1; p <= 9; p++) {
        for (uint64_t n = 0; n <= 40; n++) {
            unsigned seen_cyclic[41] = {0};
            uint64_t total = 0;
            for (int r = 0; r < p; r++) {
                uint64_t c = cyclic_count(n, p, r);
                total += c;
                for (uint64_t j = 0; j < c; j++)
                    seen_cyclic[(uint64_t)r + j * (uint64_t)p]++;
            }
            assert_int_equal(total, n);
            for (uint64_t i = 0; i < n; i++)
                assert_int_equal(seen_cyclic[i], 1);
            /* dynamic: the implicit first chunks of the workers, then rank 0 hands out the rest */
            for (uint64_t chunk = 1; chunk <= 6 && p > 1; chunk++) {
                unsigned seen[41] = {0};
                uint64_t end = 0;
                for (int r = 1; r < p; r++) {
                    mk_range g = dynamic_first_chunk(n, chunk, r);
                    assert_true(g.count <= chunk);
                    for (uint64_t j = 0; j < g.count; j++)
                        seen[g.start + j]++;
                    if (g.count > 0)
                        end = g.start + g.count;
                }
                uint64_t first = (uint64_t)(p - 1) * chunk;
                assert_int_equal(end, first < n ? first : n);
                for (uint64_t i = 0; i < end; i++)
                    assert_int_equal(seen[i], 1);
            }
        }
    }
}

static void test_chunksize_choice(void **state)
{
    (void)state;
    /* Pool.map's rule: ceil(n / (4 * workers)), at least 1; an explicit size wins. */
    assert_int_equal(choose_chunksize(0, 0, 4), 1);
    assert_int_equal(choose_chunksize(1, 0, 4), 1);
    assert_int_equal(choose_chunksize(16, 0, 4), 1);
    assert_int_equal(choose_chunksize(17, 0, 4), 2);
    assert_int_equal(choose_chunksize(1000, 0, 2), 125);
    assert_int_equal(choose_chunksize(1000, 0, 0), 250);
    assert_int_equal(choose_chunksize(1000, 7, 2), 7);
}

static void test_n_zero_touches_nothing(void **state)
{
    (void)state;
    uint64_t sentinel = 42;
    mk_err err;
    task_ctx c = {&sentinel, UINT64_MAX, 0};
    for (int s = 0; s <= 2; s++) {
        mk_pool_options opt;
        mk_pool_options_init(&opt);
        opt.schedule = (mk_schedule)s;
        assert_int_equal(mk_pool_map(MPI_COMM_WORLD, 0, sizeof(uint64_t), square_task, &c, &opt, NULL, NULL, &err), 0);
        assert_int_equal(sentinel, 42);
    }
}

static void check_failure(mk_schedule sched, uint64_t n, uint64_t fail_at, int manager_computes)
{
    task_ctx c = {calloc(n, sizeof(uint64_t)), fail_at, 7};
    uint64_t *out = calloc(n, sizeof(uint64_t));
    mk_pool_options opt;
    mk_pool_options_init(&opt);
    opt.schedule = sched;
    opt.chunksize = 2;
    opt.manager_computes = manager_computes;
    opt.record_log = 1;
    mk_pool_result res;
    mk_err err;
    int rc = mk_pool_map(MPI_COMM_WORLD, n, sizeof(uint64_t), square_task, &c, &opt, out, &res, &err);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, MK_EXIT_FAILURE);
    char want[64];
    snprintf(want, sizeof want, "item %llu failed (code 7)", (unsigned long long)fail_at);
    assert_non_null(strstr(err.msg, want));
    /* Every rank holds the same message. */
    mk_err zero;
    memcpy(&zero, &err, sizeof err);
    MPI_Bcast(zero.msg, (int)sizeof zero.msg, MPI_CHAR, 0, MPI_COMM_WORLD);
    assert_string_equal(zero.msg, err.msg);
    assert_null(res.ranks);
    assert_null(res.log);
    free(out);
    free(c.calls);
}

static void test_failing_task_reported_everywhere(void **state)
{
    (void)state;
    const uint64_t n = 20;
    const uint64_t at[] = {0, 1, 9, 19};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        check_failure(MK_SCHED_STATIC, n, at[i], 1);
        check_failure(MK_SCHED_CYCLIC, n, at[i], 1);
        check_failure(MK_SCHED_DYNAMIC, n, at[i], 1);
        check_failure(MK_SCHED_DYNAMIC, n, at[i], 0);
    }
    /* The pool is usable again afterwards: no message of the failed map is left behind. */
    check_map(50, MK_SCHED_DYNAMIC, 1, 1);
}

typedef struct {
    uint64_t calls, last, total;
    int monotone;
} progress_seen;

static void on_progress(uint64_t done, uint64_t total, void *ctx)
{
    progress_seen *p = ctx;
    if (done < p->last || done > total)
        p->monotone = 0;
    p->last = done;
    p->total = total;
    p->calls++;
}

static int nothing_task(uint64_t item, void *result, void *ctx)
{
    (void)item;
    (void)ctx;
    assert_null(result);
    return 0;
}

static void test_progress_reaches_total(void **state)
{
    (void)state;
    for (int s = 0; s <= 2; s++) {
        progress_seen p = {0, 0, 0, 1};
        mk_pool_options opt;
        mk_pool_options_init(&opt);
        opt.schedule = (mk_schedule)s;
        opt.chunksize = 3;
        opt.progress = on_progress;
        opt.progress_ctx = &p;
        mk_err err;
        /* result_size 0: no results buffer needed, tasks get NULL */
        assert_int_equal(mk_pool_map(MPI_COMM_WORLD, 40, 0, nothing_task, NULL, &opt, NULL, NULL, &err), 0);
        if (world_rank() == 0) {
            assert_true(p.calls > 0);
            assert_true(p.monotone);
            assert_int_equal(p.total, 40);
            if (s == MK_SCHED_DYNAMIC || world_size() == 1)
                assert_int_equal(p.last, 40);
        } else {
            assert_int_equal(p.calls, 0);
        }
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mk_err err;
    uint64_t out[4];
    assert_int_equal(mk_pool_map(MPI_COMM_WORLD, 4, sizeof(uint64_t), NULL, NULL, NULL, out, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no task function"));
    /* A missing result buffer on rank 0 fails on every rank. */
    assert_int_equal(mk_pool_map(MPI_COMM_WORLD, 4, sizeof(uint64_t), nothing_task, NULL, NULL, NULL, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "no result buffer"));
    mk_pool_options opt;
    mk_pool_options_init(&opt);
    opt.schedule = (mk_schedule)9;
    assert_int_equal(mk_pool_map(MPI_COMM_WORLD, 4, 0, nothing_task, NULL, &opt, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "unknown schedule"));
}

static void test_defaults(void **state)
{
    (void)state;
    mk_pool_options opt;
    memset(&opt, 0xff, sizeof opt);
    mk_pool_options_init(&opt);
    assert_int_equal(opt.schedule, MK_SCHED_STATIC);
    assert_int_equal(opt.chunksize, 0);
    assert_int_equal(opt.manager_computes, 1);
    assert_null(opt.progress);
    assert_int_equal(opt.record_log, 0);
    mk_pool_result_free(NULL);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_chunksize_choice),
        cmocka_unit_test(test_schedule_arithmetic),
        cmocka_unit_test(test_n_zero_touches_nothing),
        cmocka_unit_test(test_static_every_item_once),
        cmocka_unit_test(test_cyclic_every_item_once),
        cmocka_unit_test(test_dynamic_every_item_once),
        cmocka_unit_test(test_failing_task_reported_everywhere),
        cmocka_unit_test(test_progress_reaches_total),
        cmocka_unit_test(test_bad_arguments),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
