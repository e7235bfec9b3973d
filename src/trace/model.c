/* model.c - the merge: every process's events become one trace on one clock.
 *
 *   groups      the launched world first, then each spawned world (by label); pid = the
 *               group's first pid + world rank
 *   clocks      each process -> its group's rank 0 -> the spawning root -> ... -> the launched
 *               rank 0 (identity for every process on the reference's kernel)
 *   messages    MPI's non-overtaking rule: between one sender and one receiver on one
 *               communicator with one tag, the k-th send posted is received by the k-th
 *               receive that got such a message (in the order receives were posted or, for
 *               MPI_Mprobe, matched). Sends and receives are sorted by that key and paired.
 *   collectives the k-th collective on a communicator is the same call on every member.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct {
    char label[MKT_LABEL_MAX];
    uint64_t hash;
    char parent_label[MKT_LABEL_MAX];
    int parent, parent_rank, size, first_pid;
    int root_proc; /* index into the input of its rank 0, or -1 */
} group_info;

typedef struct {
    mkt_proc *in;
    size_t nin;
    group_info *groups;
    int ngroups;
    int *pid_of;      /* per input process */
    int *proc_at_pid; /* input index per pid, or -1 */
    int *clock_src;   /* per input process: whose clock map it uses (itself, or the
                                 first process of its group on its kernel that measured one) */
    int nprocs;
    uint64_t ref_boot;
} merge_ctx;

/* A point-to-point half: a send or a completed receive, keyed for pairing. */
typedef struct {
    int src, dst, tag;
    uint64_t comm;
    uint32_t seq;
    size_t slice; /* the send (posting) slice, or the receive's completing slice */
    int64_t bytes;
} p2p_half;

/* One process's part in a collective instance. */
typedef struct {
    uint64_t comm;
    uint32_t seq;
    int pid, root, comm_rank, shape;
    size_t entry, exit; /* the blocking call, or the posting call and its completion */
} coll_part;

/* A completion recorded after a Wait/Test: request `req` of process `pid` ended in `slice`. */
typedef struct {
    int pid;
    uint32_t req;
    size_t slice;
    int peer, tag;
    int64_t rbytes;
} done_rec;

typedef struct {
    mkt_slice *v;
    size_t n, cap;
} slice_vec;

/* ---- groups and processes ---- */

static int find_group(const merge_ctx *c, uint64_t hash)
{
    for (int g = 0; g < c->ngroups; g++)
        if (c->groups[g].hash == hash)
            return g;
    return -1;
}

static int cmp_group(const void *a, const void *b)
{
    const group_info *x = a, *y = b;
    int xtop = x->parent_label[0] == '\0', ytop = y->parent_label[0] == '\0';
    if (xtop != ytop)
        return ytop - xtop;
    size_t lx = strlen(x->label), ly = strlen(y->label);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->label, y->label);
}

