/* pool.c - a parallel map over items 0..n-1 (like Pool.map), results in item order on rank 0.
 *
 *   static   rank r runs one contiguous block (mk_block_range)  |000|111|222|   no messages
 *   cyclic   rank r runs items r, r+P, r+2P, ...                |012012012|    no messages
 *   dynamic  every worker starts with one chunk of `chunksize` items (implicit, no message);
 *            when done it sends [header | results] to rank 0, which replies with the next
 *            chunk or "stop". Rank 0 either only serves requests (pure manager) or, with
 *            manager_computes, runs one item at a time itself and polls (MPI_Iprobe) for
 *            requests between items, serving every pending request before its next item.
 *
 * Static and cyclic results come back with one MPI_Gatherv; dynamic results travel with the
 * requests. A failing task stops that rank's (or, in dynamic mode, everyone's) work; the ranks
 * agree on the error with mk_err_agree before any gather, so nobody waits for a message that
 * will never come. Messages run on a private duplicate of the communicator.
 *
 * A stop request (opt->stop_flag, set by a signal handler) is read before every task, so the
 * map stays free of extra messages: under static and cyclic each rank stops on its own flag
 * (a signal sent to the job reaches every rank); in dynamic mode a worker's flag travels to
 * rank 0 with its report, and rank 0 (on its own flag or a worker's) hands out no more work.
 * The ranks agree on "stopped" where they agree on errors, and skip the result gather.
 */
#include "mpikit/pool.h"

#include <stdlib.h>
#include <string.h>

#include "mpikit/partition.h"
#include "mpikit/timing.h"

enum { TAG_RESULT = 31, TAG_WORK = 32 };

void mk_pool_options_init(mk_pool_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->schedule = MK_SCHED_STATIC;
    opt->chunksize = 0;
    opt->manager_computes = 1;
}

void mk_pool_result_free(mk_pool_result *res)
{
    if (res == NULL)
        return;
    free(res->ranks);
    free(res->log);
    res->ranks = NULL;
    res->log = NULL;
    res->nlog = 0;
}

/* Python's Pool.map rule: about four chunks per worker. */
static uint64_t choose_chunksize(uint64_t n, uint64_t requested, int workers)
{
    if (requested > 0)
        return requested;
    uint64_t parts = 4 * (uint64_t)(workers > 0 ? workers : 1);
    uint64_t c = n / parts + (n % parts != 0);
    return c > 0 ? c : 1;
}

/* Items of rank r under the cyclic schedule: r, r+P, ... below n. */
static uint64_t cyclic_count(uint64_t n, int nranks, int rank)
{
    return (uint64_t)rank < n ? (n - (uint64_t)rank + (uint64_t)nranks - 1) / (uint64_t)nranks : 0;
}

/* The first (implicit) chunk of dynamic worker `rank` (1..P-1). */
static mk_range dynamic_first_chunk(uint64_t n, uint64_t chunk, int rank)
{
    mk_range r = {0, 0};
    uint64_t start = (uint64_t)(rank - 1) * chunk;
    if (start < n) {
        r.start = start;
        r.count = n - start < chunk ? n - start : chunk;
    }
    return r;
}

/* Per-call state of one rank. */
typedef struct {
    MPI_Comm comm;
    int rank, nranks;
    uint64_t n;
    size_t size;
    mk_task_fn fn;
    void *ctx;
    const mk_pool_options *opt;
    double t0;
    uint64_t tasks;
    double busy;
    double wait;           /* blocked waiting for a message (dynamic) */
    mk_task_record *log;   /* this rank's records, when record_log */
    uint64_t nlog, caplog;
    int failed;
    uint64_t fail_item;
    int fail_code;
    int stopped;           /* this rank saw the stop flag and started no further task */
} pool_state;

/* A stop was requested (by a signal): start no new task. */
static int stop_wanted(pool_state *s)
{
    if (s->opt->stop_flag != NULL && *s->opt->stop_flag != 0)
        s->stopped = 1;
    return s->stopped;
}

