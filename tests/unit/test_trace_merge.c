/* Unit tests of the tracer's merge and writers, on hand-made process records: messages are
 * paired by MPI's matching rules (channel, then posting order; wildcards resolved by the
 * status), non-blocking receives end at their completion, collectives become instances with
 * dependency arrows, clocks and spawned groups map to one timeline; the JSON, SVG, summary
 * and the trace directory are what the viewers and the tests expect. */
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

#include "../../src/trace/trace.h"

/* ---- building records ---- */

enum { MAXP = 8, MAXE = 256 };

/* Records and their tables in one place, nothing on the heap. */
typedef struct {
    mkt_proc p[MAXP];
    mkt_group_ref groups[MAXP][4];
    mkt_comm comms[MAXP][2];
    mkt_event events[MAXP][MAXE];
    int n;
} world;

static mkt_proc *add_proc(world *w, const char *label, int rank, int size, uint64_t boot)
{
    int i = w->n++;
    mkt_proc *p = &w->p[i];
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->program, sizeof p->program, "unit");
    snprintf(p->host, sizeof p->host, "h%llu", (unsigned long long)boot);
    p->rank = rank;
    p->size = size;
    p->boot = boot;
    p->parent_rank = -1;
    p->clock.exact = 1;
    p->t_init = 0;
    p->t_final = 1000000;
    p->ngroups = 1;
    p->groups = w->groups[i];
    memset(p->groups, 0, sizeof w->groups[i]);
    p->groups[0].hash = mkt_hash_str(label);
    p->ncomms = 2;
    p->comms = w->comms[i];
    p->comms[0] = (mkt_comm){mkt_hash_str(label) | 1, size, 0, 0, 0};
    p->comms[1] = (mkt_comm){(uint64_t)rank * 7 + 3, 1, 0, 1, 0};
    p->events = w->events[i];
    memset(p->events, 0, sizeof w->events[i]);
    return p;
}

static mkt_event *ev(mkt_proc *p, int type, int func, int64_t t0, int64_t t1)
{
    mkt_event *e = &p->events[p->nevents++];
    e->type = (uint8_t)type;
    e->func = (uint16_t)func;
    e->t0 = t0;
    e->t1 = t1;
    e->peer = MKT_PEER_NONE;
    return e;
}

static mkt_event *p2p(mkt_proc *p, int func, int64_t t0, int64_t t1, int peer, int tag, int64_t bytes, uint32_t seq)
{
    mkt_event *e = ev(p, MKT_R_CALL, func, t0, t1);
    e->peer = peer;
    e->tag = tag;
    e->seq = seq;
    if (mkt_func_kind(func) == MKT_K_SEND)
        e->sbytes = bytes;
    else
        e->rbytes = bytes;
    return e;
}

static world *new_world(void)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    return w;
}

static const mkt_slice *slice_of(const mkt_trace *t, size_t i)
{
    return &t->slices[i];
}

static size_t count_flows(const mkt_trace *t, mkt_flow_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nflows; i++)
        n += t->flows[i].kind == kind;
    return n;
}

/* ---- messages ---- */

static void test_pingpong_pairs_every_message(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_proc *a = add_proc(w, "0", 0, 2, 1), *b = add_proc(w, "0", 1, 2, 1);
    for (int k = 0; k < 5; k++) {
        int64_t t = 1000 + k * 100;
        p2p(a, MKT_F_Send, t, t + 10, 1, 1, 8, (uint32_t)k);
        p2p(b, MKT_F_Recv, t - 5, t + 20, 0, 1, 8, (uint32_t)k);
        p2p(b, MKT_F_Send, t + 30, t + 40, 0, 2, 16, (uint32_t)k);
        p2p(a, MKT_F_Recv, t + 15, t + 50, 1, 2, 16, (uint32_t)k);
    }
    mkt_trace t;
    char why[200];
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), 0);
    assert_int_equal(t.nprocs, 2);
    assert_int_equal(count_flows(&t, MKT_FLOW_MSG), 10);
    assert_int_equal(t.unmatched_sends + t.unmatched_recvs, 0);
    assert_int_equal(t.backward_flows, 0);
    for (size_t i = 0; i < t.nflows; i++) {
        const mkt_slice *from = slice_of(&t, t.flows[i].from), *to = slice_of(&t, t.flows[i].to);
        assert_int_equal(from->func, MKT_F_Send);
        assert_int_equal(to->func, MKT_F_Recv);
        assert_int_equal(from->peer, to->pid);
        assert_int_equal(to->peer, from->pid);
        assert_int_equal(t.flows[i].bytes, from->pid == 0 ? 8 : 16);
        assert_true(t.flows[i].t_to >= t.flows[i].t_from);
    }
    mkt_trace_free(&t);
    free(w);
}

