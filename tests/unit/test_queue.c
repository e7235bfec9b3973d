/* test_queue.c - the queue protocol pieces: item encoding, the host FIFO and its shutdown rule
 * (Empty vs Done), protocol violations, and the exactly-once / order check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/queue.h"

static void test_make_deterministic(void **state)
{
    (void)state;
    mk_qitem a, b;
    mk_qitem_make(1, 2, 0, &a);
    mk_qitem_make(1, 2, 0, &b);
    assert_true(mk_qitem_same(&a, &b));
    assert_int_equal(a.kind, MK_QITEM_NUMBER);
    assert_true(a.number >= 0 && a.number < 1);
    mk_qitem_make(1, 2, 1, &a);
    assert_int_equal(a.kind, MK_QITEM_STRING);
    assert_true(strncmp(a.text, "p2-1-", 5) == 0);
    mk_qitem_make(1, 3, 1, &b);
    assert_false(mk_qitem_same(&a, &b));
}

static void test_encode_roundtrip(void **state)
{
    (void)state;
    unsigned char buf[MK_QUEUE_MSG_MAX];
    for (uint64_t seq = 0; seq < 50; seq++) {
        mk_qitem it, back;
        mk_qitem_make(9, (int)(seq % 5), seq, &it);
        size_t len = mk_qitem_encode(&it, buf, sizeof buf);
        assert_true(len > 0 && len <= MK_QUEUE_MSG_MAX);
        assert_int_equal(mk_qitem_decode(buf, len, &back), 0);
        assert_true(mk_qitem_same(&it, &back));
    }
    mk_qitem end = {.kind = MK_QITEM_END, .producer = 4, .seq = 77}, back;
    size_t len = mk_qitem_encode(&end, buf, sizeof buf);
    assert_int_equal(len, 28);
    assert_int_equal(mk_qitem_decode(buf, len, &back), 0);
    assert_int_equal(back.kind, MK_QITEM_END);
    assert_int_equal(back.seq, 77);
    /* too small a buffer */
    mk_qitem s;
    mk_qitem_make(9, 0, 1, &s);
    assert_int_equal(mk_qitem_encode(&s, buf, 28), 0);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    unsigned char buf[MK_QUEUE_MSG_MAX];
    mk_qitem it, back;
    mk_qitem_make(9, 0, 1, &it);
    size_t len = mk_qitem_encode(&it, buf, sizeof buf);
    assert_int_equal(mk_qitem_decode(buf, 27, &back), -1);        /* short header */
    assert_int_equal(mk_qitem_decode(buf, len - 1, &back), -1);   /* truncated text */
    buf[28] = '\0';
    assert_int_equal(mk_qitem_decode(buf, len, &back), -1);       /* NUL inside the text */
    uint32_t kind = 9;
    memcpy(buf, &kind, 4);
    assert_int_equal(mk_qitem_decode(buf, len, &back), -1);       /* unknown kind */
}

static mk_qitem item(int p, uint64_t seq)
{
    mk_qitem it;
    mk_qitem_make(5, p, seq, &it);
    return it;
}

static mk_qitem end_of(int p, uint64_t count)
{
    mk_qitem it = {.kind = MK_QITEM_END, .producer = p, .seq = count};
    return it;
}

/* get(block=False): Empty while a producer is open, Done once all ended and drained. */
static void test_host_empty_then_done(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    mk_queue_host *h = mk_queue_host_new(2);
    mk_qitem out, it;
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_EMPTY);
    it = item(0, 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    it = item(1, 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    it = end_of(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    assert_int_equal(mk_queue_host_open(h), 1);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_ITEM);
    assert_int_equal(out.producer, 0);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_ITEM);
    assert_int_equal(out.producer, 1);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_EMPTY);  /* producer 1 still open */
    it = end_of(1, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_DONE);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_DONE);
    mk_queue_host_free(h);
}

/* Items ended but not yet taken: not Done until drained. No producers at all: Done at once. */
static void test_host_done_waits_for_drain(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    mk_queue_host *h = mk_queue_host_new(1);
    mk_qitem out, it = item(0, 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    it = end_of(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_ITEM);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_DONE);
    mk_queue_host_free(h);
    h = mk_queue_host_new(0);
    assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_DONE);
    mk_queue_host_free(h);
}