static int set_task_error(mk_err *err, uint64_t item, int code, int rank)
{
    return mk_err_set(err, MK_EXIT_FAILURE, "task for item %llu failed (code %d) on rank %d",
                      (unsigned long long)item, code, rank);
}

/* Run one task, its result going to slot `slot` of `base` (NULL when results have no size), timing
 * it and recording it. Returns 0 or -1 (the task failed; s->failed is set). */
static int run_one(pool_state *s, uint64_t item, unsigned char *base, uint64_t slot)
{
    void *result = base != NULL && s->size > 0 ? base + slot * s->size : NULL;
    double a = mk_now();
    int rc = s->fn(item, result, s->ctx);
    double b = mk_now();
    s->busy += b - a;
    s->tasks++;
    if (s->opt->record_log) {
        if (s->nlog == s->caplog) {
            uint64_t cap = s->caplog ? 2 * s->caplog : 64;
            mk_task_record *p = realloc(s->log, cap * sizeof *p);
            if (p != NULL) {
                s->log = p;
                s->caplog = cap;
            }
        }
        if (s->nlog < s->caplog)
            s->log[s->nlog++] = (mk_task_record){item, s->rank, a - s->t0, b - s->t0};
    }
    if (rc != 0) {
        s->failed = 1;
        s->fail_item = item;
        s->fail_code = rc;
        return -1;
    }
    return 0;
}

static void report_progress(const pool_state *s, uint64_t done)
{
    if (s->rank == 0 && s->opt->progress != NULL)
        s->opt->progress(done, s->n, s->opt->progress_ctx);
}


/* ---- static and cyclic: compute locally, then one gather ---- */

static int run_local(pool_state *s, unsigned char *local, mk_err *err)
{
    uint64_t first, stride = 1, count;
    if (s->opt->schedule == MK_SCHED_CYCLIC) {
        count = cyclic_count(s->n, s->nranks, s->rank);
        first = (uint64_t)s->rank;
        stride = (uint64_t)s->nranks;
    } else {
        mk_range r = mk_block_range(s->n, s->nranks, s->rank);
        first = r.start;
        count = r.count;
    }
    for (uint64_t j = 0; j < count && !stop_wanted(s); j++) {
        uint64_t item = first + j * stride;
        if (run_one(s, item, local, j) != 0)
            return set_task_error(err, item, s->fail_code, s->rank);
        /* Rank 0 sees only its own share; it stands for everyone's (the schedule is balanced). */
        report_progress(s, (uint64_t)((double)(j + 1) / (double)count * (double)s->n));
    }
    return 0;
}

static void gather_local(pool_state *s, const unsigned char *local, uint64_t mine, unsigned char *results,
                         unsigned char *tmp, int *counts, int *displs)
{
    if (s->size == 0 || s->n == 0)
        return;
    MPI_Datatype item_type;
    MPI_Type_contiguous((int)s->size, MPI_BYTE, &item_type);
    MPI_Type_commit(&item_type);
    int cyclic = s->opt->schedule == MK_SCHED_CYCLIC;
    if (s->rank == 0) {
        if (cyclic) {
            int d = 0;
            for (int r = 0; r < s->nranks; r++) {
                /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): the root's buffers, checked at setup */
                counts[r] = (int)cyclic_count(s->n, s->nranks, r);
                displs[r] = d;
                d += counts[r];
            }
        } else {
            mk_block_counts(s->n, s->nranks, 1, counts, displs);
        }
    }
    /* Rank 0's static block was computed in place, at the front of results. */
    if (s->rank == 0 && !cyclic)
        MPI_Gatherv(MPI_IN_PLACE, 0, item_type, results, counts, displs, item_type, 0, s->comm);
    else
        MPI_Gatherv(local, (int)mine, item_type, cyclic ? tmp : results, counts, displs, item_type, 0, s->comm);
    if (s->rank == 0 && cyclic) {
        for (int r = 0; r < s->nranks; r++)
            for (int j = 0; j < counts[r]; j++)
                memcpy(results + ((uint64_t)r + (uint64_t)j * (uint64_t)s->nranks) * s->size,
                       tmp + ((uint64_t)displs[r] + (uint64_t)j) * s->size, s->size);
    }
    MPI_Type_free(&item_type);
}