static int build_groups(merge_ctx *c, char *why, size_t whylen)
{
    c->groups = calloc(c->nin > 0 ? c->nin : 1, sizeof *c->groups);
    if (c->groups == NULL)
        return snprintf(why, whylen, "out of memory"), -1;
    for (size_t i = 0; i < c->nin; i++) {
        const mkt_proc *p = &c->in[i];
        uint64_t h = mkt_hash_str(p->label);
        int g = find_group(c, h);
        if (g < 0) {
            g = c->ngroups++;
            snprintf(c->groups[g].label, MKT_LABEL_MAX, "%s", p->label);
            c->groups[g].hash = h;
            c->groups[g].size = 0;
        }
        if (p->size > c->groups[g].size)
            c->groups[g].size = p->size;
        if (p->rank == 0) {
            snprintf(c->groups[g].parent_label, MKT_LABEL_MAX, "%s", p->parent_label);
            c->groups[g].parent_rank = p->parent_rank;
        }
    }
    if (c->ngroups > 1)
        qsort(c->groups, (size_t)c->ngroups, sizeof *c->groups, cmp_group);
    if (c->ngroups == 0 || c->groups[0].parent_label[0] != '\0')
        return snprintf(why, whylen, "no launched group in the trace"), -1;
    int pid = 0;
    for (int g = 0; g < c->ngroups; g++) {
        c->groups[g].first_pid = pid;
        c->groups[g].root_proc = -1;
        pid += c->groups[g].size;
        c->groups[g].parent =
            c->groups[g].parent_label[0] == '\0' ? -1 : find_group(c, mkt_hash_str(c->groups[g].parent_label));
    }
    c->nprocs = pid;
    c->pid_of = malloc(c->nin * sizeof *c->pid_of + 1);
    c->proc_at_pid = malloc((size_t)pid * sizeof *c->proc_at_pid + 1);
    if (c->pid_of == NULL || c->proc_at_pid == NULL)
        return snprintf(why, whylen, "out of memory"), -1;
    for (int i = 0; i < pid; i++)
        c->proc_at_pid[i] = -1;
    for (size_t i = 0; i < c->nin; i++) {
        int g = find_group(c, mkt_hash_str(c->in[i].label));
        int r = c->in[i].rank;
        if (r < 0 || r >= c->groups[g].size || c->proc_at_pid[c->groups[g].first_pid + r] >= 0)
            return snprintf(why, whylen, "group %s: rank %d twice or out of range", c->groups[g].label, r), -1;
        c->pid_of[i] = c->groups[g].first_pid + r;
        c->proc_at_pid[c->pid_of[i]] = (int)i;
        if (r == 0)
            c->groups[g].root_proc = (int)i;
    }
    if (c->groups[0].root_proc < 0)
        return snprintf(why, whylen, "rank 0 of the launched group is missing"), -1;
    c->clock_src = malloc(c->nin * sizeof *c->clock_src + 1);
    if (c->clock_src == NULL)
        return snprintf(why, whylen, "out of memory"), -1;
    for (size_t i = 0; i < c->nin; i++) {
        c->clock_src[i] = (int)i;
        const mkt_proc *p = &c->in[i];
        if (p->clock.exact || p->clock.measured)
            continue;
        int best = -1; /* only one process per kernel and group measures: the lowest rank */
        for (size_t j = 0; j < c->nin; j++) {
            const mkt_proc *q = &c->in[j];
            if (q->boot == p->boot && q->clock.measured && strcmp(q->label, p->label) == 0 &&
                (best < 0 || q->rank < c->in[best].rank))
                best = (int)j;
        }
        if (best >= 0)
            c->clock_src[i] = best;
    }
    c->ref_boot = c->in[c->groups[0].root_proc].boot;
    return 0;
}

/* Local time of input process i -> the reference clock; *err accumulates the error bound. */
static int64_t to_reference(const merge_ctx *c, size_t i, int64_t t, int64_t *err)
{
    const mkt_proc *p = &c->in[i];
    for (int depth = 0; depth < 256; depth++) {
        if (p->boot == c->ref_boot)
            return t; /* the same kernel as the reference: the same CLOCK_MONOTONIC */
        const mkt_clockmap *m = &c->in[c->clock_src[p - c->in]].clock;
        *err += mkt_clock_error(m, t);
        t = mkt_clock_apply(m, t); /* -> the group's rank 0 */
        int g = find_group(c, mkt_hash_str(p->label));
        const group_info *gi = &c->groups[g];
        if (gi->parent < 0 || gi->root_proc < 0)
            return t;
        const mkt_proc *root = &c->in[gi->root_proc];
        *err += mkt_clock_error(&root->parent_clock, t);
        t = mkt_clock_apply(&root->parent_clock, t); /* -> the spawning root */
        int at = c->groups[gi->parent].first_pid + gi->parent_rank;
        if (gi->parent_rank < 0 || at >= c->nprocs || c->proc_at_pid[at] < 0)
            return t;
        p = &c->in[c->proc_at_pid[at]];
    }
    return t;
}

/* The pid of world rank `rank` of the group `gref` in process p's table, or a MKT_PEER_*. */
static int peer_pid(const merge_ctx *c, const mkt_proc *p, int gref, int rank)
{
    if (rank < 0)
        return rank;
    if (gref < 0 || (uint32_t)gref >= p->ngroups)
        return MKT_PEER_NONE;
    int g = find_group(c, p->groups[gref].hash);
    if (g < 0 || rank >= c->groups[g].size)
        return MKT_PEER_NONE;
    return c->groups[g].first_pid + rank;
}

/* ---- growable arrays ---- */

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap == 0 ? 256 : *cap;
    while (cap2 < need)
        cap2 *= 2;
    void *w = realloc(*v, cap2 * elem);
    if (w == NULL)
        return -1;
    *v = w;
    *cap = cap2;
    return 0;
}

