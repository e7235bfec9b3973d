/* walk_net.c - the message layer of the distributed walk: non-blocking sends, background
 * traffic (streamed output and progress to rank 0), Safra's token, and the final drain. */
#include "mpikit/walk_net.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpikit/timing.h"

enum { STREAM_FLUSH_BYTES = 32 * 1024 };
static const double STREAM_FLUSH_SECONDS = 0.5;
static const double PROGRESS_DRAW_SECONDS = 0.25;
static const double PROGRESS_REPORT_SECONDS = 0.5;
static const double IDLE_SLEEP_MAX = 5e-4;
enum { IDLE_SPINS = 1000 };   /* polls (~0.2 ms) before the first sleep: a reply is often close */

void mk_walk_msg_free(mk_walk_msg *m)
{
    free(m->buf);
    m->buf = NULL;
    m->len = 0;
}

static int fail(mk_walk_rank *r)
{
    r->failed = 1;
    return -1;
}

int mk_walk_rank_init(mk_walk_rank *r, MPI_Comm comm, const mk_walk_setup *setup, mk_err *err)
{
    memset(r, 0, sizeof *r);
    if (MPI_Comm_dup(comm, &r->comm) != MPI_SUCCESS)
        return mk_err_set(err, MK_EXIT_FAILURE, "MPI_Comm_dup failed");
    MPI_Comm_set_errhandler(r->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(r->comm, &r->rank);
    MPI_Comm_size(r->comm, &r->size);
    mk_walker_init(&r->walker, &setup->filter, setup->prog, stderr, setup->output != MK_WALK_OUT_NONE);
    r->walker.want_bytes = setup->bytes;
    mk_dirstack_init(&r->stack);
    mk_pathlist_init(&r->matches);
    mk_rng_init(&r->rng, setup->seed ^ UINT64_C(0x9e3779b97f4a7c15), (uint64_t)r->rank << 32);
    r->output = setup->output;
    r->out = r->rank == 0 ? stdout : NULL;
    r->term = setup->term;
    int progress = setup->progress;
    MPI_Bcast(&progress, 1, MPI_INT, 0, r->comm);
    r->progress_on = progress;
    r->progress = progress && r->rank == 0 ? stderr : NULL;
    r->started = r->last_draw = r->last_report = r->last_flush = mk_now();
    size_t n = (size_t)r->size;
    r->sent_to = calloc(n, sizeof *r->sent_to);
    r->recv_from = calloc(n, sizeof *r->recv_from);
    r->seen_entries = calloc(n, sizeof *r->seen_entries);
    r->seen_dirs = calloc(n, sizeof *r->seen_dirs);
    int bad = r->sent_to == NULL || r->recv_from == NULL || r->seen_entries == NULL || r->seen_dirs == NULL;
    if (bad)
        mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    return mk_err_agree(r->comm, err) == 0 ? 0 : -1;
}

/* ---- sending ------------------------------------------------------------------------ */

/* Free the buffers of completed sends. */
static int reap(mk_walk_rank *r)
{
    int w = 0;
    for (int i = 0; i < r->nreqs; i++) {
        int done = 0;
        if (MPI_Test(&r->reqs[i], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return fail(r);
        if (done) {
            free(r->req_bufs[i]);
        } else {
            r->reqs[w] = r->reqs[i];
            r->req_bufs[w] = r->req_bufs[i];
            w++;
        }
    }
    r->nreqs = w;
    return 0;
}

int mk_walk_send(mk_walk_rank *r, int dest, int tag, char *buf, size_t len)
{
    if (len > INT_MAX) {
        free(buf);
        return fail(r);
    }
    if (r->nreqs == r->reqs_cap && reap(r) == 0 && r->nreqs == r->reqs_cap) {
        int cap = r->reqs_cap ? r->reqs_cap * 2 : 16;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): MPI_Request is a handle (a pointer) by design */
        MPI_Request *q = realloc(r->reqs, (size_t)cap * sizeof *q);
        if (q != NULL)
            r->reqs = q;
        char **b = realloc(r->req_bufs, (size_t)cap * sizeof *b);
        if (b != NULL)
            r->req_bufs = b;
        if (q == NULL || b == NULL) {
            free(buf);
            return fail(r);
        }
        r->reqs_cap = cap;
    }
    if (r->failed || r->nreqs == r->reqs_cap) {
        free(buf);
        return fail(r);
    }
    if (MPI_Isend(buf, (int)len, MPI_BYTE, dest, tag, r->comm, &r->reqs[r->nreqs]) != MPI_SUCCESS) {
        free(buf);
        return fail(r);
    }
    r->req_bufs[r->nreqs++] = buf;
    r->sent_to[dest]++;
    r->stats.messages++;
    return 0;
}

long mk_walk_send_items(mk_walk_rank *r, int dest, int tag, mk_dirstack *from, size_t k)
{
    char *buf;
    size_t len;
    if (k > from->n)
        k = from->n;
    if (mk_dirstack_pack_bottom(from, k, &buf, &len) != 0)
        return fail(r);
    if (mk_walk_send(r, dest, tag, buf, len) != 0)
        return -1;
    r->stats.dirs_given += k;
    return (long)k;
}

/* ---- streamed output and progress --------------------------------------------------- */

static void print_records(mk_walk_rank *r, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t n = strlen(buf + off);
        fwrite(buf + off, 1, n, r->out);
        fputc(r->term, r->out);
        off += n + 1;
    }
}

/* Rank 0 prints its matches at once; the others send them on in batches. */
static int flush_stream(mk_walk_rank *r, int force)
{
    if (r->output != MK_WALK_OUT_STREAM || r->matches.len == 0)
        return 0;
    if (r->rank == 0) {
        print_records(r, r->matches.data, r->matches.len);
        mk_pathlist_clear(&r->matches);
        return 0;
    }
    double now = mk_now();
    if (!force && r->matches.len < STREAM_FLUSH_BYTES && now - r->last_flush < STREAM_FLUSH_SECONDS)
        return 0;
    r->last_flush = now;
    char *buf = malloc(r->matches.len);
    if (buf == NULL)
        return fail(r);
    memcpy(buf, r->matches.data, r->matches.len);
    int rc = mk_walk_send(r, 0, MK_TAG_OUTPUT, buf, r->matches.len);
    mk_pathlist_clear(&r->matches);
    return rc;
}

static void draw_progress(mk_walk_rank *r, double now, int final, uint64_t entries, uint64_t dirs)
{
    double el = now - r->started;
    fprintf(r->progress, "\r%s: %llu entries, %llu directories, %.0f entries/s, %.1fs%s", r->walker.prog,
            (unsigned long long)entries, (unsigned long long)dirs, el > 0 ? (double)entries / el : 0.0, el,
            final ? "\n" : "  ");
    fflush(r->progress);
    r->last_draw = now;
}

/* Called often: workers report their counts every half second, rank 0 redraws. */
static int tick(mk_walk_rank *r)
{
    if (!r->progress_on)
        return 0;
    double now = mk_now();
    if (r->rank == 0) {
        if (now - r->last_draw < PROGRESS_DRAW_SECONDS)
            return 0;
        uint64_t e = r->walker.totals.entries, d = r->walker.totals.dirs;
        for (int i = 1; i < r->size; i++) {
            e += r->seen_entries[i];
            d += r->seen_dirs[i];
        }
        draw_progress(r, now, 0, e, d);
        return 0;
    }
    if (now - r->last_report < PROGRESS_REPORT_SECONDS)
        return 0;
    r->last_report = now;
    uint64_t *b = malloc(2 * sizeof *b);
    if (b == NULL)
        return fail(r);
    b[0] = r->walker.totals.entries;
    b[1] = r->walker.totals.dirs;
    return mk_walk_send(r, 0, MK_TAG_PROGRESS, (char *)b, 2 * sizeof *b);
}

/* ---- receiving ---------------------------------------------------------------------- */

static int recv_any(mk_walk_rank *r, mk_walk_msg *m, int blocking)
{
    MPI_Message msg;
    MPI_Status st;
    int flag = 1, count;
    int rc = blocking ? MPI_Mprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, r->comm, &msg, &st)
                      : MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, r->comm, &flag, &msg, &st);
    if (rc != MPI_SUCCESS)
        return fail(r);
    if (!flag)
        return 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    m->buf = malloc(count > 0 ? (size_t)count : 1);
    if (m->buf == NULL)
        return fail(r);
    if (MPI_Mrecv(m->buf, count, MPI_BYTE, &msg, &st) != MPI_SUCCESS) {
        mk_walk_msg_free(m);
        return fail(r);
    }
    m->src = st.MPI_SOURCE;
    m->tag = st.MPI_TAG;
    m->len = (size_t)count;
    r->recv_from[m->src]++;
    return 1;
}