/* ---- dynamic: request/reply with rank 0 ---- */

/* What a worker sends after each chunk; the chunk's results follow in the same message. */
typedef struct {
    uint64_t start, count;   /* the first item and how many results follow */
    uint64_t fail_item;
    int32_t failed, fail_code;
    int32_t stopped, unused;   /* the worker saw the stop flag: hand out no more work */
} chunk_report;

/* buf holds a chunk_report and `chunk` results. */
static void dynamic_worker(pool_state *s, uint64_t chunk, unsigned char *buf, mk_err *err)
{
    mk_range cur = dynamic_first_chunk(s->n, chunk, s->rank);
    for (;;) {
        chunk_report h = {cur.start, 0, 0, 0, 0, 0, 0};
        for (uint64_t i = 0; i < cur.count && !stop_wanted(s); i++) {
            if (run_one(s, cur.start + i, buf + sizeof h, i) != 0) {
                h.failed = 1;
                h.fail_item = s->fail_item;
                h.fail_code = s->fail_code;
                set_task_error(err, s->fail_item, s->fail_code, s->rank);
                break;
            }
            h.count++;
        }
        h.stopped = stop_wanted(s);
        memcpy(buf, &h, sizeof h);
        MPI_Send(buf, (int)(sizeof h + h.count * s->size), MPI_BYTE, 0, TAG_RESULT, s->comm);
        uint64_t next[2];
        double a = mk_now();
        MPI_Recv(next, 2, MPI_UINT64_T, 0, TAG_WORK, s->comm, MPI_STATUS_IGNORE);
        s->wait += mk_now() - a;
        if (next[1] == 0)
            break;
        cur.start = next[0];
        cur.count = next[1];
    }
}

typedef struct {
    uint64_t next, chunk, done;
    int active;               /* workers not yet told to stop */
    int stop;                 /* a task failed: hand out no more work */
    unsigned char *buf;       /* one report: header + chunk results */
} manager_state;

/* Receive one probed report, store its results, reply with the next chunk or stop. */
static void serve(pool_state *s, manager_state *m, const MPI_Status *st, unsigned char *results, mk_err *err)
{
    int bytes = 0;
    MPI_Get_count(st, MPI_BYTE, &bytes);
    MPI_Recv(m->buf, bytes, MPI_BYTE, st->MPI_SOURCE, TAG_RESULT, s->comm, MPI_STATUS_IGNORE);
    chunk_report h;
    memcpy(&h, m->buf, sizeof h);
    if (h.count > 0 && s->size > 0)
        memcpy(results + h.start * s->size, m->buf + sizeof h, h.count * s->size);
    m->done += h.count;
    if (h.failed && !m->stop) {
        m->stop = 1;
        if (err->code == 0)
            set_task_error(err, h.fail_item, h.fail_code, st->MPI_SOURCE);
    }
    if (h.stopped)
        m->stop = 1;   /* a stop request on any worker stops the hand-out */
    if (h.count > 0)
        report_progress(s, m->done);
    uint64_t next[2] = {m->next, 0};
    if (!m->stop && m->next < s->n) {
        next[1] = s->n - m->next < m->chunk ? s->n - m->next : m->chunk;
        m->next += next[1];
    } else {
        m->active--;
    }
    MPI_Send(next, 2, MPI_UINT64_T, st->MPI_SOURCE, TAG_WORK, s->comm);
}

