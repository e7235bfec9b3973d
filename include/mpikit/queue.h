/* queue.h - the pieces of a Queue hosted by one rank: item encoding, the host's FIFO with its
 * shutdown rule, and the exactly-once / per-producer-order check. No MPI here: the job moves
 * the encoded bytes; these parts are unit-tested on their own. */
#ifndef MPIKIT_QUEUE_H
#define MPIKIT_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "mpikit/error.h"

#define MK_QUEUE_TEXT_MAX 64          /* string payload, including the terminating NUL */
#define MK_QUEUE_MSG_MAX (32 + MK_QUEUE_TEXT_MAX)  /* largest encoded item */

/* What a message carries. END: producer `producer` has put `seq` items and will put no more.
 * DONE: the host tells a consumer the queue is drained and every producer has ended. */
typedef enum { MK_QITEM_NUMBER = 1, MK_QITEM_STRING = 2, MK_QITEM_END = 3, MK_QITEM_DONE = 4 } mk_qitem_kind;

typedef struct {
    int kind;
    int producer;                    /* producer id, 0 .. nproducers-1 */
    uint64_t seq;                    /* position in that producer's stream, from 0 */
    double number;                   /* MK_QITEM_NUMBER */
    char text[MK_QUEUE_TEXT_MAX];    /* MK_QITEM_STRING, NUL-terminated */
    int consumer;                    /* set by whoever received it; not encoded */
} mk_qitem;

/* The item producer `producer` puts at position `seq`: a pure function of (seed, producer, seq),
 * numbers at even positions, strings at odd ones, so the receiver can check every byte. */
void mk_qitem_make(uint64_t seed, int producer, uint64_t seq, mk_qitem *out);

/* Encode into buf (cap >= MK_QUEUE_MSG_MAX is always enough); returns the length, 0 when it
 * does not fit. Decode returns 0, or -1 for a malformed message (bad kind, length, no NUL). */
size_t mk_qitem_encode(const mk_qitem *it, unsigned char *buf, size_t cap);
int mk_qitem_decode(const unsigned char *buf, size_t len, mk_qitem *out);

/* Equal kind, producer, seq and payload (bits of the number, bytes of the text). */
int mk_qitem_same(const mk_qitem *a, const mk_qitem *b);

/* The host: a FIFO of items from nproducers producers. */
typedef struct mk_queue_host mk_queue_host;

mk_queue_host *mk_queue_host_new(int nproducers);
void mk_queue_host_free(mk_queue_host *h);

/* Accept a put. Items must come in each producer's order (seq = 0, 1, 2, ...) and before its
 * END; END's seq must equal the number of items that producer put. A violation returns -1 with
 * err set (MK_EXIT_FAILURE) and changes nothing. */
int mk_queue_host_put(mk_queue_host *h, const mk_qitem *it, mk_err *err);

enum { MK_QUEUE_ITEM = 0, MK_QUEUE_EMPTY = 1, MK_QUEUE_DONE = 2 };
/* get(block=False): the oldest item (MK_QUEUE_ITEM), MK_QUEUE_EMPTY when none is there but a
 * producer is still open, MK_QUEUE_DONE when the FIFO is empty and every producer has ended. */
int mk_queue_host_get(mk_queue_host *h, mk_qitem *out);

size_t mk_queue_host_size(const mk_queue_host *h);      /* items waiting */
int mk_queue_host_open(const mk_queue_host *h);          /* producers not yet ended */
uint64_t mk_queue_host_put_count(const mk_queue_host *h, int producer);

/* The end-of-run check over everything the consumers received (any order of consumers; within
 * one consumer, in the order it received them). counts[p] is what producer p put. */
typedef struct {
    uint64_t expected, received;
    uint64_t duplicates;     /* (producer, seq) received more than once */
    uint64_t missing;        /* put but never received */
    uint64_t unknown;        /* a producer or seq that was never put */
    uint64_t out_of_order;   /* within a consumer, a producer's seq not increasing */
    uint64_t corrupted;      /* payload differs from mk_qitem_make */
} mk_queue_verdict;

int mk_queue_check(uint64_t seed, const mk_qitem *got, size_t ngot, const uint64_t *counts, int nproducers,
                   mk_queue_verdict *v);
/* All counts zero but expected == received. */
int mk_queue_verdict_ok(const mk_queue_verdict *v);

#endif