/* OUTPUT and PROGRESS are consumed here; 1 when the message was one of them. */
static int background(mk_walk_rank *r, mk_walk_msg *m)
{
    if (m->tag == MK_TAG_OUTPUT) {
        if (r->rank == 0 && r->out != NULL)
            print_records(r, m->buf, m->len);
    } else if (m->tag == MK_TAG_PROGRESS) {
        if (m->len == 2 * sizeof(uint64_t)) {
            memcpy(&r->seen_entries[m->src], m->buf, sizeof(uint64_t));
            memcpy(&r->seen_dirs[m->src], m->buf + sizeof(uint64_t), sizeof(uint64_t));
        }
    } else {
        return 0;
    }
    mk_walk_msg_free(m);
    return 1;
}

int mk_walk_recv(mk_walk_rank *r, mk_walk_msg *m)
{
    if (tick(r) != 0)
        return -1;
    for (;;) {
        int rc = recv_any(r, m, 0);
        if (rc <= 0)
            return rc;
        if (!background(r, m))
            return 1;
    }
}

long mk_walk_take_items(mk_walk_rank *r, const mk_walk_msg *m, mk_dirstack *into)
{
    size_t n;
    if (mk_dirstack_unpack(into, m->buf, m->len, &n) != 0)
        return fail(r);
    r->stats.dirs_taken += n;
    if (n > 0)
        mk_walk_busy(r);
    return (long)n;
}