#define PUSH(vec, n, cap, item)                                                                                        \
    (grow((void **)&(vec), &(cap), (n) + 1, sizeof *(vec)) == 0 ? ((vec)[(n)++] = (item), 0) : -1)

/* ---- communicators: agreed ids -> small indices in order of first use ---- */

static int comm_index(mkt_trace *t, mkt_map *known, uint64_t id, int kind)
{
    int64_t at;
    if (mkt_map_get(known, id, &at))
        return (int)at;
    if (mkt_map_put(known, id, t->ncomms) != 0)
        return -1;
    uint64_t *ids = realloc(t->comm_ids, (size_t)(t->ncomms + 1) * sizeof *ids);
    if (ids == NULL)
        return -1;
    t->comm_ids = ids;
    int *kinds = realloc(t->comm_kind, (size_t)(t->ncomms + 1) * sizeof *kinds);
    if (kinds == NULL)
        return -1;
    t->comm_kind = kinds;
    t->comm_ids[t->ncomms] = id;
    t->comm_kind[t->ncomms] = kind;
    return t->ncomms++;
}

/* The id of comm index ci of process (input) i: agreed, or private to the process. */
static uint64_t comm_id(const mkt_proc *p, size_t i, uint32_t ci, int *kind)
{
    if (ci >= p->ncomms) {
        *kind = 4;
        return mkt_hash(&ci, sizeof ci, 0x9e3779b97f4a7c15ULL ^ i) | 1;
    }
    *kind = p->comms[ci].kind;
    if (p->comms[ci].id != 0)
        return p->comms[ci].id;
    return mkt_hash(&ci, sizeof ci, 0x9e3779b97f4a7c15ULL ^ i) | 1;
}

/* ---- events -> slices, sends, receives, collective parts, completions ---- */

typedef struct {
    mkt_map comm_at; /* agreed id -> index in t->comm_ids */
    slice_vec slices;
    p2p_half *sends, *recvs;
    size_t nsends, capsends, nrecvs, caprecvs;
    coll_part *colls;
    size_t ncolls, capcolls;
    done_rec *dones;
    size_t ndones, capdones;
} parts;

static int add_call(mkt_trace *t, merge_ctx *c, parts *w, size_t i, const mkt_event *e, int64_t zero)
{
    const mkt_proc *p = &c->in[i];
    int64_t err = 0;
    mkt_slice s;
    memset(&s, 0, sizeof s);
    s.pid = c->pid_of[i];
    s.tid = e->thread;
    s.func = e->func;
    s.t0 = to_reference(c, i, e->t0, &err) - zero;
    s.t1 = to_reference(c, i, e->t1, &err) - zero;
    if (s.t1 < s.t0)
        s.t1 = s.t0;
    s.sbytes = e->sbytes;
    s.rbytes = e->rbytes;
    s.peer = peer_pid(c, p, e->group, e->peer);
    s.tag = e->tag;
    int kind;
    uint64_t cid = comm_id(p, i, e->comm, &kind);
    s.comm = comm_index(t, &w->comm_at, cid, kind);
    s.seq = e->seq;
    s.req = e->req;
    s.count = e->count;
    s.flags = e->flags;
    s.instance = -1;
    if (s.comm < 0 || PUSH(w->slices.v, w->slices.n, w->slices.cap, s) != 0)
        return -1;
    size_t at = w->slices.n - 1;
    mkt_kind k = mkt_func_kind(e->func);
    if ((k == MKT_K_SEND || k == MKT_K_SENDRECV) && s.peer >= 0) {
        p2p_half h = {s.pid, s.peer, e->tag, cid, e->seq, at, e->sbytes};
        if (PUSH(w->sends, w->nsends, w->capsends, h) != 0)
            return -1;
    }
    if (k == MKT_K_RECV && e->req == 0 && s.peer >= 0) { /* blocking: complete here */
        p2p_half h = {s.peer, s.pid, e->tag, cid, e->seq, at, e->rbytes};
        if (PUSH(w->recvs, w->nrecvs, w->caprecvs, h) != 0)
            return -1;
    }
    if (k == MKT_K_COLL) {
        coll_part cp = {cid, e->seq, s.pid, s.peer, e->tag, mkt_func_shape(e->func), at, e->req ? (size_t)-1 : at};
        if (PUSH(w->colls, w->ncolls, w->capcolls, cp) != 0)
            return -1;
    }
    return 0;
}