/* Rank 0 sends A (tag 1) then B (tag 2); rank 2 receives tag 2 first, then any tag: B goes
 * to the first receive, A to the second. Rank 1's message on tag 1 goes to the third. */
static void test_wildcards_follow_the_status(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_proc *r0 = add_proc(w, "0", 0, 3, 1), *r1 = add_proc(w, "0", 1, 3, 1), *r2 = add_proc(w, "0", 2, 3, 1);
    p2p(r0, MKT_F_Send, 100, 110, 2, 1, 4, 0); /* A */
    p2p(r0, MKT_F_Send, 120, 130, 2, 2, 5, 1); /* B */
    p2p(r1, MKT_F_Send, 105, 115, 2, 1, 6, 0); /* C */
    p2p(r2, MKT_F_Recv, 90, 140, 0, 2, 5, 0);  /* gets B */
    p2p(r2, MKT_F_Recv, 150, 160, 0, 1, 4, 1); /* posted ANY/ANY: the status says 0, tag 1 */
    p2p(r2, MKT_F_Recv, 170, 180, 1, 1, 6, 2); /* gets C */
    mkt_trace t;
    char why[200];
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), 0);
    assert_int_equal(count_flows(&t, MKT_FLOW_MSG), 3);
    for (size_t i = 0; i < t.nflows; i++) {
        const mkt_slice *from = slice_of(&t, t.flows[i].from), *to = slice_of(&t, t.flows[i].to);
        assert_int_equal(from->sbytes, to->rbytes); /* the right message in the right receive */
    }
    mkt_trace_free(&t);
    free(w);
}

/* Irecv (request 1) posted, completed by a Waitall that also completes the Isend (request 2);
 * the arrow ends at the Waitall, which lists both requests. */
static void test_nonblocking_ends_at_completion(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_proc *a = add_proc(w, "0", 0, 2, 1), *b = add_proc(w, "0", 1, 2, 1);
    mkt_event *post = p2p(a, MKT_F_Irecv, 100, 105, MKT_PEER_ANY, -1, 0, 0);
    post->req = 1;
    mkt_event *isend = p2p(a, MKT_F_Isend, 106, 108, 1, 3, 12, 0);
    isend->req = 2;
    ev(a, MKT_R_CALL, MKT_F_Waitall, 110, 300)->count = 2;
    mkt_event *d = ev(a, MKT_R_DONE, MKT_F_Waitall, 0, 0);
    d->req = 1;
    d->peer = 1;
    d->tag = 7;
    d->rbytes = 40;
    ev(a, MKT_R_DONE, MKT_F_Waitall, 0, 0)->req = 2;
    p2p(b, MKT_F_Send, 200, 210, 0, 7, 40, 0);
    p2p(b, MKT_F_Recv, 150, 400, 0, 3, 12, 0);
    mkt_trace t;
    char why[200];
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), 0);
    assert_int_equal(count_flows(&t, MKT_FLOW_MSG), 2);
    int seen = 0;
    for (size_t i = 0; i < t.nflows; i++) {
        const mkt_slice *from = slice_of(&t, t.flows[i].from), *to = slice_of(&t, t.flows[i].to);
        if (from->pid == 1) {
            assert_int_equal(to->func, MKT_F_Waitall);
            assert_int_equal(to->ndone, 2);
            assert_int_equal(t.done[to->first_done], 1);
            assert_int_equal(t.done[to->first_done + 1], 2);
            assert_int_equal(t.flows[i].bytes, 40);
            seen++;
        } else {
            assert_int_equal(from->func, MKT_F_Isend);
            assert_int_equal(from->req, 2);
        }
    }
    assert_int_equal(seen, 1);
    mkt_trace_free(&t);
    free(w);
}