void mk_walk_busy(mk_walk_rank *r)
{
    r->idle_sleep = 0;
    r->idle_spins = 0;
}

void mk_walk_idle(mk_walk_rank *r)
{
    if (r->nreqs > 0)
        reap(r);
    tick(r);
    /* A sleep gives the core away for a scheduler slice on a loaded machine: poll a while first. */
    if (r->idle_spins < IDLE_SPINS) {
        r->idle_spins++;
        r->idle_sleep = 2e-6;
        return;
    }
    struct timespec ts = {0, (long)(r->idle_sleep * 1e9)};
    nanosleep(&ts, NULL);
    r->idle_sleep = r->idle_sleep * 2 < IDLE_SLEEP_MAX ? r->idle_sleep * 2 : IDLE_SLEEP_MAX;
}

/* ---- reading one directory ---------------------------------------------------------- */

typedef struct {
    mk_walk_rank *r;
    mk_walk_poll_fn poll;
    void *arg;
} poll_wrap;

static int wrapped_poll(void *p)
{
    poll_wrap *w = p;
    if (flush_stream(w->r, 0) != 0 || tick(w->r) != 0)
        return -1;
    return w->poll != NULL ? w->poll(w->arg) : 0;
}

int mk_walk_rank_read(mk_walk_rank *r, mk_walk_item *dir, mk_dirstack *into, mk_walk_poll_fn poll, void *arg)
{
    poll_wrap pw = {r, poll, arg};
    double t0 = mk_now();
    int rc = mk_walk_dir(&r->walker, dir, into != NULL ? into : &r->stack, &r->matches, wrapped_poll, &pw);
    r->stats.busy_seconds += mk_now() - t0;
    mk_walk_item_free(dir);
    mk_walk_busy(r);
    if (rc != 0)
        return fail(r);
    return flush_stream(r, 0);
}