/* The receive half of a Sendrecv (follows its CALL). */
static int add_recv_part(merge_ctx *c, parts *w, size_t i, const mkt_event *e)
{
    if (w->slices.n == 0)
        return 0;
    size_t at = w->slices.n - 1;
    mkt_slice *s = &w->slices.v[at];
    s->rbytes += e->rbytes;
    int src = peer_pid(c, &c->in[i], e->group, e->peer);
    if (src < 0)
        return 0;
    int kind;
    p2p_half h = {src, s->pid, e->tag, comm_id(&c->in[i], i, e->comm, &kind), e->seq, at, e->rbytes};
    return PUSH(w->recvs, w->nrecvs, w->caprecvs, h);
}

static int add_done(merge_ctx *c, parts *w, size_t i, const mkt_event *e)
{
    if (w->slices.n == 0)
        return 0;
    done_rec d = {c->pid_of[i], e->req, w->slices.n - 1, peer_pid(c, &c->in[i], e->group, e->peer), e->tag, e->rbytes};
    w->slices.v[w->slices.n - 1].rbytes += e->rbytes;
    return PUSH(w->dones, w->ndones, w->capdones, d);
}

static int collect_parts(mkt_trace *t, merge_ctx *c, parts *w, int64_t zero)
{
    for (size_t i = 0; i < c->nin; i++) {
        const mkt_proc *p = &c->in[i];
        int have_call = 0;
        for (size_t k = 0; k < p->nevents; k++) {
            const mkt_event *e = &p->events[k];
            int rc = 0;
            if (e->type == MKT_R_CALL) {
                rc = add_call(t, c, w, i, e, zero);
                have_call = 1;
            } else if (e->type == MKT_R_RECV && have_call) {
                rc = add_recv_part(c, w, i, e);
            } else if (e->type == MKT_R_DONE && have_call) {
                rc = add_done(c, w, i, e);
            }
            if (rc != 0)
                return -1;
        }
    }
    return 0;
}

/* ---- sorting slices by (pid, t0) and renumbering every reference ---- */

static int cmp_slice_index(const void *a, const void *b, void *base)
{
    const mkt_slice *v = base;
    const mkt_slice *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    if (x->t1 != y->t1)
        return x->t1 < y->t1 ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int sort_slices(mkt_trace *t, parts *w)
{
    size_t n = w->slices.n;
    size_t *order = malloc((n + 1) * sizeof *order), *rank = malloc((n + 1) * sizeof *rank);
    mkt_slice *sorted = calloc(n + 1, sizeof *sorted);
    if (order == NULL || rank == NULL || sorted == NULL) {
        free(order);
        free(rank);
        free(sorted);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n > 1)
        qsort_r(order, n, sizeof *order, cmp_slice_index, w->slices.v);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = w->slices.v[order[i]];
        rank[order[i]] = i;
    }
    for (size_t i = 0; i < w->nsends; i++)
        w->sends[i].slice = rank[w->sends[i].slice];
    for (size_t i = 0; i < w->nrecvs; i++)
        w->recvs[i].slice = rank[w->recvs[i].slice];
    for (size_t i = 0; i < w->ncolls; i++) {
        w->colls[i].entry = rank[w->colls[i].entry];
        if (w->colls[i].exit != (size_t)-1)
            w->colls[i].exit = rank[w->colls[i].exit];
    }
    for (size_t i = 0; i < w->ndones; i++)
        w->dones[i].slice = rank[w->dones[i].slice];
    free(w->slices.v);
    free(order);
    free(rank);
    w->slices.v = sorted;
    w->slices.cap = n + 1;
    t->slices = sorted;
    t->nslices = n;
    return 0;
}

/* ---- completions: which call completed each request ---- */

static int cmp_done(const void *a, const void *b)
{
    const done_rec *x = a, *y = b;
    if (x->slice != y->slice)
        return x->slice < y->slice ? -1 : 1;
    return x->req < y->req ? -1 : (x->req > y->req);
}

/* The completing slice of request (pid, req): dones sorted by (pid, req) in `by_req`. */
static const done_rec *find_done(const done_rec *by_req, size_t n, int pid, uint32_t req)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_req[mid].pid < pid || (by_req[mid].pid == pid && by_req[mid].req < req))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && by_req[lo].pid == pid && by_req[lo].req == req ? &by_req[lo] : NULL;
}

