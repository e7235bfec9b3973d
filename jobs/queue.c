/* queue - multiprocessing.Queue across ranks: producers put() random numbers and strings,
 * consumers get() them, rank 0 hosts the queue; get(block=False) reports Empty.
 *
 *   usage: mpirun -n N queue [--items K] [--producers P] [--threads none|funneled|multiple]
 *
 *   producers (ranks 1..P)          rank 0: the host                consumers (ranks P+1..N-1)
 *   put(x): MPI_Send  --PUT-->   [ FIFO of items ]   <--GET--  one request outstanding
 *   ...                             per-producer order   --ITEM-->  get(block=False):
 *   END(count) ------PUT-->      END from everyone      --DONE-->  MPI_Iprobe for the reply;
 *                                + FIFO empty = DONE               nothing there = Empty
 *
 * Shutdown: a producer's last message is END(count); the host answers DONE only when every
 * producer has ended and the FIFO is empty; a consumer sends a new GET only after a reply, and
 * none after DONE. So every message sent is received and nothing is lost. With one rank,
 * rank 0 is host, producer and consumer, and no message is sent. With two, rank 1 produces and
 * rank 0 also consumes, straight from its FIFO.
 *
 * --threads: every rank also runs a pthread producer. funneled: only the main thread calls MPI,
 * so the thread hands items to the main thread (a mutex-protected buffer), which sends them;
 * multiple: the thread calls MPI_Send itself while the main thread probes and receives.
 * At the end every consumer's items are gathered to rank 0 and checked: each put item received
 * exactly once, unchanged, and in its producer's order within each consumer.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/queue.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"

/* The tables a run can make, for --table; the main result first. */
#define QUEUE_TABLES "check|ranks|items"

enum { TAG_PUT = 11, TAG_GET = 12, TAG_REPLY = 13 };
enum { THREADS_NONE = 0, THREADS_FUNNELED = 1, THREADS_MULTIPLE = 2 };

typedef struct {
    int64_t items, producers, seed;
    double delay, poll;
    int threads, blocking, verbose, format, table;
} options;

/* Who does what on this rank. */
typedef struct {
    int nproducers;       /* producer ids 0..nproducers-1 */
    int producer_id;      /* this rank's producer (main or thread), -1 for none */
    int remote_consumer;  /* this rank gets items from rank 0 by request */
    int local_consumer;   /* rank 0 gets straight from its FIFO */
    int nremote;          /* number of remote consumer ranks */
} roles;

/* The funneled hand-off: the thread appends, the main thread drains. */
typedef struct {
    pthread_mutex_t lock;
    mk_qitem *buf;
    size_t written, read;
} handoff;

typedef struct {
    const options *o;
    MPI_Comm comm;
    int producer_id;
    handoff *ho;          /* funneled */
    int send_error;
} producer_thread;

typedef struct {
    mk_qitem *got;
    size_t ngot, cap;
    uint64_t put, empty;
} tally;