/* ---- termination -------------------------------------------------------------------- */

void mk_walk_count_sent(mk_walk_rank *r)
{
    r->work_count++;
}

void mk_walk_count_received(mk_walk_rank *r)
{
    /* Safra: receiving work blackens the receiver, so the round in flight cannot conclude. */
    r->work_count--;
    r->black = 1;
}

static int send_token(mk_walk_rank *r, const mk_walk_token *t)
{
    char *b = malloc(sizeof *t); /* NOLINT(clang-analyzer-unix.MallocSizeof): the token's bytes, sent as MPI_BYTE */
    if (b == NULL)
        return fail(r);
    memcpy(b, t, sizeof *t);
    return mk_walk_send(r, (r->rank + 1) % r->size, MK_TAG_TOKEN, b, sizeof *t);
}

int mk_walk_token_start(mk_walk_rank *r, int round)
{
    mk_walk_token t = {0, 0, round};
    r->black = 0;
    return send_token(r, &t);
}

int mk_walk_token_pass(mk_walk_rank *r, const mk_walk_token *in)
{
    mk_walk_token t = *in;
    t.count += r->work_count;
    if (r->black)
        t.black = 1;
    r->black = 0;
    return send_token(r, &t);
}

int mk_walk_token_done(const mk_walk_rank *r, const mk_walk_token *t)
{
    return !t->black && !r->black && t->count + r->work_count == 0;
}

int mk_walk_token_read(const mk_walk_msg *m, mk_walk_token *t)
{
    if (m->tag != MK_TAG_TOKEN || m->len != sizeof *t)
        return -1;
    memcpy(t, m->buf, sizeof *t);
    return 0;
}

int mk_walk_send_done(mk_walk_rank *r)
{
    for (int i = 1; i < r->size; i++) {
        char *b = malloc(1);
        if (b == NULL)
            return fail(r);
        b[0] = 0;
        if (mk_walk_send(r, i, MK_TAG_DONE, b, 1) != 0)
            return -1;
    }
    return 0;
}

int mk_walk_wait_all(mk_walk_rank *r)
{
    MPI_Request req;
    if (MPI_Ibarrier(r->comm, &req) != MPI_SUCCESS)
        return fail(r);
    for (;;) {
        int done = 0;
        if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return fail(r);
        if (done)
            return 0;
        mk_walk_msg m;
        int rc = mk_walk_recv(r, &m);
        if (rc < 0)
            return -1;
        if (rc > 0) { /* no strategy message is expected here */
            mk_walk_msg_free(&m);
            return fail(r);
        }
        mk_walk_idle(r);
    }
}

