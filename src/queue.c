/* queue.c - a Queue hosted by one rank: item encoding, the host FIFO and its shutdown rule,
 * and the exactly-once check.
 *
 *   producer p:  put(p,0) put(p,1) ... put(p,k-1) END(p,k)      in order, point-to-point
 *   host FIFO:   [ (1,0) (2,0) (1,1) ... ]   per-producer order kept (FIFO + in-order arrival)
 *   get:         ITEM | EMPTY (nothing now, some producer open) | DONE (empty, all ended)
 *
 * DONE is the shutdown rule: once every producer has sent END and the FIFO is empty, no
 * item can still arrive, so consumers may stop without losing or stranding a message. */
#include "mpikit/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mpikit/rng.h"

static const char *const words[] = {"apple", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron"};

void mk_qitem_make(uint64_t seed, int producer, uint64_t seq, mk_qitem *out)
{
    memset(out, 0, sizeof *out);
    out->producer = producer;
    out->seq = seq;
    uint64_t index = ((uint64_t)(uint32_t)producer << 40) | (seq & ((UINT64_C(1) << 40) - 1));
    if (seq % 2 == 0) {
        out->kind = MK_QITEM_NUMBER;
        out->number = mk_rng_uniform(seed, index);
    } else {
        out->kind = MK_QITEM_STRING;
        snprintf(out->text, sizeof out->text, "p%d-%llu-%s", producer, (unsigned long long)seq,
                 words[mk_rng_below(seed, index, sizeof words / sizeof words[0])]);
    }
}

/* Layout: kind u32 | producer u32 | seq u64 | number (8 bytes) | text length u32 | text bytes. */
size_t mk_qitem_encode(const mk_qitem *it, unsigned char *buf, size_t cap)
{
    uint32_t kind = (uint32_t)it->kind, producer = (uint32_t)it->producer;
    uint32_t tlen = it->kind == MK_QITEM_STRING ? (uint32_t)strnlen(it->text, MK_QUEUE_TEXT_MAX - 1) : 0;
    size_t len = 28 + tlen;
    if (len > cap)
        return 0;
    memcpy(buf, &kind, 4);
    memcpy(buf + 4, &producer, 4);
    memcpy(buf + 8, &it->seq, 8);
    memcpy(buf + 16, &it->number, 8);
    memcpy(buf + 24, &tlen, 4);
    memcpy(buf + 28, it->text, tlen);
    return len;
}

int mk_qitem_decode(const unsigned char *buf, size_t len, mk_qitem *out)
{
    uint32_t kind, producer, tlen;
    if (len < 28)
        return -1;
    memset(out, 0, sizeof *out);
    memcpy(&kind, buf, 4);
    memcpy(&producer, buf + 4, 4);
    memcpy(&out->seq, buf + 8, 8);
    memcpy(&out->number, buf + 16, 8);
    memcpy(&tlen, buf + 24, 4);
    if (kind < MK_QITEM_NUMBER || kind > MK_QITEM_DONE || producer > INT32_MAX || tlen >= MK_QUEUE_TEXT_MAX ||
        len != 28 + (size_t)tlen || (kind != MK_QITEM_STRING && tlen != 0) || memchr(buf + 28, '\0', tlen))
        return -1;
    out->kind = (int)kind;
    out->producer = (int)producer;
    memcpy(out->text, buf + 28, tlen);
    return 0;
}

int mk_qitem_same(const mk_qitem *a, const mk_qitem *b)
{
    return a->kind == b->kind && a->producer == b->producer && a->seq == b->seq &&
           /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c): same bits, NaN too */
           memcmp(&a->number, &b->number, sizeof a->number) == 0 && strcmp(a->text, b->text) == 0;
}

struct mk_queue_host {
    int nproducers, open;
    uint64_t *next;      /* next seq expected from each producer */
    unsigned char *ended;
    mk_qitem *ring;      /* FIFO as a growable ring buffer */
    size_t cap, head, size;
};

mk_queue_host *mk_queue_host_new(int nproducers)
{
    mk_queue_host *h = calloc(1, sizeof *h);
    if (h == NULL || nproducers < 0)
        goto fail;
    h->nproducers = h->open = nproducers;
    h->next = calloc((size_t)nproducers + 1, sizeof *h->next);
    h->ended = calloc((size_t)nproducers + 1, 1);
    h->cap = 16;
    h->ring = malloc(h->cap * sizeof *h->ring);
    if (h->next == NULL || h->ended == NULL || h->ring == NULL)
        goto fail;
    return h;
fail:
    mk_queue_host_free(h);
    return NULL;
}

void mk_queue_host_free(mk_queue_host *h)
{
    if (h == NULL)
        return;
    free(h->next);
    free(h->ended);
    free(h->ring);
    free(h);
}