static void dynamic_manager(pool_state *s, uint64_t chunk, unsigned char *buf, unsigned char *results, mk_err *err)
{
    manager_state m = {0, chunk, 0, s->nranks - 1, 0, buf};
    uint64_t first = (uint64_t)(s->nranks - 1) * chunk;   /* the workers' implicit first chunks */
    m.next = first < s->n ? first : s->n;
    MPI_Status st;
    while (m.active > 0 || (s->opt->manager_computes && !m.stop && m.next < s->n)) {
        if (stop_wanted(s))
            m.stop = 1;
        if (s->opt->manager_computes && !m.stop && m.next < s->n) {
            /* Open MPI's first Iprobe after a long task often only progresses the transport
             * and reports nothing; the second sees the request that was already waiting. */
            int flag = 0;
            for (int k = 0; k < 2 && !flag; k++)
                MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, s->comm, &flag, &st);
            if (flag) {
                serve(s, &m, &st, results, err);
                continue;
            }
            uint64_t item = m.next++;
            if (run_one(s, item, results, item) != 0) {
                m.stop = 1;
                if (err->code == 0)
                    set_task_error(err, item, s->fail_code, 0);
            } else {
                report_progress(s, ++m.done);
            }
            continue;
        }
        double a = mk_now();
        MPI_Probe(MPI_ANY_SOURCE, TAG_RESULT, s->comm, &st);
        s->wait += mk_now() - a;
        serve(s, &m, &st, results, err);
    }
}

/* ---- the map ---- */

/* Buffers, all allocated before the start line so that no rank can fail half-way. */
typedef struct {
    unsigned char *local;     /* static/cyclic: this rank's results (not rank 0 static) */
    unsigned char *tmp;       /* rank 0 cyclic: results in rank order */
    unsigned char *msg;       /* dynamic: one report */
    int *counts, *displs;     /* rank 0 */
    double *stats;            /* rank 0: 4 per rank */
    mk_task_record *logall;   /* rank 0 with record_log */
    uint64_t mine;            /* static/cyclic: items of this rank */
    uint64_t chunk;           /* dynamic */
} buffers;

static void buffers_free(buffers *b)
{
    free(b->local);
    free(b->tmp);
    free(b->msg);
    free(b->counts);
    free(b->displs);
    free(b->stats);
    free(b->logall);
}

static int buffers_alloc(pool_state *s, buffers *b, mk_pool_result *res, mk_err *err)
{
    const mk_pool_options *opt = s->opt;
    uint64_t n = s->n;
    size_t P = (size_t)s->nranks;
    int ok = 1;
    if (opt->schedule == MK_SCHED_DYNAMIC) {
        int workers = opt->manager_computes ? s->nranks : s->nranks - 1;
        b->chunk = choose_chunksize(n, opt->chunksize, workers);
        if (b->chunk > n && n > 0)
            b->chunk = n;
        if (b->chunk * s->size > (uint64_t)INT32_MAX - sizeof(chunk_report))
            return mk_err_set(err, MK_EXIT_FAILURE, "pool: a chunk of %llu results does not fit one message",
                              (unsigned long long)b->chunk);
        ok = (b->msg = malloc(sizeof(chunk_report) + b->chunk * s->size)) != NULL;
        if (opt->record_log && s->rank != 0)
            s->caplog = 0;
    } else {
        if (n > (uint64_t)INT32_MAX)
            return mk_err_set(err, MK_EXIT_FAILURE, "pool: %llu items are too many for one MPI_Gatherv",
                              (unsigned long long)n);
        b->mine = opt->schedule == MK_SCHED_CYCLIC ? cyclic_count(n, s->nranks, s->rank)
                                                   : mk_block_range(n, s->nranks, s->rank).count;
        int in_place = s->rank == 0 && opt->schedule == MK_SCHED_STATIC;
        if (!in_place && b->mine > 0 && s->size > 0)
            ok = ok && (b->local = malloc(b->mine * s->size)) != NULL;
        if (s->rank == 0 && opt->schedule == MK_SCHED_CYCLIC && n > 0 && s->size > 0)
            ok = ok && (b->tmp = malloc(n * s->size)) != NULL;
        if (opt->record_log && b->mine > 0) {
            ok = ok && (s->log = malloc(b->mine * sizeof *s->log)) != NULL;
            s->caplog = ok ? b->mine : 0;
        }
    }
    if (s->rank == 0) {
        ok = ok && (b->counts = malloc(P * sizeof *b->counts)) != NULL;
        ok = ok && (b->displs = malloc(P * sizeof *b->displs)) != NULL;
        ok = ok && (b->stats = malloc(4 * P * sizeof *b->stats)) != NULL;
        if (opt->record_log) {
            ok = ok && (b->logall = malloc((n + 1) * sizeof *b->logall)) != NULL;
            if (res != NULL)
                ok = ok && (res->log = calloc(n + 1, sizeof *res->log)) != NULL;
        }
    }
    return ok ? 0 : mk_err_set(err, MK_EXIT_FAILURE, "pool: out of memory on rank %d", s->rank);
}