static int parse_options(int argc, char **argv, FILE *out, options *o, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .items = 20, .producers = 0, .seed = 42, .poll = 100e-6};
    const mk_option opts[] = {
        {"items", 'k', MK_OPT_INT, &o->items, "K", "items each producer puts (default 20)", 0, 10000000, 0, 0, NULL},
        {"producers", 'p', MK_OPT_INT, &o->producers, "P",
         "producer ranks 1..P (default: half of ranks 1..N-1, rounded up; the rest consume)", 0, 1 << 20, 0, 0,
         NULL},
        {"threads", 0, MK_OPT_CHOICE, &o->threads, "LEVEL",
         "none (default); funneled or multiple: a pthread producer in every rank", 0, 0, 0, 0,
         "none|funneled|multiple"},
        {"blocking", 'b', MK_OPT_FLAG, &o->blocking, NULL, "consumers use get(block=True) (MPI_Recv), never Empty", 0,
         0, 0, 0, NULL},
        {"delay", 0, MK_OPT_DURATION, &o->delay, "DUR", "producers wait this long between puts (default 0)", 0, 0,
         0, 10, NULL},
        {"poll", 0, MK_OPT_DURATION, &o->poll, "DUR", "a consumer's pause after Empty (default 100us)", 0, 0, 0, 1,
         NULL},
        {"seed", 0, MK_OPT_INT, &o->seed, "S", "random seed of the items (default 42)", 0, INT64_MAX, 0, 0, NULL},
        {"verbose", 'v', MK_OPT_FLAG, &o->verbose, NULL, "also list every item received, by consumer", 0, 0, 0, 0,
         NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "output format: text (default), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, QUEUE_TABLES),
    };
    const mk_cli cli = {
        .prog = "queue",
        .usage = "[options]",
        .summary = "A Queue hosted by rank 0: producer ranks put numbers and strings, consumer ranks get\n"
                   "them (get(block=False) reports Empty); a clean shutdown; every item checked.\n"
                   "Run it as: mpirun -n 4 queue --items 100   or   mpirun -n 3 queue --threads multiple",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = 0,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, NULL, NULL, err);
    if (rc == MK_CLI_OK && (mk_table_check_format(o->format, o->table, err) != 0 ||
                            mk_table_require(QUEUE_TABLES, o->table, "items", o->verbose, "needs --verbose", err) != 0))
        return MK_CLI_ERROR;
    if (rc == MK_CLI_OK && o->blocking && o->threads == THREADS_FUNNELED)
        return mk_err_set(err, MK_EXIT_USAGE,
                          "--blocking with --threads funneled would deadlock: a consumer blocked in MPI_Recv "
                          "cannot forward its thread's items");
    return rc;
}

static roles assign_roles(const options *o, int rank, int size, mk_err *err)
{
    roles r = {0, -1, 0, 0, 0};
    if (o->threads != THREADS_NONE) {
        /* every rank has a producer thread; ranks 1.. consume; alone, rank 0 consumes */
        r.nproducers = size;
        r.producer_id = rank;
        r.remote_consumer = rank > 0;
        r.local_consumer = size == 1 && rank == 0;
        r.nremote = size - 1;
        return r;
    }
    if (size == 1) {
        r.nproducers = 1;
        r.producer_id = 0;
        r.local_consumer = 1;
        return r;
    }
    int np = o->producers > 0 ? (int)o->producers : size / 2;
    if (np > size - 1) {
        mk_err_set(err, MK_EXIT_USAGE, "--producers %d needs at least %d ranks (rank 0 hosts the queue)", np, np + 1);
        return r;
    }
    r.nproducers = np;
    r.producer_id = rank >= 1 && rank <= np ? rank - 1 : -1;
    r.remote_consumer = rank > np;
    r.nremote = size - 1 - np;
    r.local_consumer = rank == 0 && r.nremote == 0;
    return r;
}