/* ---- collectives ---- */

static void coll(mkt_proc *p, int func, int64_t t0, int64_t t1, int root, uint32_t seq, int64_t s, int64_t r)
{
    mkt_event *e = ev(p, MKT_R_CALL, func, t0, t1);
    e->peer = root;
    e->seq = seq;
    e->tag = p->rank;
    e->sbytes = s;
    e->rbytes = r;
}

static void test_collective_instances_and_arrows(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_proc *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = add_proc(w, "0", i, 3, 1);
    /* a scatter from root 1, then an allreduce where rank 2 comes last */
    for (int i = 0; i < 3; i++)
        coll(r[i], MKT_F_Scatter, 100 + i, 200 + i, 1, 0, i == 1 ? 3 * 40 : 0, 40);
    for (int i = 0; i < 3; i++)
        coll(r[i], MKT_F_Allreduce, i == 2 ? 400 : 300, 450 + i, MKT_PEER_NONE, 1, 8, 8);
    mkt_trace t;
    char why[200];
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), 0);
    int64_t scatter_instance = -1;
    size_t scatters = 0;
    for (size_t i = 0; i < t.nslices; i++) {
        if (t.slices[i].func != MKT_F_Scatter)
            continue;
        scatters++;
        if (scatter_instance < 0)
            scatter_instance = t.slices[i].instance;
        assert_int_equal(t.slices[i].instance, scatter_instance);
        assert_int_equal(t.slices[i].peer, 1);
    }
    assert_int_equal(scatters, 3);
    assert_int_equal(count_flows(&t, MKT_FLOW_COLL), 4);
    for (size_t i = 0; i < t.nflows; i++) {
        const mkt_slice *from = slice_of(&t, t.flows[i].from), *to = slice_of(&t, t.flows[i].to);
        if (from->func == MKT_F_Scatter)
            assert_int_equal(from->pid, 1); /* everyone waits for the root */
        else
            assert_int_equal(from->pid, 2); /* everyone waits for the last to arrive */
        assert_int_not_equal(to->pid, from->pid);
    }
    mkt_trace_free(&t);
    free(w);
}

/* ---- clocks and spawned groups ---- */

static void test_clocks_and_children(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_proc *p0 = add_proc(w, "0", 0, 1, 1);
    /* the child runs on another kernel, its clock 5000 ns behind its parent's */
    mkt_proc *c0 = add_proc(w, "0/r0s1", 0, 2, 2), *c1 = add_proc(w, "0/r0s1", 1, 2, 2);
    snprintf(c0->parent_label, sizeof c0->parent_label, "0");
    snprintf(c1->parent_label, sizeof c1->parent_label, "0");
    c0->parent_rank = 0;
    c0->parent_clock = (mkt_clockmap){0, 1, {0, 5000, 30}, {0, 5000, 30}};
    c1->clock = (mkt_clockmap){0, 0, {0, 0, 0}, {0, 0, 0}}; /* shares its leader's (c0 is exact) */
    c0->groups[1].hash = mkt_hash_str("0");
    c0->ngroups = 2;
    mkt_event *send = p2p(c0, MKT_F_Send, 1000, 1100, 0, 4, 9, 0);
    send->group = 1; /* to the parent's rank 0 */
    p2p(p0, MKT_F_Recv, 5500, 7000, MKT_PEER_NONE, 4, 9, 0);
    p0->groups[1].hash = mkt_hash_str("0/r0s1");
    p0->ngroups = 2;
    p0->events[0].peer = 0;
    p0->events[0].group = 1;
    /* the same communicator on both sides */
    c0->comms[0].id = p0->comms[0].id = 777;
    mkt_trace t;
    char why[200];
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), 0);
    assert_int_equal(t.nprocs, 3);
    assert_int_equal(t.ngroups, 2);
    assert_int_equal(t.groups[1].first_pid, 1);
    assert_int_equal(t.groups[1].parent, 0);
    assert_int_equal(t.nhosts, 2);
    assert_int_equal(t.clock_error, 30);
    char name[64];
    assert_string_equal(mkt_process_name(&t, 2, name, sizeof name), "spawned 0/r0s1 rank 1");
    assert_int_equal(count_flows(&t, MKT_FLOW_MSG), 1);
    /* on the parent's clock the send started at 6000, the receive ended at 7000 */
    assert_int_equal(t.flows[0].t_to - t.flows[0].t_from, 1000);
    mkt_trace_free(&t);
    free(w);
}