/* Rank 0 receives every rank's records and files them by item. */
static void gather_log(pool_state *s, buffers *b, mk_pool_result *res)
{
    int cnt = (int)s->nlog;
    MPI_Gather(&cnt, 1, MPI_INT, b->counts, 1, MPI_INT, 0, s->comm);
    int total = 0;
    if (s->rank == 0)
        for (int r = 0; r < s->nranks; r++) {
            /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): the root's buffers, checked at setup */
            b->displs[r] = total;
            total += b->counts[r];
        }
    MPI_Datatype rec_type;
    MPI_Type_contiguous((int)sizeof(mk_task_record), MPI_BYTE, &rec_type);
    MPI_Type_commit(&rec_type);
    MPI_Gatherv(s->log, cnt, rec_type, b->logall, b->counts, b->displs, rec_type, 0, s->comm);
    MPI_Type_free(&rec_type);
    if (s->rank == 0 && res != NULL) {
        for (int i = 0; i < total; i++)
            if (b->logall[i].item < s->n)
                res->log[b->logall[i].item] = b->logall[i];
        res->nlog = s->n;
    }
}

/* One rank: the plain serial loop, no MPI traffic at all (fastcore's n_workers=0). */
static int map_serial(pool_state *s, unsigned char *out, mk_pool_result *res, mk_err *err)
{
    if (s->opt->record_log && s->n > 0 && (s->log = malloc(s->n * sizeof *s->log)) == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "pool: out of memory");
    s->caplog = s->opt->record_log ? s->n : 0;
    s->t0 = mk_now();
    for (uint64_t i = 0; i < s->n && !stop_wanted(s); i++) {
        if (run_one(s, i, out, i) != 0) {
            free(s->log);
            return set_task_error(err, i, s->fail_code, 0);
        }
        report_progress(s, i + 1);
    }
    double seconds = mk_now() - s->t0;
    if (res != NULL) {
        res->nranks = 1;
        res->seconds = seconds;
        if ((res->ranks = calloc(1, sizeof *res->ranks)) == NULL) {
            free(s->log);
            return mk_err_set(err, MK_EXIT_FAILURE, "pool: out of memory");
        }
        res->ranks[0] = (mk_pool_rank_stats){s->tasks, s->busy, seconds - s->busy};
        if (s->opt->record_log) {
            res->log = s->log;
            res->nlog = s->nlog;
            s->log = NULL;
        }
    }
    free(s->log);
    return s->stopped;
}