static void nap(double seconds)
{
    if (seconds <= 0) {
        sched_yield();
        return;
    }
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

static int record(tally *t, const mk_qitem *it, int consumer)
{
    if (t->ngot == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        mk_qitem *g = realloc(t->got, cap * sizeof *g);
        if (g == NULL)
            return -1;
        t->got = g;
        t->cap = cap;
    }
    t->got[t->ngot] = *it;
    t->got[t->ngot++].consumer = consumer;
    return 0;
}

/* A protocol violation is a bug in this program, not a user error: stop everything. */
static void protocol_failure(MPI_Comm comm, const char *what) __attribute__((noreturn));
static void protocol_failure(MPI_Comm comm, const char *what)
{
    fprintf(stderr, "queue: error: %s\n", what);
    MPI_Abort(comm, MK_EXIT_FAILURE);
    exit(MK_EXIT_FAILURE); /* MPI_Abort is not declared noreturn: never carry on with what failed */
}

static void send_item(MPI_Comm comm, const mk_qitem *it, int dest, int tag)
{
    unsigned char buf[MK_QUEUE_MSG_MAX];
    size_t len = mk_qitem_encode(it, buf, sizeof buf);
    if (len == 0 || MPI_Send(buf, (int)len, MPI_BYTE, dest, tag, comm) != MPI_SUCCESS)
        protocol_failure(comm, "cannot send a queue message");
}

static void recv_item(MPI_Comm comm, int source, int tag, mk_qitem *it, MPI_Status *st)
{
    unsigned char buf[MK_QUEUE_MSG_MAX];
    int len = 0;
    if (MPI_Recv(buf, (int)sizeof buf, MPI_BYTE, source, tag, comm, st) != MPI_SUCCESS ||
        MPI_Get_count(st, MPI_BYTE, &len) != MPI_SUCCESS || mk_qitem_decode(buf, (size_t)len, it) != 0)
        protocol_failure(comm, "malformed queue message");
}

/* The producer thread: put every item, then END. */
static void *producer_main(void *arg)
{
    producer_thread *pt = arg;
    const options *o = pt->o;
    for (uint64_t seq = 0; seq <= (uint64_t)o->items; seq++) {
        mk_qitem it;
        if (seq < (uint64_t)o->items) {
            mk_qitem_make((uint64_t)o->seed, pt->producer_id, seq, &it);
        } else {
            memset(&it, 0, sizeof it);
            it.kind = MK_QITEM_END;
            it.producer = pt->producer_id;
            it.seq = seq;
        }
        if (pt->ho != NULL) {   /* funneled: no MPI call from this thread */
            pthread_mutex_lock(&pt->ho->lock);
            pt->ho->buf[pt->ho->written++] = it;
            pthread_mutex_unlock(&pt->ho->lock);
        } else {                /* multiple: MPI from a second thread, legal only at MPI_THREAD_MULTIPLE */
            unsigned char buf[MK_QUEUE_MSG_MAX];
            size_t len = mk_qitem_encode(&it, buf, sizeof buf);
            if (MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_PUT, pt->comm) != MPI_SUCCESS)
                pt->send_error = 1;
        }
        if (o->delay > 0 && seq < (uint64_t)o->items)
            nap(o->delay);
    }
    return NULL;
}

/* Items the thread handed over since the last call; returns how many. */
static size_t drain(handoff *ho, mk_qitem *out, size_t max)
{
    pthread_mutex_lock(&ho->lock);
    size_t n = ho->written - ho->read;
    if (n > max)
        n = max;
    memcpy(out, ho->buf + ho->read, n * sizeof *out);
    ho->read += n;
    pthread_mutex_unlock(&ho->lock);
    return n;
}

/* Forward hand-off items: on rank 0 into the FIFO, elsewhere to rank 0. */
static int forward_handoff(handoff *ho, MPI_Comm comm, int rank, mk_queue_host *host)
{
    mk_qitem batch[16];
    size_t n, total = 0;
    while ((n = drain(ho, batch, 16)) > 0) {
        for (size_t i = 0; i < n; i++) {
            mk_err err;
            mk_err_clear(&err);
            if (rank == 0) {
                if (mk_queue_host_put(host, &batch[i], &err) != 0)
                    protocol_failure(comm, err.msg);
            } else {
                send_item(comm, &batch[i], 0, TAG_PUT);
            }
        }
        total += n;
    }
    return total > 0;
}

/* Rank 0: host the queue until every producer has ended, the FIFO is empty and every consumer
 * has been told DONE. Also the local producer (one rank) and the local consumer. */
