/* findfiles - find files under directories with every MPI rank walking, balancing as it goes.
 *
 *   usage: mpirun -n N findfiles [options] DIR...
 *
 * A walk is irregular work: the work items are directories, and nobody knows how big the
 * subtree under one is until it has been read. Three ways to share them (--strategy):
 *
 *  static    (the tutorial's Pool.map over top-level directories)
 *            rank 0 reads DIR, the subdirectories found there are split in blocks:
 *                 DIR: [ huge | a | b | c | d | e | f | g ]
 *                        r0     r0  r1  r1  r1  r2  r2  r2     each walks its block alone
 *            r0 still walks `huge` long after r1 and r2 are done: the imbalance is the tree's.
 *
 *  manager   rank 0 keeps the queue; workers drain it and fill it:
 *                  +------ WORK (a batch of dirs) ------>  worker 1: read them
 *             r0 [queue] <--- REQUEST (the subdirs found) ---  worker 1
 *                  +------ WORK ------>  worker 2 ...      rank 0 also reads when no one waits
 *            done when the queue is empty and every worker is waiting: DONE to all.
 *            Every directory crosses rank 0 twice: it balances well, rank 0 is the limit.
 *
 *  steal     (default) each rank has a stack; an idle rank asks a random victim:
 *             r2: stack empty --REQUEST--> r0   r0: [d1 d2 d3 d4 | d5 d6]  top: r0's next
 *             r2 <--WORK [d1 d2 d3]------- r0       the bottom half (shallowest) goes
 *            No rank is special. Termination: Safra's token ring over passive ranks,
 *            r0 -> r1 -> ... -> rN-1 -> r0, summing (work sent - work received) and turning
 *            black at any rank that received work since its last visit; a white token with
 *            sum 0 back at a white, passive r0 means no work exists anywhere: DONE to all.
 *
 * Then every rank drains what is still in flight (per-peer message counts, MPI_Alltoall),
 * the counters are reduced, and the matches gathered to rank 0, sorted bytewise and printed
 * like find (or streamed unsorted by rank 0 with --unsorted). Mechanics: src/walk*.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mpikit/cli.h"
#include "mpikit/error.h"
#include "mpikit/job.h"
#include "mpikit/partition.h"
#include "mpikit/progress.h"
#include "mpikit/report.h"
#include "mpikit/timing.h"
#include "mpikit/walk.h"
#include "mpikit/walk_net.h"

/* The tables a run can make, for --table; the main result first. */
#define FINDFILES_TABLES "paths|totals|balance|ranks"

enum { STRATEGY_STATIC, STRATEGY_MANAGER, STRATEGY_STEAL };
static const char *const STRATEGY_NAMES[] = {"static", "manager", "steal"};

/* The globs of the repeatable options, in argv order (each array has room for argc). */
typedef struct {
    const char **names; /* --name and --iname, OR-ed */
    int *fold;          /* per name: 1 for --iname */
    const char **paths, **prunes;
    int nnames, npaths, nprunes;
} glob_lists;

typedef struct {
    const char *name, *iname, *path, *prune, *newer, *mtime;
    int64_t maxdepth, mindepth; /* -1: not given */
    int empty;
    glob_lists globs;
    int type, strategy, format, table;
    uint64_t min_size, max_size;
    int follow, unsorted, count, print0, stats, progress, no_progress, no_bytes;
    int64_t batch;
} options;