/* FIFO across growth, interleaved producers, order kept per producer. */
static void test_host_fifo_growth(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    mk_queue_host *h = mk_queue_host_new(3);
    mk_qitem out, it;
    uint64_t next_get[3] = {0, 0, 0};
    for (uint64_t seq = 0; seq < 1000; seq++) {
        for (int p = 0; p < 3; p++) {
            it = item(p, seq);
            assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
        }
        if (seq % 3 == 0) {   /* take some while putting, so the ring wraps */
            assert_int_equal(mk_queue_host_get(h, &out), MK_QUEUE_ITEM);
            assert_int_equal(out.seq, next_get[out.producer]++);
        }
    }
    for (int p = 0; p < 3; p++) {
        it = end_of(p, 1000);
        assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    }
    int r;
    size_t n = 0;
    while ((r = mk_queue_host_get(h, &out)) == MK_QUEUE_ITEM) {
        assert_int_equal(out.seq, next_get[out.producer]++);
        mk_qitem want = item(out.producer, out.seq);
        assert_true(mk_qitem_same(&want, &out));
        n++;
    }
    assert_int_equal(r, MK_QUEUE_DONE);
    assert_int_equal(n + 334, 3000);
    assert_int_equal(mk_queue_host_put_count(h, 2), 1000);
    mk_queue_host_free(h);
}

static void test_host_violations(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    mk_queue_host *h = mk_queue_host_new(2);
    mk_qitem it = item(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* skipped seq 0 */
    assert_non_null(strstr(err.msg, "expected"));
    it = item(5, 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* unknown producer */
    it = item(0, 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* duplicate */
    it = end_of(0, 2);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* END with the wrong count */
    it = end_of(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), 0);
    it = item(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* after END */
    assert_non_null(strstr(err.msg, "after its end marker"));
    it = end_of(0, 1);
    assert_int_equal(mk_queue_host_put(h, &it, &err), -1);            /* second END */
    assert_int_equal(mk_queue_host_size(h), 1);
    assert_int_equal(mk_queue_host_open(h), 1);
    mk_queue_host_free(h);
}

static void test_check(void **state)
{
    (void)state;
    const uint64_t counts[2] = {3, 2};
    mk_qitem got[6];
    /* consumer 1 gets p0:0, p1:0, p0:2; consumer 2 gets p0:1, p1:1 */
    got[0] = item(0, 0), got[0].consumer = 1;
    got[1] = item(1, 0), got[1].consumer = 1;
    got[2] = item(0, 2), got[2].consumer = 1;
    got[3] = item(0, 1), got[3].consumer = 2;
    got[4] = item(1, 1), got[4].consumer = 2;
    mk_queue_verdict v;
    assert_int_equal(mk_queue_check(5, got, 5, counts, 2, &v), 0);
    assert_true(mk_queue_verdict_ok(&v));
    assert_int_equal(v.expected, 5);
    /* a duplicate, which is also out of order within consumer 2 */
    got[5] = item(0, 1), got[5].consumer = 2;
    assert_int_equal(mk_queue_check(5, got, 6, counts, 2, &v), 0);
    assert_false(mk_queue_verdict_ok(&v));
    assert_int_equal(v.duplicates, 1);
    assert_int_equal(v.out_of_order, 1);
    /* a missing item */
    assert_int_equal(mk_queue_check(5, got, 4, counts, 2, &v), 0);
    assert_int_equal(v.missing, 1);
    /* a changed payload; an item never put */
    got[0].number += 1.0;
    got[4].seq = 9;
    assert_int_equal(mk_queue_check(5, got, 5, counts, 2, &v), 0);
    assert_int_equal(v.corrupted, 1);
    assert_int_equal(v.unknown, 1);
    assert_int_equal(v.missing, 1);
    /* nothing put, nothing got */
    assert_int_equal(mk_queue_check(5, NULL, 0, counts, 0, &v), 0);
    assert_true(mk_queue_verdict_ok(&v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_deterministic),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_host_empty_then_done),
        cmocka_unit_test(test_host_done_waits_for_drain),
        cmocka_unit_test(test_host_fifo_growth),
        cmocka_unit_test(test_host_violations),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
