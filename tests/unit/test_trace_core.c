/* Unit tests of the tracer's MPI-free core: the handle map, the event buffer (spilling
 * through its helper thread, the limit, merging polls), clock alignment, the serialized
 * process record and the function table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/trace/trace.h"

/* A fixed pseudo-random sequence (a 64-bit LCG), the same on every run. */
static unsigned next_random(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*x >> 33);
}

static void test_map_matches_a_reference(void **state)
{
    (void)state;
    enum { N = 5000 };
    static int64_t ref[N]; /* -1: absent */
    mkt_map m;
    mkt_map_init(&m);
    for (int i = 0; i < N; i++)
        ref[i] = -1;
    uint64_t seed = 7;
    for (int step = 0; step < 40000; step++) {
        int k = (int)(next_random(&seed) % N);
        uint64_t key = (uint64_t)k * 0x10 + 0x7f0000001000ULL; /* pointer-like keys */
        if (next_random(&seed) % 3 == 0) {
            assert_int_equal(mkt_map_del(&m, key), ref[k] >= 0);
            ref[k] = -1;
        } else {
            assert_int_equal(mkt_map_put(&m, key, step), 0);
            ref[k] = step;
        }
    }
    size_t present = 0;
    for (int k = 0; k < N; k++) {
        int64_t v = -1;
        int found = mkt_map_get(&m, (uint64_t)k * 0x10 + 0x7f0000001000ULL, &v);
        assert_int_equal(found, ref[k] >= 0);
        if (found) {
            assert_int_equal(v, ref[k]);
            present++;
        }
    }
    assert_int_equal(present, m.n);
    assert_int_equal(mkt_map_put(&m, 0, 1), -1); /* 0 is reserved */
    mkt_map_free(&m);
}

static void test_buffer_spills_and_keeps_order(void **state)
{
    (void)state;
    mkt_buffer *b = mkt_buffer_new(8, 0, NULL); /* halves of 4: many spills */
    assert_non_null(b);
    for (int i = 0; i < 1000; i++) {
        uint64_t index;
        mkt_event *e = mkt_buffer_reserve(b, i % 7 == 0 ? 2 : 1, &index);
        assert_non_null(e);
        e->t0 = i;
        e->type = MKT_R_CALL;
        mkt_buffer_commit(b);
    }
    assert_true(mkt_buffer_spills(b) > 100);
    mkt_event *all;
    size_t n;
    assert_int_equal(mkt_buffer_collect(b, &all, &n), 0);
    assert_int_equal(n, 1000 + 143); /* every 7th reserved two */
    int64_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i].type != MKT_R_CALL)
            continue;
        assert_int_equal(all[i].t0, expect);
        expect++;
    }
    assert_int_equal(expect, 1000);
    assert_int_equal(mkt_buffer_dropped(b), 0);
    free(all);
    mkt_buffer_free(b);
}

static void test_buffer_limit_counts_dropped(void **state)
{
    (void)state;
    mkt_buffer *b = mkt_buffer_new(64, 10, NULL);
    for (int i = 0; i < 25; i++) {
        mkt_event *e = mkt_buffer_reserve(b, 1, NULL);
        if (i < 10) {
            assert_non_null(e);
            mkt_buffer_commit(b);
        } else {
            assert_null(e);
        }
    }
    assert_null(mkt_buffer_reserve(b, 40, NULL)); /* larger than half the buffer */
    assert_int_equal(mkt_buffer_dropped(b), 15 + 40);
    assert_int_equal(mkt_buffer_next_index(b), 65);
    mkt_event *all;
    size_t n;
    assert_int_equal(mkt_buffer_collect(b, &all, &n), 0);
    assert_int_equal(n, 10);
    free(all);
    mkt_buffer_free(b);
}