static void run_host(const options *o, const roles *r, MPI_Comm comm, int size, handoff *ho, tally *t)
{
    mk_queue_host *host = mk_queue_host_new(r->nproducers);
    int *waiting = malloc((size_t)size * sizeof *waiting);   /* consumer ranks with a GET pending */
    if (host == NULL || waiting == NULL)
        protocol_failure(comm, "out of memory");
    size_t wait_head = 0, nwait = 0;
    int done_sent = 0, local_done = !r->local_consumer;
    mk_qitem it;
    mk_err err;
    mk_err_clear(&err);

    if (o->threads == THREADS_NONE && r->producer_id == 0) {
        /* One rank: show Empty first, then put everything (there is nobody to wait for). */
        if (mk_queue_host_get(host, &it) == MK_QUEUE_EMPTY)
            t->empty++;
        for (uint64_t seq = 0; seq <= (uint64_t)o->items; seq++) {
            if (seq < (uint64_t)o->items)
                mk_qitem_make((uint64_t)o->seed, 0, seq, &it);
            else
                it = (mk_qitem){.kind = MK_QITEM_END, .producer = 0, .seq = seq};
            if (mk_queue_host_put(host, &it, &err) != 0)
                protocol_failure(comm, err.msg);
        }
        t->put = (uint64_t)o->items;
    }
    for (;;) {
        int progressed = 0, flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &st);
        if (flag) {
            progressed = 1;
            if (st.MPI_TAG == TAG_PUT) {
                recv_item(comm, st.MPI_SOURCE, TAG_PUT, &it, &st);
                if (mk_queue_host_put(host, &it, &err) != 0)
                    protocol_failure(comm, err.msg);
            } else if (st.MPI_TAG == TAG_GET) {
                int dummy;
                MPI_Recv(&dummy, 1, MPI_INT, st.MPI_SOURCE, TAG_GET, comm, MPI_STATUS_IGNORE);
                waiting[(wait_head + nwait++) % (size_t)size] = st.MPI_SOURCE;
            } else {
                protocol_failure(comm, "unexpected message tag at the host");
            }
        }
        if (ho != NULL && forward_handoff(ho, comm, 0, host))
            progressed = 1;
        /* serve waiting consumers in arrival order */
        while (nwait > 0) {
            int got = mk_queue_host_get(host, &it);
            if (got == MK_QUEUE_EMPTY)
                break;
            int dest = waiting[wait_head];
            wait_head = (wait_head + 1) % (size_t)size;
            nwait--;
            if (got == MK_QUEUE_DONE) {
                it = (mk_qitem){.kind = MK_QITEM_DONE};
                done_sent++;
            }
            send_item(comm, &it, dest, TAG_REPLY);
            progressed = 1;
        }
        if (!local_done) {
            int got = mk_queue_host_get(host, &it);
            if (got == MK_QUEUE_ITEM) {
                if (record(t, &it, 0) != 0)
                    protocol_failure(comm, "out of memory");
                progressed = 1;
            } else if (got == MK_QUEUE_EMPTY) {
                t->empty++;
            } else {
                local_done = 1;
            }
        }
        if (mk_queue_host_open(host) == 0 && mk_queue_host_size(host) == 0 && done_sent == r->nremote && local_done)
            break;
        if (!progressed)
            nap(o->poll);
    }
    free(waiting);
    mk_queue_host_free(host);
}

/* A consumer rank: one GET outstanding; get(block=False) is MPI_Iprobe for the reply. */
static void run_consumer(const options *o, MPI_Comm comm, int rank, handoff *ho, tally *t)
{
    int want = 1;
    MPI_Send(&want, 1, MPI_INT, 0, TAG_GET, comm);
    for (;;) {
        int flag = 1;
        MPI_Status st;
        if (!o->blocking)
            MPI_Iprobe(0, TAG_REPLY, comm, &flag, &st);
        if (flag) {
            mk_qitem it;
            recv_item(comm, 0, TAG_REPLY, &it, &st);
            if (it.kind == MK_QITEM_DONE)
                break;
            if (record(t, &it, rank) != 0)
                protocol_failure(comm, "out of memory");
            MPI_Send(&want, 1, MPI_INT, 0, TAG_GET, comm);
            continue;
        }
        t->empty++;   /* get(block=False) raised Empty: do other work, try again */
        int forwarded = ho != NULL && forward_handoff(ho, comm, rank, NULL);
        if (!forwarded)
            nap(o->poll);
    }
    if (ho != NULL)
        forward_handoff(ho, comm, rank, NULL);
}