static int cmp_done_req(const void *a, const void *b)
{
    const done_rec *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->req != y->req)
        return x->req < y->req ? -1 : 1;
    return x->slice < y->slice ? -1 : (x->slice > y->slice);
}

/* Non-blocking receives and collectives complete in the slice that completed their request. */
static int resolve_requests(mkt_trace *t, parts *w)
{
    if (w->ndones > 1)
        qsort(w->dones, w->ndones, sizeof *w->dones, cmp_done_req);
    for (size_t i = 0; i < t->nslices; i++) {
        const mkt_slice *s = &t->slices[i];
        if (s->req == 0)
            continue;
        const done_rec *d = find_done(w->dones, w->ndones, s->pid, s->req);
        if (d == NULL)
            continue;
        mkt_kind k = mkt_func_kind(s->func);
        if (k == MKT_K_RECV && d->peer >= 0) {
            p2p_half h = {d->peer, s->pid, d->tag, t->comm_ids[s->comm], s->seq, d->slice, d->rbytes};
            if (PUSH(w->recvs, w->nrecvs, w->caprecvs, h) != 0)
                return -1;
        }
    }
    for (size_t i = 0; i < w->ncolls; i++) {
        coll_part *cp = &w->colls[i];
        if (cp->exit != (size_t)-1)
            continue;
        const done_rec *d = find_done(w->dones, w->ndones, cp->pid, t->slices[cp->entry].req);
        cp->exit = d != NULL ? d->slice : cp->entry;
    }
    /* each slice's completed requests, in slice order */
    if (w->ndones > 1)
        qsort(w->dones, w->ndones, sizeof *w->dones, cmp_done);
    t->done = calloc(w->ndones + 1, sizeof *t->done);
    if (t->done == NULL)
        return -1;
    for (size_t i = 0; i < w->ndones; i++) {
        mkt_slice *s = &t->slices[w->dones[i].slice];
        if (s->ndone == 0)
            s->first_done = i;
        s->ndone++;
        t->done[i] = w->dones[i].req;
    }
    t->ndone = w->ndones;
    return 0;
}

/* ---- messages ---- */

static int cmp_half(const void *a, const void *b)
{
    const p2p_half *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->dst != y->dst)
        return x->dst < y->dst ? -1 : 1;
    if (x->comm != y->comm)
        return x->comm < y->comm ? -1 : 1;
    if (x->tag != y->tag)
        return x->tag < y->tag ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int same_channel(const p2p_half *x, const p2p_half *y)
{
    return x->src == y->src && x->dst == y->dst && x->comm == y->comm && x->tag == y->tag;
}

static int add_flow(mkt_trace *t, size_t *cap, size_t from, size_t to, int64_t bytes, int tag, mkt_flow_kind kind)
{
    mkt_flow f = {from, to, t->slices[from].t0, t->slices[to].t1, bytes, tag, kind};
    if (f.t_to < f.t_from)
        t->backward_flows++;
    return PUSH(t->flows, t->nflows, *cap, f);
}

static int match_messages(mkt_trace *t, parts *w, size_t *flow_cap)
{
    if (w->nsends > 1)
        qsort(w->sends, w->nsends, sizeof *w->sends, cmp_half);
    if (w->nrecvs > 1)
        qsort(w->recvs, w->nrecvs, sizeof *w->recvs, cmp_half);
    size_t i = 0, j = 0;
    while (i < w->nsends && j < w->nrecvs) {
        int c = cmp_half(&w->sends[i], &w->recvs[j]);
        if (same_channel(&w->sends[i], &w->recvs[j])) {
            if (add_flow(t, flow_cap, w->sends[i].slice, w->recvs[j].slice, w->recvs[j].bytes, w->sends[i].tag,
                         MKT_FLOW_MSG) != 0)
                return -1;
            i++;
            j++;
        } else if (c < 0) {
            t->unmatched_sends++;
            i++;
        } else {
            t->unmatched_recvs++;
            j++;
        }
    }
    t->unmatched_sends += w->nsends - i;
    t->unmatched_recvs += w->nrecvs - j;
    return 0;
}

/* ---- collectives ---- */

static int cmp_coll(const void *a, const void *b)
{
    const coll_part *x = a, *y = b;
    if (x->comm != y->comm)
        return x->comm < y->comm ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    if (x->comm_rank != y->comm_rank)
        return x->comm_rank < y->comm_rank ? -1 : 1;
    return x->pid < y->pid ? -1 : (x->pid > y->pid);
}