int mk_walk_rank_finish(mk_walk_rank *r, mk_err *err)
{
    int size = r->size;
    int bad = r->failed || flush_stream(r, 1) != 0;
    uint64_t *expect = calloc((size_t)size, sizeof *expect);
    if (expect == NULL || MPI_Alltoall(r->sent_to, 1, MPI_UINT64_T, expect, 1, MPI_UINT64_T, r->comm) != MPI_SUCCESS) {
        /* Without the counts the drain cannot be done safely. */
        free(expect);
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Alltoall of message counts failed");
        return mk_err_agree(r->comm, err) == 0 ? 0 : -1;
    }
    int leftover_work = 0;
    for (int p = 0; p < size && !bad; p++) {
        while (r->recv_from[p] < expect[p]) {
            mk_walk_msg m;
            if (recv_any(r, &m, 1) != 1) {
                bad = 1;
                break;
            }
            if (background(r, &m))
                continue;
            /* A steal request or a "no work" reply may still be in flight; work may not. */
            if ((m.tag == MK_TAG_WORK || m.tag == MK_TAG_REQUEST) && mk_dirstack_packed_count(m.buf, m.len) > 0)
                leftover_work = 1;
            mk_walk_msg_free(&m);
        }
    }
    free(expect);
    if (r->nreqs > 0 && MPI_Waitall(r->nreqs, r->reqs, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
        bad = 1;
    for (int i = 0; i < r->nreqs; i++)
        free(r->req_bufs[i]);
    r->nreqs = 0;
    if (r->out != NULL)
        fflush(r->out);
    if (r->progress_on) {
        uint64_t mine[2] = {r->walker.totals.entries, r->walker.totals.dirs}, sum[2] = {0, 0};
        MPI_Reduce(mine, sum, 2, MPI_UINT64_T, MPI_SUM, 0, r->comm);
        if (r->progress != NULL)
            draw_progress(r, mk_now(), 1, sum[0], sum[1]);
    }
    if (leftover_work)
        mk_err_set(err, MK_EXIT_FAILURE, "internal error: work was still in flight when the walk ended");
    else if (bad)
        mk_err_set(err, MK_EXIT_FAILURE, "communication failed during the walk");
    return mk_err_agree(r->comm, err) == 0 ? 0 : -1;
}

int mk_walk_gather_matches(mk_walk_rank *r, mk_pathlist *all, mk_err *err)
{
    uint64_t mine = r->matches.len;
    uint64_t *lens = NULL;
    int *counts = NULL, *displs = NULL;
    char *buf = NULL;
    if (r->rank == 0) {
        lens = calloc((size_t)r->size, sizeof *lens);
        counts = calloc((size_t)r->size, sizeof *counts);
        displs = calloc((size_t)r->size, sizeof *displs);
        if (lens == NULL || counts == NULL || displs == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    }
    if (mk_err_agree(r->comm, err) != 0)
        goto out;
    MPI_Gather(&mine, 1, MPI_UINT64_T, lens, 1, MPI_UINT64_T, 0, r->comm);
    if (r->rank == 0) {
        uint64_t total = 0;
        for (int i = 0; i < r->size; i++) {
            displs[i] = (int)total;
            counts[i] = (int)lens[i];
            total += lens[i];
            if (total > INT_MAX)
                break;
        }
        if (total > INT_MAX)
            mk_err_set(err, MK_EXIT_FAILURE, "the matched paths exceed 2 GiB: use --unsorted or --count");
        else if ((buf = malloc(total ? (size_t)total : 1)) == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory gathering the matches");
    }
    if (mk_err_agree(r->comm, err) != 0)
        goto out;
    if (MPI_Gatherv(r->matches.data, (int)mine, MPI_BYTE, buf, counts, displs, MPI_BYTE, 0, r->comm) !=
        MPI_SUCCESS)
        mk_err_set(err, MK_EXIT_FAILURE, "MPI_Gatherv of the matches failed");
    if (r->rank == 0 && err->code == 0) {
        uint64_t total = 0;
        for (int i = 0; i < r->size; i++)
            total += lens[i];
        if (mk_pathlist_append_raw(all, buf, (size_t)total) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    }
    mk_err_agree(r->comm, err);
out:
    free(buf);
    free(lens);
    free(counts);
    free(displs);
    return err->code == 0 ? 0 : -1;
}

void mk_walk_rank_free(mk_walk_rank *r)
{
    mk_dirstack_free(&r->stack);
    mk_pathlist_free(&r->matches);
    for (int i = 0; i < r->nreqs; i++)
        free(r->req_bufs[i]);
    free(r->reqs);
    free(r->req_bufs);
    free(r->sent_to);
    free(r->recv_from);
    free(r->seen_entries);
    free(r->seen_dirs);
    if (r->comm != MPI_COMM_NULL)
        MPI_Comm_free(&r->comm);
    memset(r, 0, sizeof *r);
    r->comm = MPI_COMM_NULL;
}