/* A producer rank without threads: put every item, then END. */
static void run_producer(const options *o, MPI_Comm comm, int producer_id, tally *t)
{
    for (uint64_t seq = 0; seq < (uint64_t)o->items; seq++) {
        mk_qitem it;
        mk_qitem_make((uint64_t)o->seed, producer_id, seq, &it);
        send_item(comm, &it, 0, TAG_PUT);
        if (o->delay > 0)
            nap(o->delay);
    }
    mk_qitem end = {.kind = MK_QITEM_END, .producer = producer_id, .seq = (uint64_t)o->items};
    send_item(comm, &end, 0, TAG_PUT);
    t->put = (uint64_t)o->items;
}

static const char *thread_name(int level)
{
    switch (level) {
    case MPI_THREAD_SINGLE: return "single";
    case MPI_THREAD_FUNNELED: return "funneled";
    case MPI_THREAD_SERIALIZED: return "serialized";
    case MPI_THREAD_MULTIPLE: return "multiple";
    default: return "unknown";
    }
}

/* --threads must be known before MPI starts; the full parse reports bad values later. */
static int requested_level(int argc, char **argv)
{
    const char *v = mk_cli_peek(argc, argv, "threads");
    if (v != NULL && strcmp(v, "funneled") == 0)
        return MPI_THREAD_FUNNELED;
    if (v != NULL && strcmp(v, "multiple") == 0)
        return MPI_THREAD_MULTIPLE;
    return MPI_THREAD_SINGLE;
}