int mk_pool_map(MPI_Comm comm, uint64_t n, size_t result_size, mk_task_fn fn, void *ctx,
                const mk_pool_options *opt, void *results, mk_pool_result *res, mk_err *err)
{
    mk_pool_options defaults;
    if (opt == NULL) {
        mk_pool_options_init(&defaults);
        opt = &defaults;
    }
    mk_err_clear(err);
    if (res != NULL)
        memset(res, 0, sizeof *res);
    pool_state s;
    memset(&s, 0, sizeof s);
    s.n = n;
    s.size = result_size;
    s.fn = fn;
    s.ctx = ctx;
    s.opt = opt;
    s.comm = comm;
    MPI_Comm_rank(comm, &s.rank);
    MPI_Comm_size(comm, &s.nranks);
    unsigned char *out = results;

    if (fn == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "pool: no task function");
    else if (s.rank == 0 && result_size > 0 && n > 0 && results == NULL)
        mk_err_set(err, MK_EXIT_FAILURE, "pool: no result buffer on rank 0");
    else if (opt->schedule != MK_SCHED_STATIC && opt->schedule != MK_SCHED_CYCLIC &&
             opt->schedule != MK_SCHED_DYNAMIC)
        mk_err_set(err, MK_EXIT_FAILURE, "pool: unknown schedule %d", (int)opt->schedule);

    if (s.nranks == 1) {
        int rc = err->code == 0 ? map_serial(&s, out, res, err) : -1;
        if (rc < 0)
            mk_pool_result_free(res);
        return rc;
    }

    buffers b;
    memset(&b, 0, sizeof b);
    if (err->code == 0)
        buffers_alloc(&s, &b, res, err);
    s.comm = MPI_COMM_NULL;
    if (MPI_Comm_dup(comm, &s.comm) != MPI_SUCCESS) {
        s.comm = MPI_COMM_NULL;
        mk_err_set(err, MK_EXIT_FAILURE, "pool: MPI_Comm_dup failed");
    }
    /* Agreeing on the arguments and buffers is also the start line: the clocks start together. */
    if (mk_err_agree(comm, err) != 0)
        goto fail;
    s.t0 = mk_now();

    if (opt->schedule == MK_SCHED_DYNAMIC) {
        if (s.rank == 0)
            dynamic_manager(&s, b.chunk, b.msg, out, err);
        else
            dynamic_worker(&s, b.chunk, b.msg, err);
    } else {
        run_local(&s, b.local != NULL ? b.local : out, err);
    }
    /* Every rank learns of any failure before anyone waits in a gather. */
    if (mk_err_agree(s.comm, err) != 0)
        goto fail;
    /* Stopped anywhere: the results are incomplete, so there is nothing worth gathering. */
    int stopped = 0;
    if (opt->stop_flag != NULL)
        MPI_Allreduce(&s.stopped, &stopped, 1, MPI_INT, MPI_MAX, s.comm);
    if (opt->schedule != MK_SCHED_DYNAMIC && !stopped)
        gather_local(&s, b.local, b.mine, out, b.tmp, b.counts, b.displs);
    if (opt->record_log)
        gather_log(&s, &b, res);

    double seconds = mk_now() - s.t0;
    double mine[4] = {(double)s.tasks, s.busy, seconds - s.busy, seconds};
    MPI_Gather(mine, 4, MPI_DOUBLE, b.stats, 4, MPI_DOUBLE, 0, s.comm);
    if (res != NULL) {
        res->nranks = s.nranks;
        res->seconds = seconds;
        if (s.rank == 0 && (res->ranks = calloc((size_t)s.nranks, sizeof *res->ranks)) != NULL) {
            for (int r = 0; r < s.nranks; r++) {
                const double *x = b.stats + 4 * r;
                res->ranks[r] = (mk_pool_rank_stats){(uint64_t)x[0], x[1], x[2]};
                if (x[3] > res->seconds)
                    res->seconds = x[3];
            }
        }
        if (s.rank == 0 && res->ranks == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "pool: out of memory");
    }
    /* Only rank 0 can fail after the last agreement (the small stats array): tell the others. */
    if (mk_err_agree(s.comm, err) != 0)
        goto fail;
    buffers_free(&b);
    free(s.log);
    MPI_Comm_free(&s.comm);
    return stopped;

fail:
    buffers_free(&b);
    free(s.log);
    if (s.comm != MPI_COMM_NULL)
        MPI_Comm_free(&s.comm);
    mk_pool_result_free(res);
    return -1;
}