static void test_missing_rank_zero_is_an_error(void **state)
{
    (void)state;
    world *w = new_world();
    add_proc(w, "0", 1, 2, 1);
    mkt_trace t;
    char why[200] = "";
    assert_int_equal(mkt_trace_build(&t, w->p, (size_t)w->n, why, sizeof why), -1);
    assert_non_null(strstr(why, "rank 0"));
    free(w);
}

/* ---- writers ---- */

static int build_small(mkt_trace *t, world *w)
{
    mkt_proc *a = add_proc(w, "0", 0, 2, 1), *b = add_proc(w, "0", 1, 2, 1);
    snprintf(a->program, sizeof a->program, "a<b>&\"c\"");
    for (int k = 0; k < 3; k++) {
        p2p(a, MKT_F_Send, 1000 + k * 100, 1010 + k * 100, 1, 0, 8, (uint32_t)k);
        p2p(b, MKT_F_Recv, 990 + k * 100, 1050 + k * 100, 0, 0, 8, (uint32_t)k);
    }
    coll(a, MKT_F_Barrier, 5000, 6000, MKT_PEER_NONE, 0, 0, 0);
    coll(b, MKT_F_Barrier, 5500, 6001, MKT_PEER_NONE, 0, 0, 0);
    char why[200];
    return mkt_trace_build(t, w->p, (size_t)w->n, why, sizeof why);
}

/* What fn writes, as a string (through a temporary file). */
static char *capture(int (*fn)(FILE *, const mkt_trace *, const void *), const mkt_trace *t, const void *arg)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fn(f, t, arg), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static int json_fn(FILE *f, const mkt_trace *t, const void *arg)
{
    (void)arg;
    return mkt_write_json(f, t);
}

static int svg_fn(FILE *f, const mkt_trace *t, const void *arg)
{
    return mkt_write_svg(f, t, arg);
}

static size_t occurrences(const char *s, const char *what)
{
    size_t n = 0, at = 0, len = strlen(what);
    const char *hit;
    while ((hit = strstr(s + at, what)) != NULL) {
        n++;
        at = (size_t)(hit - s) + len;
    }
    return n;
}

static void test_json_has_slices_and_paired_flows(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_trace t;
    assert_int_equal(build_small(&t, w), 0);
    char *json = capture(json_fn, &t, NULL);
    assert_int_equal(occurrences(json, "\"ph\":\"X\""), 8);
    assert_int_equal(occurrences(json, "\"ph\":\"s\""), 4); /* 3 messages, 1 barrier arrow */
    assert_int_equal(occurrences(json, "\"ph\":\"f\",\"bp\":\"e\""), 4);
    assert_non_null(strstr(json, "\"program\":\"a<b>&\\\"c\\\"\""));
    assert_non_null(strstr(json, "\"name\":\"MPI_Send\""));
    assert_non_null(strstr(json, "\"ts\":1.000,\"dur\":0.010"));
    assert_null(strstr(json, ",\n]")); /* no trailing comma */
    free(json);
    mkt_trace_free(&t);
    free(w);
}

static void test_svg_is_escaped_and_capped(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_trace t;
    assert_int_equal(build_small(&t, w), 0);
    char *svg = capture(svg_fn, &t, NULL);
    assert_non_null(strstr(svg, "a&lt;b&gt;&amp;&quot;c&quot;"));
    assert_null(strstr(svg, "a<b>"));
    assert_int_equal(occurrences(svg, "<svg"), 1);
    assert_int_equal(occurrences(svg, "</svg>"), 1);
    assert_int_equal(occurrences(svg, "class=\"msg\" marker-end"), 3 + 1); /* + the legend */
    free(svg);
    mkt_svg_options o;
    mkt_svg_defaults(&o);
    o.max_slices = 2;
    o.max_flows = 1;
    svg = capture(svg_fn, &t, &o);
    assert_int_equal(occurrences(svg, "class=\"k"), 2 + 8); /* 2 calls + the 8 legend boxes */
    assert_int_equal(occurrences(svg, "<line x1") - occurrences(svg, "class=\"ax\""), 1 + 2); /* + 2 legend */
    assert_non_null(strstr(svg, "1 of 4 arrows shown"));
    free(svg);
    mkt_trace_free(&t);
    free(w);
}