static void report(FILE *out, const options *o, const roles *r, int size, int provided, const uint64_t *per_rank,
                   const mk_qitem *all, size_t nall, const mk_queue_verdict *v, double seconds)
{
    const char *rcols[] = {"rank", "role", "put", "got", "empty"};
    mk_table *rt = mk_table_new("ranks", "what each rank did (empty: get(block=False) found nothing)", 5, rcols);
    for (int i = 0; i < size; i++) {
        char role[64];
        mk_err ignored;
        mk_err_clear(&ignored);
        roles ri = assign_roles(o, i, size, &ignored);
        const char *producer = ri.producer_id < 0 ? NULL : o->threads != THREADS_NONE ? "thread-producer" : "producer";
        int consumer = ri.remote_consumer || ri.local_consumer;
        snprintf(role, sizeof role, "%s%s%s%s%s", i == 0 ? "host" : "", i == 0 && (producer || consumer) ? "+" : "",
                 producer ? producer : "", producer && consumer ? "+" : "", consumer ? "consumer" : "");
        mk_table_i64(rt, i);
        mk_table_str(rt, role);
        mk_table_u64(rt, per_rank[3 * i]);
        mk_table_u64(rt, per_rank[3 * i + 1]);
        mk_table_u64(rt, per_rank[3 * i + 2]);
    }
    const char *ccols[] = {"threads", "provided", "producers", "expected", "received", "duplicates", "missing",
                           "out_of_order", "corrupted", "seconds", "verdict"};
    mk_table *ct = mk_table_new("check", "every item exactly once, unchanged, in producer order", 11, ccols);
    mk_table_str(ct, o->threads == THREADS_NONE ? "none" : o->threads == THREADS_FUNNELED ? "funneled" : "multiple");
    mk_table_str(ct, thread_name(provided));
    mk_table_i64(ct, r->nproducers);
    mk_table_u64(ct, v->expected);
    mk_table_u64(ct, v->received);
    mk_table_u64(ct, v->duplicates);
    mk_table_u64(ct, v->missing + v->unknown);
    mk_table_u64(ct, v->out_of_order);
    mk_table_u64(ct, v->corrupted);
    mk_table_f64(ct, "%.4f", seconds);
    mk_table_str(ct, mk_queue_verdict_ok(v) ? "ok" : "FAILED");
    mk_table *tables[3] = {rt, ct, NULL};
    int nt = 2;
    if (o->verbose) {
        const char *icols[] = {"consumer", "producer", "seq", "kind", "value", "producer_rank"};
        mk_table *it = mk_table_new("items", "items received, by consumer, in the order received", 6, icols);
        for (size_t i = 0; i < nall; i++) {
            /* producer ids are ranks with --threads, else rank - 1 (rank 0 hosts), or 0 alone */
            int p = all[i].producer;
            int prank = o->threads != THREADS_NONE || size == 1 ? p : p + 1;
            mk_table_i64(it, all[i].consumer);
            mk_table_i64(it, p);
            mk_table_u64(it, all[i].seq);
            if (all[i].kind == MK_QITEM_NUMBER) {
                mk_table_str(it, "number");
                mk_table_f64(it, "%.10g", all[i].number);
            } else {
                mk_table_str(it, "string");
                mk_table_str(it, all[i].text);
            }
            mk_table_i64(it, prank);
        }
        tables[nt++] = it;
    }
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, QUEUE_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

/* MPI_THREAD_SINGLE is enough without --threads; with it, the level the producer thread needs. */
static void check_thread_level(const options *o, int required, int provided, mk_err *err)
{
    if (err->code == 0 && provided < required)
        mk_err_set(err, MK_EXIT_FAILURE, "--threads %s needs MPI_THREAD_%s but the MPI library provided MPI_THREAD_%s",
                   o->threads == THREADS_FUNNELED ? "funneled" : "multiple",
                   o->threads == THREADS_FUNNELED ? "FUNNELED" : "MULTIPLE", thread_name(provided));
}

/* --threads: the producer thread, handing its items to the main thread (funneled) or sending
 * them itself (multiple). */
static void start_producer_thread(const options *o, MPI_Comm comm, handoff *ho, producer_thread *pt,
                                  pthread_t *thread, tally *t)
{
    if (o->threads == THREADS_FUNNELED) {
        ho->buf = malloc(((size_t)o->items + 1) * sizeof *ho->buf);
        if (ho->buf == NULL)
            protocol_failure(comm, "out of memory");
        pt->ho = ho;
    }
    if (pthread_create(thread, NULL, producer_main, pt) != 0)
        protocol_failure(comm, "cannot start the producer thread");
    t->put = (uint64_t)o->items;
}

/* What every consumer received and each rank's (put, got, empty), gathered on rank 0. */
typedef struct {
    uint64_t *per_rank;
    int *lens, *displs;
    mk_qitem *all;
    size_t nall;
} received;

static void gather_received(MPI_Comm comm, int rank, int size, const tally *t, received *g)
{
    uint64_t mine_counts[3] = {t->put, (uint64_t)t->ngot, t->empty};
    *g = (received){NULL, NULL, NULL, NULL, 0};
    if (rank == 0) {
        g->per_rank = malloc((size_t)size * 3 * sizeof *g->per_rank);
        g->lens = malloc((size_t)size * sizeof *g->lens);
        g->displs = malloc((size_t)size * sizeof *g->displs);
        if (g->per_rank == NULL || g->lens == NULL || g->displs == NULL)
            protocol_failure(comm, "out of memory");
    }
    MPI_Gather(mine_counts, 3, MPI_UINT64_T, g->per_rank, 3, MPI_UINT64_T, 0, comm);
    int mybytes = (int)(t->ngot * sizeof *t->got);
    MPI_Gather(&mybytes, 1, MPI_INT, g->lens, 1, MPI_INT, 0, comm);
    if (rank == 0) {
        long long total = 0;
        for (int i = 0; i < size; i++) {
            g->displs[i] = (int)total;
            total += g->lens[i];
        }
        g->nall = (size_t)total / sizeof *g->all;
        g->all = malloc((size_t)total + 1);
        if (g->all == NULL)
            protocol_failure(comm, "out of memory");
    }
    MPI_Gatherv(t->got, mybytes, MPI_BYTE, g->all, g->lens, g->displs, MPI_BYTE, 0, comm);
}

/* Rank 0 (out != NULL): every item exactly once, unchanged, in producer order; the tables.
 * Returns the verdict, on rank 0 only. */
static int check_and_report(FILE *out, MPI_Comm comm, const options *o, const roles *r, int size, int provided,
                            const received *g, double seconds)
{
    uint64_t *counts = malloc(((size_t)r->nproducers + 1) * sizeof *counts);
    if (counts == NULL)
        protocol_failure(comm, "out of memory");
    for (int p = 0; p < r->nproducers; p++)
        counts[p] = (uint64_t)o->items;  /* the host checked each END carried exactly this many */
    mk_queue_verdict v;
    if (mk_queue_check((uint64_t)o->seed, g->all, g->nall, counts, r->nproducers, &v) != 0)
        protocol_failure(comm, "out of memory");
    int verdict_ok = mk_queue_verdict_ok(&v);
    report(out, o, r, size, provided, g->per_rank, g->all, g->nall, &v, seconds);
    free(counts);
    return verdict_ok;
}

int main(int argc, char **argv)
{
    mk_job job;
    int required = requested_level(argc, argv), provided = MPI_THREAD_SINGLE;
    mk_job_begin_thread(&job, "queue", &argc, &argv, required, &provided);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    options o;
    int rc = parse_options(argc, argv, out, &o, &err);
    mk_job_parsed(&job, rc, &err);
    roles r = assign_roles(&o, job.world_rank, job.world_size, &err);
    check_thread_level(&o, required, provided, &err);
    if (err.code != 0)
        mk_job_exit_error(&job, &err);

    /* the queue's messages travel on their own communicator */
    MPI_Comm comm;
    MPI_Comm_dup(job.comm, &comm);
    tally t = {NULL, 0, 0, 0, 0};
    handoff ho = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};
    producer_thread pt = {&o, comm, r.producer_id, NULL, 0};
    pthread_t thread;
    MPI_Barrier(comm);
    double t0 = mk_now();

    /* run: a producer thread (--threads), then this rank's role on the main thread */
    if (o.threads != THREADS_NONE)
        start_producer_thread(&o, comm, &ho, &pt, &thread, &t);
    handoff *mine = o.threads == THREADS_FUNNELED ? &ho : NULL;
    if (job.world_rank == 0)
        run_host(&o, &r, comm, job.world_size, mine, &t);
    else if (r.remote_consumer)
        run_consumer(&o, comm, job.world_rank, mine, &t);
    else if (r.producer_id >= 0)
        run_producer(&o, comm, r.producer_id, &t);
    if (o.threads != THREADS_NONE) {
        pthread_join(thread, NULL);
        if (pt.send_error)
            protocol_failure(comm, "the producer thread could not send");
    }
    double seconds = mk_now() - t0, seconds_max = 0;
    MPI_Reduce(&seconds, &seconds_max, 1, MPI_DOUBLE, MPI_MAX, 0, comm);

    /* check: gather what every consumer received, and each rank's counts, to rank 0 */
    received g;
    gather_received(comm, job.world_rank, job.world_size, &t, &g);
    int verdict_ok = 1;
    if (out != NULL)
        verdict_ok = check_and_report(out, comm, &o, &r, job.world_size, provided, &g, seconds_max);
    MPI_Bcast(&verdict_ok, 1, MPI_INT, 0, comm);
    if (!verdict_ok)
        mk_err_set(&err, MK_EXIT_FAILURE, "the queue lost, duplicated or reordered items (see the check table)");
    free(g.per_rank);
    free(g.lens);
    free(g.displs);
    free(g.all);
    free(t.got);
    free(ho.buf);
    MPI_Comm_free(&comm);
    if (err.code != 0)
        mk_job_exit_error(&job, &err);
    mk_job_end(&job);
}