/* The arrows of one instance parts[0..n): who had to wait for whom. */
static int coll_flows(mkt_trace *t, size_t *cap, const coll_part *p, size_t n)
{
    int shape = p[0].shape;
    size_t root = n;
    for (size_t k = 0; k < n && shape != MKT_C_ALL && shape != MKT_C_SCAN; k++)
        if (p[k].root == MKT_PEER_ROOT || p[k].root == p[k].pid)
            root = k;
    if (shape == MKT_C_FROM_ROOT || shape == MKT_C_TO_ROOT) {
        if (root == n)
            return 0;
        for (size_t k = 0; k < n; k++) {
            if (k == root || p[k].root == MKT_PEER_NULL)
                continue;
            int rc = shape == MKT_C_FROM_ROOT
                         ? add_flow(t, cap, p[root].entry, p[k].exit, t->slices[p[k].exit].rbytes, -1, MKT_FLOW_COLL)
                         : add_flow(t, cap, p[k].entry, p[root].exit, t->slices[p[k].entry].sbytes, -1, MKT_FLOW_COLL);
            if (rc != 0)
                return -1;
        }
        return 0;
    }
    if (shape == MKT_C_SCAN) {
        for (size_t k = 1; k < n; k++)
            if (add_flow(t, cap, p[k - 1].entry, p[k].exit, t->slices[p[k - 1].entry].sbytes, -1, MKT_FLOW_COLL) != 0)
                return -1;
        return 0;
    }
    size_t last = 0; /* the last to arrive: everyone leaves after it came */
    for (size_t k = 1; k < n; k++)
        if (t->slices[p[k].entry].t0 > t->slices[p[last].entry].t0)
            last = k;
    for (size_t k = 0; k < n; k++)
        if (k != last && add_flow(t, cap, p[last].entry, p[k].exit, 0, -1, MKT_FLOW_COLL) != 0)
            return -1;
    return 0;
}

static int group_collectives(mkt_trace *t, parts *w, size_t *cap)
{
    if (w->ncolls > 1)
        qsort(w->colls, w->ncolls, sizeof *w->colls, cmp_coll);
    int64_t instance = 0;
    for (size_t i = 0; i < w->ncolls;) {
        size_t j = i + 1;
        while (j < w->ncolls && w->colls[j].comm == w->colls[i].comm && w->colls[j].seq == w->colls[i].seq)
            j++;
        for (size_t k = i; k < j; k++) {
            t->slices[w->colls[k].entry].instance = instance;
            t->slices[w->colls[k].exit].instance = instance;
        }
        if (j - i > 1 && coll_flows(t, cap, &w->colls[i], j - i) != 0)
            return -1;
        instance++;
        i = j;
    }
    return 0;
}

/* ---- processes ---- */

static int fill_processes(mkt_trace *t, merge_ctx *c, int64_t zero)
{
    t->procs = calloc((size_t)c->nprocs + 1, sizeof *t->procs);
    t->groups = calloc((size_t)c->ngroups + 1, sizeof *t->groups);
    if (t->procs == NULL || t->groups == NULL)
        return -1;
    t->nprocs = c->nprocs;
    t->ngroups = c->ngroups;
    for (int g = 0; g < c->ngroups; g++) {
        snprintf(t->groups[g].label, MKT_LABEL_MAX, "%s", c->groups[g].label);
        t->groups[g].parent = c->groups[g].parent;
        t->groups[g].parent_rank = c->groups[g].parent_rank;
        t->groups[g].size = c->groups[g].size;
        t->groups[g].first_pid = c->groups[g].first_pid;
        for (int r = 0; r < c->groups[g].size; r++) {
            t->procs[c->groups[g].first_pid + r].group = g;
            t->procs[c->groups[g].first_pid + r].rank = r;
        }
    }
    t->t_begin = INT64_MAX;
    t->t_end = INT64_MIN;
    uint64_t *hosts = calloc(c->nin + 1, sizeof *hosts);
    if (hosts == NULL)
        return -1;
    for (size_t i = 0; i < c->nin; i++) {
        mkt_process *q = &t->procs[c->pid_of[i]];
        int64_t err = 0, err_final = 0;
        q->t_init = to_reference(c, i, c->in[i].t_init, &err) - zero;
        q->t_final = to_reference(c, i, c->in[i].t_final, &err_final) - zero;
        if (err_final > err)
            err = err_final;
        q->clock_error = err;
        q->dropped = c->in[i].dropped;
        snprintf(q->host, sizeof q->host, "%s", c->in[i].host);
        if (err > t->clock_error)
            t->clock_error = err;
        if (q->t_init < t->t_begin)
            t->t_begin = q->t_init;
        if (q->t_final > t->t_end)
            t->t_end = q->t_final;
        int seen = 0;
        for (int h = 0; h < t->nhosts; h++)
            seen |= hosts[h] == c->in[i].boot;
        if (!seen)
            hosts[t->nhosts++] = c->in[i].boot;
    }
    free(hosts);
    snprintf(t->program, sizeof t->program, "%s", c->in[c->groups[0].root_proc].program);
    snprintf(t->command, sizeof t->command, "%s", c->in[c->groups[0].root_proc].command);
    if (t->command[0] == '\0')
        snprintf(t->command, sizeof t->command, "%s", t->program);
    return 0;
}