static int csv_messages(FILE *f, const mkt_trace *t, const void *s)
{
    return mkt_write_summary_csv(f, t, s, "messages");
}

static int text_and_json(FILE *f, const mkt_trace *t, const void *s)
{
    return mkt_write_summary_text(f, t, s) | mkt_write_summary_json(f, t, s);
}

static void test_summary_tables(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_trace t;
    assert_int_equal(build_small(&t, w), 0);
    mkt_stats s;
    assert_int_equal(mkt_stats_build(&s, &t), 0);
    assert_int_equal(s.msg_count[0 * 2 + 1], 3);
    assert_int_equal(s.msg_bytes[0 * 2 + 1], 24);
    assert_int_equal(s.msg_count[1 * 2 + 0], 0);
    assert_int_equal(s.procs[0].bytes_sent, 24);
    assert_int_equal(s.procs[1].bytes_recv, 24);
    /* rank 0 in MPI 3 x 10 ns + 1000 ns of its 1 ms window */
    assert_true(s.procs[0].mpi > 1029e-9 && s.procs[0].mpi < 1031e-9);
    char *buf = capture(csv_messages, &t, &s);
    assert_string_equal(buf, "from,to,messages,bytes\n0,1,3,24\n");
    free(buf);
    FILE *f = tmpfile();
    assert_int_equal(mkt_write_summary_csv(f, &t, &s, "nope"), -1);
    fclose(f);
    buf = capture(text_and_json, &t, &s);
    assert_non_null(strstr(buf, "load imbalance"));
    assert_non_null(strstr(buf, "\"messages\":["));
    free(buf);
    mkt_stats_free(&s);
    mkt_trace_free(&t);
    free(w);
}

static void test_output_directory(void **state)
{
    (void)state;
    world *w = new_world();
    mkt_trace t;
    assert_int_equal(build_small(&t, w), 0);
    char base[] = "/tmp/mktrace-unit-XXXXXX", dir[128], path[160], why[512];
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/out", base);
    assert_int_equal(mkt_output_write(dir, &t, MKT_OUT_CSV, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s/summary-processes.csv", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* an earlier trace is replaced, and only our files were there */
    assert_int_equal(mkt_output_write(dir, &t, MKT_OUT_JSON, why, sizeof why), 0);
    assert_int_equal(access(path, R_OK), -1);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* anything else is refused, and left alone */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    assert_int_equal(mkt_output_check(dir, why, sizeof why), -1);
    assert_non_null(strstr(why, "notes.txt"));
    assert_int_equal(mkt_output_write(dir, &t, MKT_OUT_TEXT, why, sizeof why), -1);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/link", base);
    assert_int_equal(symlink(dir, path), 0);
    assert_int_equal(mkt_output_check(path, why, sizeof why), -1);
    snprintf(path, sizeof path, "%s/missing/out", base);
    assert_int_equal(mkt_output_check(path, why, sizeof why), -1);
    static const char *const left[] = {
        "link", "out/notes.txt", "out/trace.json", "out/timeline.svg", "out/summary.txt", "out/summary.json", "out",
        ""};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", base, left[i]);
        assert_int_equal(remove(path), 0);
    }
    mkt_trace_free(&t);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pingpong_pairs_every_message),
        cmocka_unit_test(test_wildcards_follow_the_status),
        cmocka_unit_test(test_nonblocking_ends_at_completion),
        cmocka_unit_test(test_collective_instances_and_arrows),
        cmocka_unit_test(test_clocks_and_children),
        cmocka_unit_test(test_missing_rank_zero_is_an_error),
        cmocka_unit_test(test_json_has_slices_and_paired_flows),
        cmocka_unit_test(test_svg_is_escaped_and_capped),
        cmocka_unit_test(test_summary_tables),
        cmocka_unit_test(test_output_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