static int grow(mk_queue_host *h)
{
    size_t cap = h->cap * 2;
    mk_qitem *ring = malloc(cap * sizeof *ring);
    if (ring == NULL)
        return -1;
    for (size_t i = 0; i < h->size; i++)
        ring[i] = h->ring[(h->head + i) % h->cap];
    free(h->ring);
    h->ring = ring;
    h->cap = cap;
    h->head = 0;
    return 0;
}

int mk_queue_host_put(mk_queue_host *h, const mk_qitem *it, mk_err *err)
{
    int p = it->producer;
    if (p < 0 || p >= h->nproducers)
        return mk_err_set(err, MK_EXIT_FAILURE, "queue: put from unknown producer %d", p);
    if (h->ended[p])
        return mk_err_set(err, MK_EXIT_FAILURE, "queue: producer %d put after its end marker", p);
    if (it->kind == MK_QITEM_END) {
        if (it->seq != h->next[p])
            return mk_err_set(err, MK_EXIT_FAILURE, "queue: producer %d ended after %llu items but %llu arrived", p,
                              (unsigned long long)it->seq, (unsigned long long)h->next[p]);
        h->ended[p] = 1;
        h->open--;
        return 0;
    }
    if (it->kind != MK_QITEM_NUMBER && it->kind != MK_QITEM_STRING)
        return mk_err_set(err, MK_EXIT_FAILURE, "queue: producer %d put a message of kind %d", p, it->kind);
    if (it->seq != h->next[p])
        return mk_err_set(err, MK_EXIT_FAILURE, "queue: producer %d item %llu arrived when %llu was expected", p,
                          (unsigned long long)it->seq, (unsigned long long)h->next[p]);
    if (h->size == h->cap && grow(h) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "queue: out of memory");
    h->ring[(h->head + h->size) % h->cap] = *it;
    h->size++;
    h->next[p]++;
    return 0;
}

int mk_queue_host_get(mk_queue_host *h, mk_qitem *out)
{
    if (h->size == 0)
        return h->open > 0 ? MK_QUEUE_EMPTY : MK_QUEUE_DONE;
    *out = h->ring[h->head];
    h->head = (h->head + 1) % h->cap;
    h->size--;
    return MK_QUEUE_ITEM;
}

size_t mk_queue_host_size(const mk_queue_host *h) { return h->size; }
int mk_queue_host_open(const mk_queue_host *h) { return h->open; }
uint64_t mk_queue_host_put_count(const mk_queue_host *h, int producer)
{
    return producer >= 0 && producer < h->nproducers ? h->next[producer] : 0;
}

int mk_queue_check(uint64_t seed, const mk_qitem *got, size_t ngot, const uint64_t *counts, int nproducers,
                   mk_queue_verdict *v)
{
    memset(v, 0, sizeof *v);
    uint64_t **seen = calloc((size_t)nproducers + 1, sizeof *seen);
    /* last[c * nproducers + p]: last seq consumer c got from producer p, plus one (0: none) */
    int maxc = 0;
    for (size_t i = 0; i < ngot; i++)
        if (got[i].consumer > maxc)
            maxc = got[i].consumer;
    uint64_t *last = calloc(((size_t)maxc + 1) * ((size_t)nproducers + 1), sizeof *last);
    int rc = -1;
    if (seen == NULL || last == NULL)
        goto done;
    for (int p = 0; p < nproducers; p++) {
        v->expected += counts[p];
        if ((seen[p] = calloc(counts[p] + 1, sizeof **seen)) == NULL)
            goto done;
    }
    v->received = ngot;
    for (size_t i = 0; i < ngot; i++) {
        const mk_qitem *it = &got[i];
        int p = it->producer;
        if (p < 0 || p >= nproducers || it->seq >= counts[p] || it->consumer < 0) {
            v->unknown++;
            continue;
        }
        if (seen[p][it->seq]++ > 0)
            v->duplicates++;
        uint64_t *l = &last[(size_t)it->consumer * (size_t)nproducers + (size_t)p];
        if (it->seq + 1 <= *l)
            v->out_of_order++;
        *l = it->seq + 1;
        mk_qitem want;
        mk_qitem_make(seed, p, it->seq, &want);
        if (!mk_qitem_same(&want, it))
            v->corrupted++;
    }
    for (int p = 0; p < nproducers; p++)
        for (uint64_t s = 0; s < counts[p]; s++)
            v->missing += seen[p][s] == 0;
    rc = 0;
done:
    for (int p = 0; seen != NULL && p < nproducers; p++)
        free(seen[p]);
    free(seen);
    free(last);
    return rc;
}

int mk_queue_verdict_ok(const mk_queue_verdict *v)
{
    return v->expected == v->received && v->duplicates == 0 && v->missing == 0 && v->unknown == 0 &&
           v->out_of_order == 0 && v->corrupted == 0;
}