static int64_t earliest_time(merge_ctx *c)
{
    int64_t zero = INT64_MAX;
    for (size_t i = 0; i < c->nin; i++) {
        int64_t err = 0, t0 = to_reference(c, i, c->in[i].t_init, &err);
        for (size_t k = 0; k < c->in[i].nevents; k++)
            if (c->in[i].events[k].type == MKT_R_CALL) {
                int64_t e = to_reference(c, i, c->in[i].events[k].t0, &err);
                if (e < t0)
                    t0 = e;
            }
        if (t0 < zero)
            zero = t0;
    }
    return zero == INT64_MAX ? 0 : zero;
}

static void free_parts(parts *w)
{
    mkt_map_free(&w->comm_at);
    free(w->sends);
    free(w->recvs);
    free(w->colls);
    free(w->dones);
}

int mkt_trace_build(mkt_trace *t, mkt_proc *procs, size_t nprocs, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    merge_ctx c = {procs, nprocs, NULL, 0, NULL, NULL, NULL, 0, 0};
    parts w;
    memset(&w, 0, sizeof w);
    int rc = build_groups(&c, why, whylen);
    int64_t zero = rc == 0 ? earliest_time(&c) : 0;
    size_t flow_cap = 0;
    if (rc == 0 && (fill_processes(t, &c, zero) != 0 || collect_parts(t, &c, &w, zero) != 0 ||
                    sort_slices(t, &w) != 0 || resolve_requests(t, &w) != 0 || match_messages(t, &w, &flow_cap) != 0 ||
                    group_collectives(t, &w, &flow_cap) != 0)) {
        snprintf(why, whylen, "out of memory while merging the trace");
        rc = -1;
    }
    if (t->slices != w.slices.v)
        free(w.slices.v);
    free_parts(&w);
    free(c.groups);
    free(c.pid_of);
    free(c.proc_at_pid);
    free(c.clock_src);
    if (rc != 0)
        mkt_trace_free(t);
    return rc;
}

void mkt_trace_free(mkt_trace *t)
{
    free(t->procs);
    free(t->groups);
    free(t->slices);
    free(t->flows);
    free(t->done);
    free(t->comm_ids);
    free(t->comm_kind);
    memset(t, 0, sizeof *t);
}

const char *mkt_process_name(const mkt_trace *t, int pid, char *buf, size_t len)
{
    if (pid < 0 || pid >= t->nprocs) {
        snprintf(buf, len, "%s", pid == MKT_PEER_ANY ? "any" : pid == MKT_PEER_ROOT ? "root" : "none");
        return buf;
    }
    const mkt_process *p = &t->procs[pid];
    if (p->group == 0)
        snprintf(buf, len, "rank %d", p->rank);
    else
        snprintf(buf, len, "spawned %s rank %d", t->groups[p->group].label, p->rank);
    return buf;
}

const char *mkt_comm_name(const mkt_trace *t, int comm, char *buf, size_t len)
{
    if (comm < 0 || comm >= t->ncomms) {
        snprintf(buf, len, "?");
        return buf;
    }
    switch (t->comm_kind[comm]) {
    case 0: snprintf(buf, len, "world"); break;
    case 1: snprintf(buf, len, "self"); break;
    case 3: snprintf(buf, len, "intercomm %d", comm); break;
    case 4: snprintf(buf, len, "comm %d (unregistered)", comm); break;
    default: snprintf(buf, len, "comm %d", comm); break;
    }
    return buf;
}