static void test_buffer_last_only_when_most_recent(void **state)
{
    (void)state;
    mkt_buffer *b = mkt_buffer_new(16, 0, NULL);
    uint64_t first, second;
    assert_non_null(mkt_buffer_reserve(b, 1, &first));
    mkt_buffer_commit(b);
    mkt_event *last = mkt_buffer_last(b, first);
    assert_non_null(last);
    last->count = 5;
    mkt_buffer_commit(b);
    assert_non_null(mkt_buffer_reserve(b, 1, &second));
    mkt_buffer_commit(b);
    assert_null(mkt_buffer_last(b, first)); /* something was recorded since */
    assert_non_null(mkt_buffer_last(b, second));
    mkt_buffer_commit(b);
    mkt_event *all;
    size_t n;
    assert_int_equal(mkt_buffer_collect(b, &all, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(all[0].count, 5);
    free(all);
    mkt_buffer_free(b);
}

/* A follower whose clock reads ref - 5000 ns (+ 20 ppm drift): the estimate is within the
 * error it states, and the error is half the shortest round trip. */
static void test_offset_estimate_within_its_error(void **state)
{
    (void)state;
    mkt_sample s[16];
    int64_t ref_now = 1000000;
    for (int k = 0; k < 16; k++) {
        int64_t out = 300 + (k * 7919) % 2000, back = 300 + (k * 104729) % 1500; /* queueing */
        int64_t local_send = ref_now - 5000 + ref_now / 50000;
        s[k].t_send = local_send;
        s[k].t_ref = ref_now + out;
        s[k].t_recv = local_send + out + back;
        ref_now += 10000;
    }
    mkt_offset o = mkt_offset_estimate(s, 16);
    int64_t best = INT64_MAX;
    for (int k = 0; k < 16; k++)
        if (s[k].t_recv - s[k].t_send < best)
            best = s[k].t_recv - s[k].t_send;
    assert_int_equal(o.error, (best + 1) / 2);
    /* the true offset at o.at is about 5000 - drift (ref = local + offset) */
    int64_t true_offset = 5000 - 20;
    assert_true(llabs(o.offset - true_offset) <= o.error + 30);
}

static void test_clock_map_interpolates_and_clamps(void **state)
{
    (void)state;
    mkt_clockmap exact = {1, 0, {0, 0, 0}, {0, 0, 0}};
    assert_int_equal(mkt_clock_apply(&exact, 12345), 12345);
    assert_int_equal(mkt_clock_error(&exact, 12345), 0);
    mkt_clockmap m = {0, 1, {1000, 500, 40}, {11000, 1500, 60}};
    assert_int_equal(mkt_clock_apply(&m, 1000), 1500);
    assert_int_equal(mkt_clock_apply(&m, 6000), 6000 + 1000);
    assert_int_equal(mkt_clock_apply(&m, 11000), 12500);
    assert_int_equal(mkt_clock_apply(&m, 0), 500);       /* before: the first offset */
    assert_int_equal(mkt_clock_apply(&m, 20000), 21500); /* after: the last */
    assert_int_equal(mkt_clock_error(&m, 6000), 50);
    mkt_clockmap one = {0, 1, {1000, -300, 10}, {1000, -300, 10}};
    assert_int_equal(mkt_clock_apply(&one, 5000), 4700);
}

static mkt_proc sample_proc(int rank, size_t nevents)
{
    mkt_proc p;
    memset(&p, 0, sizeof p);
    snprintf(p.label, sizeof p.label, "0");
    snprintf(p.program, sizeof p.program, "prog");
    snprintf(p.host, sizeof p.host, "node%d", rank);
    p.rank = rank;
    p.size = 2;
    p.boot = 42;
    p.ngroups = 1;
    p.groups = calloc(1, sizeof *p.groups);
    p.groups[0].hash = mkt_hash_str("0");
    p.ncomms = 2;
    p.comms = calloc(2, sizeof *p.comms);
    p.comms[0].id = 99;
    p.comms[0].size = 2;
    p.nevents = nevents;
    p.events = calloc(nevents + 1, sizeof *p.events);
    for (size_t i = 0; i < nevents; i++) {
        p.events[i].t0 = (int64_t)i;
        p.events[i].func = MKT_F_Send;
        p.events[i].type = MKT_R_CALL;
    }
    return p;
}

static void test_blob_round_trip(void **state)
{
    (void)state;
    mkt_proc a = sample_proc(0, 3), b = sample_proc(1, 1000);
    unsigned char *pa, *pb;
    size_t la, lb;
    assert_int_equal(mkt_proc_pack(&a, &pa, &la), 0);
    assert_int_equal(mkt_proc_pack(&b, &pb, &lb), 0);
    unsigned char *both = malloc(la + lb);
    memcpy(both, pa, la);
    memcpy(both + la, pb, lb);
    mkt_proc *out;
    size_t n;
    char why[128];
    assert_int_equal(mkt_procs_unpack(both, la + lb, &out, &n, why, sizeof why), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[1].rank, 1);
    assert_string_equal(out[1].host, "node1");
    assert_int_equal(out[1].nevents, 1000);
    assert_int_equal(out[1].events[999].t0, 999);
    assert_int_equal(out[0].comms[0].id, 99);
    assert_int_equal(out[0].groups[0].hash, mkt_hash_str("0"));
    mkt_procs_free(out, n);
    /* truncated or corrupted: an error, never a crash */
    assert_int_equal(mkt_procs_unpack(both, la + lb - 1, &out, &n, why, sizeof why), -1);
    both[3] ^= 0xff;
    assert_int_equal(mkt_procs_unpack(both, la + lb, &out, &n, why, sizeof why), -1);
    free(both);
    free(pa);
    free(pb);
    mkt_proc *ps[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        free(ps[i]->groups);
        free(ps[i]->comms);
        free(ps[i]->events);
    }
}

static void test_function_table(void **state)
{
    (void)state;
    assert_string_equal(mkt_func_name(MKT_F_Send), "MPI_Send");
    assert_string_equal(mkt_func_name(MKT_F_File_write_at_all), "MPI_File_write_at_all");
    assert_string_equal(mkt_func_name(-1), "MPI_?");
    assert_int_equal(mkt_func_kind(MKT_F_Irecv), MKT_K_RECV);
    assert_int_equal(mkt_func_kind(MKT_F_Waitsome), MKT_K_WAIT);
    assert_int_equal(mkt_func_shape(MKT_F_Scatterv), MKT_C_FROM_ROOT);
    assert_int_equal(mkt_func_shape(MKT_F_Igatherv), MKT_C_TO_ROOT);
    assert_int_equal(mkt_func_shape(MKT_F_Exscan), MKT_C_SCAN);
    assert_int_equal(mkt_func_shape(MKT_F_Alltoallw), MKT_C_ALL);
    for (int f = 0; f < MKT_F_COUNT; f++) {
        assert_true(strncmp(mkt_func_name(f), "MPI_", 4) == 0);
        for (int g = 0; g < f; g++)
            assert_true(strcmp(mkt_func_name(f), mkt_func_name(g)) != 0);
        int coll = mkt_func_kind(f) == MKT_K_COLL;
        assert_int_equal(coll, mkt_func_shape(f) != MKT_C_NONE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_matches_a_reference),
        cmocka_unit_test(test_buffer_spills_and_keeps_order),
        cmocka_unit_test(test_buffer_limit_counts_dropped),
        cmocka_unit_test(test_buffer_last_only_when_most_recent),
        cmocka_unit_test(test_offset_estimate_within_its_error),
        cmocka_unit_test(test_clock_map_interpolates_and_clamps),
        cmocka_unit_test(test_blob_round_trip),
        cmocka_unit_test(test_function_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