/* The value of a long option at argv[*i] ("--NAME VALUE" or "--NAME=VALUE"), or NULL. */
static const char *long_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (a == NULL || strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return NULL;
    if (a[2 + n] == '=')
        return a + 3 + n;
    if (a[2 + n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* Repeatable options accumulate (mk_cli keeps only the last value): --name and --iname are
 * OR-ed like find \( -name A -o -iname B \), so are --path globs; every --prune prunes. */
static int collect_globs(int argc, char **argv, glob_lists *g, mk_err *err)
{
    size_t n = (size_t)argc + 1;
    g->names = calloc(3 * n, sizeof *g->names);
    g->fold = calloc(n, sizeof *g->fold);
    if (g->names == NULL || g->fold == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    g->paths = g->names + n;
    g->prunes = g->names + 2 * n;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *v;
        int fold = 0;
        if ((v = long_value(argc, argv, &i, "name")) != NULL || (fold = 1, v = long_value(argc, argv, &i, "iname")) != NULL) {
            g->fold[g->nnames] = fold;
            g->names[g->nnames++] = v;
            if (mk_walk_glob_check_as(v, fold ? "--iname" : "--name", 1, err) != 0)
                return -1;
        } else if ((v = long_value(argc, argv, &i, "path")) != NULL) {
            g->paths[g->npaths++] = v;
            if (mk_walk_glob_check_as(v, "--path", 0, err) != 0)
                return -1;
        } else if ((v = long_value(argc, argv, &i, "prune")) != NULL) {
            g->prunes[g->nprunes++] = v;
            if (mk_walk_glob_check_as(v, "--prune", 1, err) != 0)
                return -1;
        }
    }
    return 0;
}

/* --mtime N, +N or -N (whole days, like find): the comparison and the number. */
static int parse_days(const char *text, int *cmp, int64_t *days, mk_err *err)
{
    int c = text[0] == '+' ? 1 : text[0] == '-' ? -1 : 0;
    int64_t d;
    if (mk_parse_int(text + (c != 0), &d) != 0 || d < 0 || text[c != 0] == '+' || text[c != 0] == '-')
        return mk_err_set(err, MK_EXIT_USAGE, "--mtime: '%s' is not N, +N or -N whole days", text);
    if (cmp != NULL)
        *cmp = c;
    if (days != NULL)
        *days = d;
    return 0;
}

static int parse_options(int argc, char **argv, FILE *out, options *o, char ***dirs, int *ndirs, mk_err *err)
{
    *o = (options){.table = MK_TABLE_MAIN, .max_size = UINT64_MAX, .strategy = STRATEGY_STEAL, .batch = 32,
                   .maxdepth = -1, .mindepth = -1};
    const mk_option opts[] = {
        {"name", 0, MK_OPT_STRING, &o->name, "GLOB",
         "base names matching GLOB (fnmatch, like find -name); repeat to OR", 0, 0, 0, 0, NULL},
        {"iname", 0, MK_OPT_STRING, &o->iname, "GLOB", "like --name, ignoring case (OR-ed with --name)", 0, 0, 0, 0,
         NULL},
        {"path", 0, MK_OPT_STRING, &o->path, "GLOB",
         "whole paths matching GLOB ('*' crosses '/', like find -path); repeat to OR", 0, 0, 0, 0, NULL},
        {"prune", 0, MK_OPT_STRING, &o->prune, "GLOB",
         "skip entries named GLOB and all below (.git, node_modules); repeatable", 0, 0, 0, 0, NULL},
        {"maxdepth", 0, MK_OPT_INT, &o->maxdepth, "N", "descend at most N levels (0: the DIRs only)", 0, 1 << 30,
         0, 0, NULL},
        {"mindepth", 0, MK_OPT_INT, &o->mindepth, "N", "test nothing shallower than N levels (1: not the DIRs)", 0,
         1 << 30, 0, 0, NULL},
        {"newer", 0, MK_OPT_STRING, &o->newer, "FILE", "modified more recently than FILE", 0, 0, 0, 0, NULL},
        {"mtime", 0, MK_OPT_STRING, &o->mtime, "N",
         "modified N whole days ago (+N: more than N, -N: less than N), like find", 0, 0, 0, 0, NULL},
        {"empty", 0, MK_OPT_FLAG, &o->empty, NULL, "empty regular files and directories", 0, 0, 0, 0, NULL},
        {"type", 0, MK_OPT_CHOICE, &o->type, "T", "f (regular file), d (directory), l (symbolic link), any", 0, 0,
         0, 0, "any|f|d|l"},
        {"min-size", 0, MK_OPT_SIZE, &o->min_size, "SIZE", "at least SIZE bytes (K/M/G suffixes)", 0, 0, 0, 0,
         NULL},
        {"max-size", 0, MK_OPT_SIZE, &o->max_size, "SIZE", "at most SIZE bytes", 0, 0, 0, 0, NULL},
        {"follow", 'L', MK_OPT_FLAG, &o->follow, NULL, "follow symbolic links (loops are detected, not walked)", 0,
         0, 0, 0, NULL},
        {"strategy", 's', MK_OPT_CHOICE, &o->strategy, "S",
         "how directories are shared: static, manager, steal (default)", 0, 0, 0, 0, "static|manager|steal"},
        {"batch", 0, MK_OPT_INT, &o->batch, "K", "manager: at most K directories per hand-out (default 32)", 1,
         1 << 20, 0, 0, NULL},
        {"unsorted", 'u', MK_OPT_FLAG, &o->unsorted, NULL, "print matches as they are found (rank 0 streams)", 0,
         0, 0, 0, NULL},
        {"count", 'c', MK_OPT_FLAG, &o->count, NULL, "print only the totals, not the paths", 0, 0, 0, 0, NULL},
        {"print0", '0', MK_OPT_FLAG, &o->print0, NULL, "end each path with NUL instead of newline (text)", 0, 0, 0,
         0, NULL},
        {"format", 'f', MK_OPT_CHOICE, &o->format, "FMT", "text (default: paths like find), csv, json", 0, 0, 0, 0,
         MK_FORMAT_CHOICES},
        MK_TABLE_OPTION(&o->table, FINDFILES_TABLES),
        {"no-bytes", 0, MK_OPT_FLAG, &o->no_bytes, NULL,
         "do not stat every match to total its size (bytes shows '-'); as cheap as find -name", 0, 0, 0, 0, NULL},
        {"stats", 't', MK_OPT_FLAG, &o->stats, NULL, "also report totals, time, rate and per-rank balance", 0, 0,
         0, 0, NULL},
        {"progress", 0, MK_OPT_FLAG, &o->progress, NULL, "show progress on stderr even when not a terminal", 0, 0,
         0, 0, NULL},
        {"no-progress", 0, MK_OPT_FLAG, &o->no_progress, NULL, "never show progress", 0, 0, 0, 0, NULL},
    };
    const mk_cli cli = {
        .prog = "findfiles",
        .usage = "[options] [DIR...]   (default: .)",
        .summary = "Walk the directory trees with every MPI rank and print the paths that match, like\n"
                   "`find DIR -name GLOB -type f` (sorted bytewise unless --unsorted). Directories are\n"
                   "shared out as they are found (--strategy). Run it as: mpirun -n 4 findfiles --name '*.py' src",
        .opts = opts,
        .nopts = (int)(sizeof opts / sizeof opts[0]),
        .min_positional = 0,
        .max_positional = -1,
    };
    int rc = mk_cli_parse(&cli, argc, argv, out, dirs, ndirs, err);
    if (rc != MK_CLI_OK)
        return rc;
    if (collect_globs(argc, argv, &o->globs, err) != 0)
        return MK_CLI_ERROR;
    if (o->mtime != NULL && parse_days(o->mtime, NULL, NULL, err) != 0)
        return MK_CLI_ERROR;
    if (o->maxdepth >= 0 && o->mindepth > o->maxdepth)
        return mk_err_set(err, MK_EXIT_USAGE, "--mindepth is larger than --maxdepth: nothing can match");
    if (o->min_size > o->max_size)
        return mk_err_set(err, MK_EXIT_USAGE, "--min-size is larger than --max-size");
    if (mk_table_check_format(o->format, o->table, err) != 0 ||
        mk_table_require(FINDFILES_TABLES, o->table, "paths", !o->count, "not made with --count", err) != 0 ||
        mk_table_require(FINDFILES_TABLES, o->table, "balance", o->stats, "needs --stats", err) != 0 ||
        mk_table_require(FINDFILES_TABLES, o->table, "ranks", o->stats, "needs --stats", err) != 0)
        return MK_CLI_ERROR;
    if (o->print0 && o->format != MK_FMT_TEXT)
        return mk_err_set(err, MK_EXIT_USAGE, "--print0 applies to the text format only");
    return MK_CLI_OK;
}

/* The walk's filter from the options. Rank 0 reads the --newer file's time and the clock of
 * --mtime; every rank gets them, so all test against the same instant. */
static int build_filter(MPI_Comm comm, const options *o, mk_walk_filter *f, mk_err *err)
{
    const glob_lists *g = &o->globs;
    *f = (mk_walk_filter){.type = o->type, .min_size = o->min_size, .max_size = o->max_size, .follow = o->follow,
                          .names = g->names, .names_fold = g->fold, .nnames = g->nnames, .paths = g->paths,
                          .npaths = g->npaths, .prunes = g->prunes, .nprunes = g->nprunes, .empty = o->empty,
                          .has_max_depth = o->maxdepth >= 0, .max_depth = (uint32_t)(o->maxdepth >= 0 ? o->maxdepth : 0),
                          .min_depth = (uint32_t)(o->mindepth >= 0 ? o->mindepth : 0), .has_newer = o->newer != NULL,
                          .has_mtime = o->mtime != NULL};
    if (o->mtime != NULL)
        (void)parse_days(o->mtime, &f->mtime_cmp, &f->mtime_days, err);
    int64_t times[3] = {(int64_t)time(NULL), 0, 0};
    struct stat st;
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0 && o->newer != NULL) {
        if (stat(o->newer, &st) != 0)
            mk_err_set(err, MK_EXIT_USAGE, "--newer: cannot read the time of '%s': %s", o->newer, strerror(errno));
        else {
            times[1] = (int64_t)st.st_mtim.tv_sec;
            times[2] = (int64_t)st.st_mtim.tv_nsec;
        }
    }
    if (mk_err_agree(comm, err) != 0)
        return -1;
    MPI_Bcast(times, 3, MPI_INT64_T, 0, comm);
    f->now = times[0];
    f->newer_sec = times[1];
    f->newer_nsec = times[2];
    return 0;
}

/* No DIR given: the current directory, as GNU find does. */
static int default_dir(char ***dirs, int *ndirs, mk_err *err)
{
    if (*ndirs > 0)
        return 0;
    free(*dirs);
    *dirs = malloc(sizeof **dirs);
    if (*dirs == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    (*dirs)[0] = (char *)"."; /* never written to */
    *ndirs = 1;
    return 0;
}

/* ---- static: split the top-level directories in blocks, walk alone, wait for all ---- */

static int walk_static(mk_walk_rank *r, mk_dirstack *roots)
{
    /* rank 0 reads the starting points; what they contain is the list to split */
    mk_dirstack top;
    mk_dirstack_init(&top);
    mk_walk_item it;
    int bad = 0;
    while (r->rank == 0 && mk_dirstack_pop(roots, &it))
        bad |= mk_walk_rank_read(r, &it, &top, NULL, NULL) != 0;
    char *buf = NULL;
    size_t len = 0;
    if (r->rank == 0 && !bad)
        bad = mk_dirstack_pack_bottom(&top, top.n, &buf, &len) != 0 || len > 1u << 30;
    uint64_t hdr[2] = {(uint64_t)bad, len};
    MPI_Bcast(hdr, 2, MPI_UINT64_T, 0, r->comm);
    if (hdr[0] != 0) {
        free(buf);
        return -1;
    }
    if (r->rank != 0 && (buf = malloc(hdr[1] ? hdr[1] : 1)) == NULL)
        return -1;
    MPI_Bcast(buf, (int)hdr[1], MPI_BYTE, 0, r->comm);
    bad = mk_dirstack_unpack(&top, buf, hdr[1], NULL) != 0;
    free(buf);

    /* block i of the list is rank i's, whatever is under it */
    mk_range mine = mk_block_range(top.n, r->size, r->rank);
    for (size_t i = 0; i < top.n; i++) {
        if (i >= mine.start && i < mine.start + mine.count)
            bad |= mk_dirstack_push(&r->stack, &top.items[i]) != 0;
        else
            mk_walk_item_free(&top.items[i]);
    }
    top.n = 0;
    mk_dirstack_free(&top);
    while (!bad && mk_dirstack_pop(&r->stack, &it))
        bad = mk_walk_rank_read(r, &it, NULL, NULL, NULL) != 0;
    return mk_walk_wait_all(r) != 0 || bad ? -1 : 0;
}

/* ---- manager: rank 0 hands out batches from its queue, workers return what they find ---- */

typedef struct {
    mk_walk_rank *r;
    int *waiting;     /* worker w has asked and not been given work yet */
    int nwaiting;
    size_t batch;
} manager;

/* Serve the requests that arrived: take in the directories they bring, then give each waiting
 * worker a batch from the bottom of the queue (the shallowest directories). */
static int manager_serve(void *arg)
{
    manager *m = arg;
    mk_walk_rank *r = m->r;
    mk_walk_msg msg;
    int rc;
    while ((rc = mk_walk_recv(r, &msg)) > 0) {
        if (msg.tag == MK_TAG_REQUEST && !m->waiting[msg.src]) {
            rc = mk_walk_take_items(r, &msg, &r->stack) < 0 ? -1 : 0;
            m->waiting[msg.src] = 1;
            m->nwaiting++;
            mk_walk_busy(r);
        } else {
            rc = -1;   /* nothing else is sent to the manager */
        }
        mk_walk_msg_free(&msg);
        if (rc != 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    for (int w = 1; w < r->size && r->stack.n > 0 && m->nwaiting > 0; w++) {
        if (!m->waiting[w])
            continue;
        size_t share = r->stack.n / (size_t)(m->nwaiting + 1);
        size_t k = share < 1 ? 1 : share > m->batch ? m->batch : share;
        if (mk_walk_send_items(r, w, MK_TAG_WORK, &r->stack, k) < 0)
            return -1;
        m->waiting[w] = 0;
        m->nwaiting--;
    }
    return 0;
}

static int walk_manager_rank0(mk_walk_rank *r, size_t batch)
{
    manager m = {r, calloc((size_t)r->size, sizeof(int)), 0, batch};
    if (m.waiting == NULL)
        return -1;
    int rc = 0;
    mk_walk_item it;
    for (;;) {
        if ((rc = manager_serve(&m)) != 0)
            break;
        if (mk_dirstack_pop(&r->stack, &it)) {   /* nobody is waiting: read one ourselves */
            if ((rc = mk_walk_rank_read(r, &it, NULL, manager_serve, &m)) != 0)
                break;
            continue;
        }
        if (m.nwaiting == r->size - 1) {           /* empty queue, every worker idle: done */
            rc = mk_walk_send_done(r);
            break;
        }
        mk_walk_idle(r);
    }
    free(m.waiting);
    return rc;
}

static int walk_manager_worker(mk_walk_rank *r)
{
    mk_dirstack batch, found;
    mk_dirstack_init(&batch);
    mk_dirstack_init(&found);
    int rc = mk_walk_send_items(r, 0, MK_TAG_REQUEST, &found, 0) < 0 ? -1 : 0;
    while (rc == 0) {
        mk_walk_msg msg;
        int got = mk_walk_recv(r, &msg);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0) {
            mk_walk_idle(r);
            continue;
        }
        int tag = msg.tag;
        if (tag == MK_TAG_WORK && mk_walk_take_items(r, &msg, &batch) < 0)
            rc = -1;
        mk_walk_msg_free(&msg);
        if (tag == MK_TAG_DONE || rc != 0)
            break;
        if (tag != MK_TAG_WORK) {
            rc = -1;
            break;
        }
        /* read the batch; every subdirectory found goes back to the manager with the next request */
        mk_walk_item it;
        while (rc == 0 && mk_dirstack_pop(&batch, &it))
            rc = mk_walk_rank_read(r, &it, &found, NULL, NULL);
        if (rc == 0 && mk_walk_send_items(r, 0, MK_TAG_REQUEST, &found, found.n) < 0)
            rc = -1;
    }
    mk_dirstack_free(&batch);
    mk_dirstack_free(&found);
    return rc;
}

/* ---- steal: random victims give half their stack; Safra's token detects the end ---- */

typedef struct {
    mk_walk_rank *r;
    int reading;       /* inside a directory: the stack may be given away down to nothing */
    int asked;         /* a steal request is out, its reply not yet in */
    int have_token, token_out, round, done;
    mk_walk_token token;
} thief;

static int steal_serve(void *arg)
{
    thief *s = arg;
    mk_walk_rank *r = s->r;
    mk_walk_msg msg;
    int rc;
    while ((rc = mk_walk_recv(r, &msg)) > 0) {
        long n = 0;
        switch (msg.tag) {
        case MK_TAG_REQUEST: /* a thief: give it the bottom half of the stack (maybe nothing) */
            n = mk_walk_send_items(r, msg.src, MK_TAG_WORK, &r->stack,
                                   s->reading ? (r->stack.n + 1) / 2 : r->stack.n / 2);
            if (n > 0)
                mk_walk_count_sent(r);
            break;
        case MK_TAG_WORK: /* the reply to our request */
            s->asked = 0;
            n = mk_walk_take_items(r, &msg, &r->stack);
            if (n > 0) {
                mk_walk_count_received(r);
                r->stats.steals_ok++;
            }
            break;
        case MK_TAG_TOKEN:
            n = mk_walk_token_read(&msg, &s->token);
            s->have_token = 1;
            break;
        case MK_TAG_DONE:
            s->done = 1;
            break;
        default:
            n = -1;
        }
        mk_walk_msg_free(&msg);
        if (n < 0)
            return -1;
    }
    return rc;
}

static int walk_steal(mk_walk_rank *r)
{
    thief s = {.r = r};
    mk_walk_item it;
    for (;;) {
        if (steal_serve(&s) != 0)
            return -1;
        if (s.done)
            return 0;
        if (mk_dirstack_pop(&r->stack, &it)) {
            s.reading = 1;
            int rc = mk_walk_rank_read(r, &it, NULL, steal_serve, &s);
            s.reading = 0;
            if (rc != 0)
                return -1;
            continue;
        }
        if (r->size == 1)
            return 0;
        /* passive: ask a random victim, and move the token on */
        if (!s.asked) {
            int victim = (int)mk_rng_next_below(&r->rng, (uint64_t)r->size - 1);
            if (victim >= r->rank)
                victim++;
            if (mk_walk_send_items(r, victim, MK_TAG_REQUEST, &r->stack, 0) < 0)
                return -1;
            s.asked = 1;
            r->stats.steals_tried++;
        }
        if (r->rank == 0 && (!s.token_out || s.have_token)) {
            if (s.have_token && mk_walk_token_done(r, &s.token))
                return mk_walk_send_done(r);
            s.have_token = 0;
            s.token_out = 1;
            if (mk_walk_token_start(r, ++s.round) != 0)
                return -1;
        } else if (r->rank != 0 && s.have_token) {
            s.have_token = 0;
            if (mk_walk_token_pass(r, &s.token) != 0)
                return -1;
        }
        mk_walk_idle(r);
    }
}

/* ---- report ---- */

typedef struct {
    mk_walk_totals sum;
    mk_walk_totals *per_rank;       /* rank 0 */
    mk_walk_rankstats *rank_stats;  /* rank 0 */
    double walk_seconds;
} results;

static void report(FILE *out, const options *o, const results *res, int nranks, const char *const *paths,
                   uint64_t npaths)
{
    int text = o->format == MK_FMT_TEXT;
    int show_paths = !o->count && paths != NULL;
    if (text && show_paths)
        mk_pathlist_write(out, paths, npaths, o->print0 ? '\0' : '\n');
    mk_table *tables[4];
    int nt = 0;
    if (show_paths && !text) {
        const char *cols[] = {"path"};
        mk_table *t = mk_table_new("paths", "paths", 1, cols);
        for (uint64_t i = 0; i < npaths; i++)
            mk_table_str(t, paths[i]);
        tables[nt++] = t;
    }
    if (o->count || o->stats || !text) {
        const char *cols[] = {"directories", "entries", "files", "matched", "bytes", "unreadable", "loops",
                              "errors"};
        mk_table *t = mk_table_new("totals", "totals", 8, cols);
        const mk_walk_totals *s = &res->sum;
        mk_table_u64(t, s->dirs);
        mk_table_u64(t, s->entries);
        mk_table_u64(t, s->files);
        mk_table_u64(t, s->matched);
        if (o->no_bytes)
            mk_table_str(t, "-");
        else
            mk_table_u64(t, s->bytes);
        mk_table_u64(t, s->unreadable);
        mk_table_u64(t, s->loops);
        mk_table_u64(t, s->errors);
        tables[nt++] = t;
    }
    if (o->stats) {
        double busy_max = 0, busy_sum = 0, ent_max = 0;
        for (int i = 0; i < nranks; i++) {
            double b = res->rank_stats[i].busy_seconds, e = (double)res->per_rank[i].entries;
            busy_sum += b;
            busy_max = b > busy_max ? b : busy_max;
            ent_max = e > ent_max ? e : ent_max;
        }
        double busy_mean = busy_sum / nranks, ent_mean = (double)res->sum.entries / nranks;
        const char *cols[] = {"strategy", "ranks", "walk_s", "entries_per_s", "busy_max_s", "busy_mean_s",
                              "imbalance", "entries_imbalance"};
        mk_table *t = mk_table_new("balance", "balance (imbalance = max/mean over ranks of busy time; of entries read)",
                                   8, cols);
        mk_table_str(t, STRATEGY_NAMES[o->strategy]);
        mk_table_i64(t, nranks);
        mk_table_f64(t, "%.4f", res->walk_seconds);
        mk_table_f64(t, "%.0f", res->walk_seconds > 0 ? (double)res->sum.entries / res->walk_seconds : 0.0);
        mk_table_f64(t, "%.4f", busy_max);
        mk_table_f64(t, "%.4f", busy_mean);
        mk_table_f64(t, "%.3f", busy_mean > 0 ? busy_max / busy_mean : 1.0);
        mk_table_f64(t, "%.3f", ent_mean > 0 ? ent_max / ent_mean : 1.0);
        tables[nt++] = t;
        const char *rcols[] = {"rank", "directories", "entries", "busy_s", "dirs_given", "dirs_taken",
                               "messages", "steals_tried", "steals_ok"};
        mk_table *rt = mk_table_new("ranks", "per rank", 9, rcols);
        for (int i = 0; i < nranks; i++) {
            const mk_walk_rankstats *st = &res->rank_stats[i];
            mk_table_i64(rt, i);
            mk_table_u64(rt, res->per_rank[i].dirs);
            mk_table_u64(rt, res->per_rank[i].entries);
            mk_table_f64(rt, "%.4f", st->busy_seconds);
            mk_table_u64(rt, st->dirs_given);
            mk_table_u64(rt, st->dirs_taken);
            mk_table_u64(rt, st->messages);
            mk_table_u64(rt, st->steals_tried);
            mk_table_u64(rt, st->steals_ok);
        }
        tables[nt++] = rt;
    }
    if (text && show_paths && nt > 0)
        fputc('\n', out);
    (void)mk_report_print(out, tables, nt, (mk_format)o->format, FINDFILES_TABLES, o->table);
    for (int i = 0; i < nt; i++)
        mk_table_free(tables[i]);
}

/* Sum the counters and collect the per-rank numbers on rank 0. Collective. */
static int collect(const mk_walk_rank *r, double walk_seconds, results *res, mk_err *err)
{
    memset(res, 0, sizeof *res);
    if (r->rank == 0) {
        res->per_rank = calloc((size_t)r->size, sizeof *res->per_rank);
        res->rank_stats = calloc((size_t)r->size, sizeof *res->rank_stats);
        if (res->per_rank == NULL || res->rank_stats == NULL)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    }
    if (mk_err_agree(r->comm, err) != 0)
        return -1;
    MPI_Reduce(&r->walker.totals, &res->sum, MK_WALK_NTOTALS, MPI_UINT64_T, MPI_SUM, 0, r->comm);
    MPI_Gather(&r->walker.totals, MK_WALK_NTOTALS, MPI_UINT64_T, res->per_rank, MK_WALK_NTOTALS, MPI_UINT64_T, 0,
               r->comm);
    MPI_Gather(&r->stats, (int)sizeof r->stats, MPI_BYTE, res->rank_stats, (int)sizeof r->stats, MPI_BYTE, 0,
               r->comm);
    MPI_Reduce(&walk_seconds, &res->walk_seconds, 1, MPI_DOUBLE, MPI_MAX, 0, r->comm);
    return 0;
}

/* What the walk shares with every rank, from the options. */
static mk_walk_setup make_setup(const options *o, const mk_walk_filter *filter, int rank)
{
    return (mk_walk_setup){
        .filter = *filter,
        .output = o->count ? MK_WALK_OUT_NONE
                           : (o->unsorted && o->format == MK_FMT_TEXT ? MK_WALK_OUT_STREAM : MK_WALK_OUT_GATHER),
        .term = o->print0 ? '\0' : '\n',
        .progress = mk_progress_wanted(o->progress, o->no_progress, rank),
        /* the byte total costs a stat per match: only when it is shown (or a size bound needs it) */
        .bytes = !o->no_bytes && (o->count || o->stats || o->format != MK_FMT_TEXT),
        .prog = "findfiles",
        .seed = 12345,
    };
}

/* Rank 0 checks every DIR (exists, is a directory) before anyone walks; the verdict is agreed.
 * Then the starting points are tested like find's, and (dynamic strategies) become the first
 * directories to read. On error everything is freed and -1 returned. */
static int prepare_roots(mk_walk_rank *r, const options *o, char **dirs, int ndirs, mk_dirstack *roots, mk_err *err)
{
    mk_dirstack_init(roots);
    for (int i = 0; r->rank == 0 && i < ndirs && err->code == 0; i++) {
        mk_walk_item it;
        if (mk_walk_root_item(&r->walker, dirs[i], &it, err) == 0 && mk_dirstack_push(roots, &it) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    }
    free(dirs);
    if (mk_err_agree(r->comm, err) != 0)
        return -1;
    /* find lists (and tests) the starting points themselves, in the order given */
    for (size_t i = 0; i < roots->n; i++)
        if (mk_walk_root_visit(&r->walker, &roots->items[i], &r->matches) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
    if (o->strategy != STRATEGY_STATIC) /* the first directories to read (and to steal) */
        while (roots->n > 0) {
            mk_walk_item it = roots->items[0];
            memmove(roots->items, roots->items + 1, --roots->n * sizeof it);
            if (mk_dirstack_push(&r->stack, &it) != 0)
                mk_err_set(err, MK_EXIT_FAILURE, "out of memory");
        }
    return mk_err_agree(r->comm, err) != 0 ? -1 : 0;
}

/* The strategy shares the directories; afterwards nothing is left in flight. A rank that
 * cannot go on (no memory, MPI failure) cannot be waited for by the others: it aborts. */
static void run_walk(mk_walk_rank *r, const options *o, mk_dirstack *roots)
{
    int walk_rc;
    if (o->strategy == STRATEGY_STATIC)
        walk_rc = walk_static(r, roots);
    else if (o->strategy == STRATEGY_MANAGER)
        walk_rc = r->rank == 0 ? walk_manager_rank0(r, (size_t)o->batch) : walk_manager_worker(r);
    else
        walk_rc = walk_steal(r);
    if (walk_rc != 0) {
        fprintf(stderr, "findfiles: error: rank %d: the walk failed (out of memory or communication error)\n",
                r->rank);
        MPI_Abort(r->comm, MK_EXIT_FAILURE);
    }
}

/* Counters summed, matches gathered and sorted on rank 0, the report printed. Returns the
 * number of problems met (unreadable directories, loops, unreadable entries) on every rank,
 * or -1 with err set. */
static int64_t report_results(mk_walk_rank *r, const options *o, const mk_walk_setup *setup, double walk_seconds,
                              FILE *out, mk_err *err)
{
    results res;
    mk_pathlist all;
    mk_pathlist_init(&all);
    const char **paths = NULL;
    int64_t problems = -1;
    if (collect(r, walk_seconds, &res, err) != 0)
        goto done;
    if (setup->output == MK_WALK_OUT_GATHER) {
        if (mk_walk_gather_matches(r, &all, err) != 0)
            goto done;
        if (r->rank == 0) {
            paths = o->unsorted ? mk_pathlist_index(&all) : mk_pathlist_sorted(&all);
            if (paths == NULL)
                mk_err_set(err, MK_EXIT_FAILURE, "out of memory sorting the matches");
        }
        if (mk_err_agree(r->comm, err) != 0)
            goto done;
    }
    if (out != NULL)
        report(out, o, &res, r->size, paths, all.count);
    uint64_t n = res.sum.unreadable + res.sum.loops + res.sum.errors;
    MPI_Bcast(&n, 1, MPI_UINT64_T, 0, r->comm);
    problems = (int64_t)n;
done:
    free(paths);
    mk_pathlist_free(&all);
    free(res.per_rank);
    free(res.rank_stats);
    return problems;
}

int main(int argc, char **argv)
{
    mk_job job;
    mk_job_begin(&job, "findfiles", &argc, &argv);
    FILE *out = mk_job_out(&job);
    mk_err err;
    mk_err_clear(&err);

    /* parse: every rank parses the same argv (and checks the globs), so all reach the same verdict */
    options o;
    char **dirs = NULL;
    int ndirs = 0;
    int rc = parse_options(argc, argv, out, &o, &dirs, &ndirs, &err);
    mk_job_parsed(&job, rc, &err);
    mk_walk_filter filter;
    if (build_filter(job.comm, &o, &filter, &err) != 0 || default_dir(&dirs, &ndirs, &err) != 0)
        mk_job_exit_error(&job, &err);
    mk_walk_setup setup = make_setup(&o, &filter, job.world_rank);
    mk_walk_rank r;
    if (mk_walk_rank_init(&r, job.comm, &setup, &err) != 0)
        mk_job_exit_error(&job, &err);

    /* check: the starting points, agreed before anyone walks */
    mk_dirstack roots;
    if (prepare_roots(&r, &o, dirs, ndirs, &roots, &err) != 0) {
        mk_dirstack_free(&roots);
        mk_walk_rank_free(&r);
        mk_job_exit_error(&job, &err);
    }

    /* walk */
    MPI_Barrier(r.comm);
    double t0 = mk_now();
    run_walk(&r, &o, &roots);
    mk_dirstack_free(&roots);
    if (mk_walk_rank_finish(&r, &err) != 0) {
        mk_walk_rank_free(&r);
        mk_job_exit_error(&job, &err);
    }
    double walk_seconds = mk_now() - t0;

    /* reduce and report */
    int64_t problems = report_results(&r, &o, &setup, walk_seconds, out, &err);
    mk_walk_rank_free(&r);
    free(o.globs.names);
    free(o.globs.fold);
    if (problems < 0)
        mk_job_exit_error(&job, &err);
    if (problems > 0) { /* like find: everything readable was walked, but the status says not all */
        fflush(stdout);
        MPI_Finalize();
        return MK_EXIT_FAILURE;
    }
    mk_job_end(&job);
}
