/* walk_net.h - the MPI mechanics of a distributed directory walk: one rank's state, tagged
 * messages sent without blocking, background traffic (streamed output, progress) handled on
 * receipt, Safra's termination token, and a final drain that leaves no message unreceived.
 * The strategies themselves (static, manager, work stealing) are written in jobs/findfiles.c. */
#ifndef MPIKIT_WALK_NET_H
#define MPIKIT_WALK_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "mpikit/error.h"
#include "mpikit/rng.h"
#include "mpikit/walk.h"

/* Message tags. WORK carries packed items (zero items: "no work"); REQUEST asks for work
 * (manager: it also returns the subdirectories found); TOKEN is the termination token;
 * DONE ends the walk. OUTPUT and PROGRESS are background traffic to rank 0. */
enum {
    MK_TAG_WORK = 7101,
    MK_TAG_REQUEST,
    MK_TAG_TOKEN,
    MK_TAG_DONE,
    MK_TAG_OUTPUT,
    MK_TAG_PROGRESS
};

/* A received message (buf is malloc'd; mk_walk_msg_free releases it). */
typedef struct {
    int src, tag;
    char *buf;
    size_t len;
} mk_walk_msg;

void mk_walk_msg_free(mk_walk_msg *m);

/* Safra's token: the sum of (work messages sent - received) over the ranks it has visited,
 * and black when any of them received work since the token last passed. */
typedef struct {
    int64_t count;
    int32_t black;
    int32_t round;
} mk_walk_token;

/* Per-rank numbers for the balance report. */
typedef struct {
    double busy_seconds;      /* time spent reading directories */
    uint64_t dirs_given;      /* work items sent to other ranks */
    uint64_t dirs_taken;      /* work items received from other ranks */
    uint64_t messages;        /* messages sent */
    uint64_t steals_tried;    /* steal requests sent (work stealing) */
    uint64_t steals_ok;       /* requests answered with work */
} mk_walk_rankstats;

/* Output of the walk. */
typedef enum { MK_WALK_OUT_GATHER = 0, MK_WALK_OUT_STREAM = 1, MK_WALK_OUT_NONE = 2 } mk_walk_output;

/* Everything one rank holds during a walk. */
typedef struct {
    MPI_Comm comm;            /* a private duplicate: walk traffic never meets other traffic */
    int rank, size;
    mk_walker walker;
    mk_dirstack stack;        /* this rank's work items */
    mk_pathlist matches;      /* this rank's matches (gathered or streamed) */
    mk_walk_rankstats stats;
    mk_rng rng;               /* victim choice */

    /* Safra's termination state */
    int64_t work_count;       /* work messages sent - received */
    int black;

    /* output */
    mk_walk_output output;
    FILE *out;                /* rank 0: where streamed paths go */
    char term;                /* '\n' or '\0' */
    double last_flush;

    /* progress */
    FILE *progress;           /* rank 0 draws here; NULL: off */
    int progress_on;          /* agreed on every rank: workers report to rank 0 */
    double started, last_draw, last_report;
    uint64_t *seen_entries, *seen_dirs;  /* rank 0: latest report of each rank */

    /* messages */
    uint64_t *sent_to, *recv_from;       /* per peer, for the drain */
    MPI_Request *reqs;
    char **req_bufs;
    int nreqs, reqs_cap;
    double idle_sleep;                   /* back-off while idle, seconds */
    int idle_spins;                      /* idle polls since the last useful work */
    int failed;
} mk_walk_rank;

typedef struct {
    mk_walk_filter filter;
    mk_walk_output output;
    char term;
    int progress;             /* rank 0's decision; broadcast inside */
    int bytes;                /* sum the sizes of the matches (a stat each) */
    const char *prog;
    uint64_t seed;
} mk_walk_setup;

/* Set up this rank's state over a duplicate of comm. Collective. */
int mk_walk_rank_init(mk_walk_rank *r, MPI_Comm comm, const mk_walk_setup *setup, mk_err *err);

/* Read one directory into this rank's stack (or `into` when not NULL), timing it as busy,
 * calling poll(arg) every few hundred entries so a busy rank still answers. Matches are
 * printed (rank 0) or sent on (others) when streaming. Frees the item. */
int mk_walk_rank_read(mk_walk_rank *r, mk_walk_item *dir, mk_dirstack *into, mk_walk_poll_fn poll, void *arg);

/* Send a malloc'd buffer without blocking (the rank keeps it until the send completes). */
int mk_walk_send(mk_walk_rank *r, int dest, int tag, char *buf, size_t len);
/* Send the k bottom items of `from` as one message with `tag`; returns the number sent or -1. */
long mk_walk_send_items(mk_walk_rank *r, int dest, int tag, mk_dirstack *from, size_t k);
/* Receive the next message of a strategy, if any (0: none). Background traffic (OUTPUT,
 * PROGRESS) is handled here and never returned; progress is drawn from here too. */
int mk_walk_recv(mk_walk_rank *r, mk_walk_msg *m);
/* Unpack the items of a WORK/REQUEST message onto `into`; returns the count or -1. */
long mk_walk_take_items(mk_walk_rank *r, const mk_walk_msg *m, mk_dirstack *into);
/* Nothing to do: poll a while, then sleep a little (longer each time, up to 0.5 ms) so idle
 * ranks do not starve busy ones on a shared core. Reading a directory, receiving items or mk_walk_busy (for a
 * useful message, e.g. a request at the manager) resets the back-off; failed steals do not. */
void mk_walk_idle(mk_walk_rank *r);
void mk_walk_busy(mk_walk_rank *r);

/* Safra's algorithm (ring 0 -> 1 -> ... -> size-1 -> 0), called by a passive rank (no work).
 * Rank 0 starts a round with mk_walk_token_start; every other rank passes the token on with
 * mk_walk_token_pass; when it comes back, mk_walk_token_done says whether the walk is over
 * (white token, white rank 0, count sum zero) or a new round is needed. */
int mk_walk_token_start(mk_walk_rank *r, int round);
int mk_walk_token_pass(mk_walk_rank *r, const mk_walk_token *t);
int mk_walk_token_done(const mk_walk_rank *r, const mk_walk_token *t);
int mk_walk_token_read(const mk_walk_msg *m, mk_walk_token *t);
/* Record a work message (with at least one item) sent or received, for the token. */
void mk_walk_count_sent(mk_walk_rank *r);
void mk_walk_count_received(mk_walk_rank *r);

/* Rank 0: tell every other rank the walk is over. */
int mk_walk_send_done(mk_walk_rank *r);

/* Wait for every rank to reach this point while still handling background traffic
 * (MPI_Ibarrier polled): what a static split does when its share is finished. */
int mk_walk_wait_all(mk_walk_rank *r);

/* After the walk, collective: flush streamed output, exchange per-peer message counts and
 * receive every message still in flight (a leftover WORK with items is an error), complete
 * every send. Then no message of the walk is left anywhere. */
int mk_walk_rank_finish(mk_walk_rank *r, mk_err *err);

/* Gather every rank's matches to rank 0 (sizes checked against int). Collective. */
int mk_walk_gather_matches(mk_walk_rank *r, mk_pathlist *all, mk_err *err);

/* Release everything (after finish). */
void mk_walk_rank_free(mk_walk_rank *r);

#endif
