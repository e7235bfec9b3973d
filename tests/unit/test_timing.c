/* test_timing.c - phase timers, their reduction over ranks and the timing table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mpikit/timing.h"

static void sleep_seconds(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0)
        continue;
}

static char *render(const mk_table *t, mk_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    mk_table_print(f, t, fmt);
    fclose(f);
    return buf;
}

static void test_now(void **state)
{
    (void)state;
    double a = mk_now();
    sleep_seconds(0.002);
    double b = mk_now();
    assert_true(a > 0.0);
    assert_true(b - a >= 0.0015);
    assert_true(b - a < 1.0);
}

static void test_phases(void **state)
{
    (void)state;
    static const char *const names[] = { "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7",
                                         "p8", "p9", "p10", "p11", "p12", "p13", "p14", "p15" };
    mk_timing t;
    mk_timing_init(&t);
    assert_int_equal(t.nphases, 0);
    assert_int_equal(mk_timing_phase(&t, "read"), 0);
    assert_int_equal(mk_timing_phase(&t, "count"), 1);
    /* Found by content, not by pointer. */
    char again[] = "read";
    assert_int_equal(mk_timing_phase(&t, again), 0);
    assert_int_equal(t.nphases, 2);

    mk_timing_init(&t);
    for (int i = 0; i < MK_TIMING_MAX_PHASES; i++)
        assert_int_equal(mk_timing_phase(&t, names[i]), i);
    assert_int_equal(mk_timing_phase(&t, "one too many"), -1);
    assert_int_equal(mk_timing_phase(&t, "p15"), MK_TIMING_MAX_PHASES - 1);

    /* The -1 of a full registry is harmless. */
    mk_timing_start(&t, -1);
    mk_timing_stop(&t, -1);
    mk_timing_add(&t, -1, 1.0);
    mk_timing_add(&t, MK_TIMING_MAX_PHASES, 1.0);
    for (int i = 0; i < MK_TIMING_MAX_PHASES; i++)
        assert_true(t.seconds[i] == 0.0);
}

static void test_accumulate(void **state)
{
    (void)state;
    mk_timing t;
    mk_timing_init(&t);
    int read = mk_timing_phase(&t, "read");
    int count = mk_timing_phase(&t, "count");

    mk_timing_add(&t, read, 1.5);
    mk_timing_add(&t, read, 1.5);
    assert_float_equal(t.seconds[read], 3.0, 1e-12);

    mk_timing_stop(&t, count); /* not started: no effect */
    assert_true(t.seconds[count] == 0.0);
    for (int i = 0; i < 2; i++) {
        mk_timing_start(&t, count);
        assert_true(t.started[count] >= 0.0);
        sleep_seconds(0.005);
        mk_timing_stop(&t, count);
        assert_true(t.started[count] < 0.0);
    }
    assert_true(t.seconds[count] >= 0.009);
    assert_true(t.seconds[count] < 1.0);
    double before = t.seconds[count];
    mk_timing_stop(&t, count); /* a second stop does not count twice */
    assert_true(t.seconds[count] == before);
    assert_float_equal(t.seconds[read], 3.0, 1e-12);
}

static void test_reduce_one_rank(void **state)
{
    (void)state;
    mk_timing t;
    mk_timing_init(&t);
    mk_timing_add(&t, mk_timing_phase(&t, "read"), 2.0);
    mk_timing_add(&t, mk_timing_phase(&t, "count"), 0.25);
    mk_timing_stats s;
    assert_int_equal(mk_timing_reduce(&t, MPI_COMM_WORLD, &s), 0);
    assert_int_equal(s.nphases, 2);
    assert_string_equal(s.names[0], "read");
    assert_string_equal(s.names[1], "count");
    for (int i = 0; i < 2; i++) {
        assert_true(s.min[i] == t.seconds[i]);
        assert_true(s.mean[i] == t.seconds[i]);
        assert_true(s.max[i] == t.seconds[i]);
    }

    mk_timing_init(&t);
    assert_int_equal(mk_timing_reduce(&t, MPI_COMM_SELF, &s), 0);
    assert_int_equal(s.nphases, 0);
}

static void test_table(void **state)
{
    (void)state;
    mk_timing_stats s;
    memset(&s, 0, sizeof s);
    s.nphases = 3;
    s.names[0] = "read";
    s.min[0] = 1.0;
    s.mean[0] = 1.5;
    s.max[0] = 2.0;
    s.names[1] = "count";
    s.min[1] = 0.125;
    s.mean[1] = 0.25;
    s.max[1] = 0.5;
    s.names[2] = "idle";   /* max 0: no rate */

    mk_table *t = mk_timing_table(&s, 100000000);
    assert_non_null(t);
    assert_int_equal(mk_table_rows(t), 3);
    char *text = render(t, MK_FMT_TEXT);
    assert_string_equal(text,
                        "timing (seconds over ranks)\n"
                        "phase   min_s  mean_s   max_s  MB_s\n"
                        "read   1.0000  1.5000  2.0000   50.0\n"
                        "count  0.1250  0.2500  0.5000  200.0\n"
                        "idle   0.0000  0.0000  0.0000  -\n");
    free(text);
    text = render(t, MK_FMT_JSON);
    assert_string_equal(text,
                        "{\n"
                        "  \"timing\": [\n"
                        "    {\"phase\": \"read\", \"min_s\": 1, \"mean_s\": 1.5, "
                        "\"max_s\": 2, \"MB_s\": 50},\n"
                        "    {\"phase\": \"count\", \"min_s\": 0.125, \"mean_s\": 0.25, "
                        "\"max_s\": 0.5, \"MB_s\": 200},\n"
                        "    {\"phase\": \"idle\", \"min_s\": 0, \"mean_s\": 0, "
                        "\"max_s\": 0, \"MB_s\": \"-\"}\n"
                        "  ]\n"
                        "}\n");
    free(text);
    mk_table_free(t);

    /* No bytes: no rate column at all. */
    s.nphases = 1;
    t = mk_timing_table(&s, 0);
    assert_non_null(t);
    text = render(t, MK_FMT_CSV);
    assert_string_equal(text, "phase,min_s,mean_s,max_s\nread,1,1.5,2\n");
    free(text);
    mk_table_free(t);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_now),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_accumulate),
        cmocka_unit_test(test_reduce_one_rank),
        cmocka_unit_test(test_table),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
