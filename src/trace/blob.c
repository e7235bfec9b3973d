/* blob.c - one process's trace as bytes: what each rank sends to its group's rank 0 at
 * MPI_Finalize, and what a spawned group's rank 0 forwards to its parent. Records are packed
 * back to back, each self-describing (magic, sizes), in the native layout: every process of
 * a run loads the same libmpikit-trace.so, so the layout is the same everywhere. */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static const char magic[8] = {'M', 'K', 'T', 'R', 'A', 'C', 'E', '1'};

typedef struct {
    char magic[8];
    uint64_t total; /* bytes of this record, prefix included */
    uint32_t proc_size, event_size, group_size, comm_size;
    uint64_t ngroups, ncomms, nevents;
} prefix;

int mkt_proc_pack(const mkt_proc *p, unsigned char **out, size_t *len)
{
    size_t groups = p->ngroups * sizeof(mkt_group_ref), comms = p->ncomms * sizeof(mkt_comm);
    size_t events = p->nevents * sizeof(mkt_event);
    size_t total = sizeof(prefix) + sizeof(mkt_proc) + groups + comms + events;
    unsigned char *buf = malloc(total);
    if (buf == NULL)
        return -1;
    prefix pre;
    memset(&pre, 0, sizeof pre);
    memcpy(pre.magic, magic, sizeof magic);
    pre.total = total;
    pre.proc_size = sizeof(mkt_proc);
    pre.event_size = sizeof(mkt_event);
    pre.group_size = sizeof(mkt_group_ref);
    pre.comm_size = sizeof(mkt_comm);
    pre.ngroups = p->ngroups;
    pre.ncomms = p->ncomms;
    pre.nevents = p->nevents;
    mkt_proc head = *p;
    head.groups = NULL;
    head.comms = NULL;
    head.events = NULL;
    unsigned char *w = buf;
    memcpy(w, &pre, sizeof pre);
    w += sizeof pre;
    memcpy(w, &head, sizeof head);
    w += sizeof head;
    if (groups > 0)
        memcpy(w, p->groups, groups);
    w += groups;
    if (comms > 0)
        memcpy(w, p->comms, comms);
    w += comms;
    if (events > 0)
        memcpy(w, p->events, events);
    *out = buf;
    *len = total;
    return 0;
}

static void *copy_of(const unsigned char *src, size_t len)
{
    void *dst = malloc(len > 0 ? len : 1);
    if (dst != NULL && len > 0)
        memcpy(dst, src, len);
    return dst;
}

/* Parse the record at data (avail bytes) into *p; its length, or 0 with why set. */
static size_t unpack_one(const unsigned char *data, size_t avail, mkt_proc *p, char *why, size_t whylen)
{
    prefix pre;
    if (avail < sizeof pre) {
        snprintf(why, whylen, "truncated record (%zu bytes)", avail);
        return 0;
    }
    memcpy(&pre, data, sizeof pre);
    if (memcmp(pre.magic, magic, sizeof magic) != 0 || pre.proc_size != sizeof(mkt_proc) ||
        pre.event_size != sizeof(mkt_event) || pre.group_size != sizeof(mkt_group_ref) ||
        pre.comm_size != sizeof(mkt_comm)) {
        snprintf(why, whylen, "not a trace record of this tracer build");
        return 0;
    }
    size_t groups = pre.ngroups * sizeof(mkt_group_ref), comms = pre.ncomms * sizeof(mkt_comm);
    size_t events = pre.nevents * sizeof(mkt_event);
    if (pre.ngroups > 255 || pre.nevents > avail / sizeof(mkt_event) || pre.ncomms > avail ||
        pre.total != sizeof pre + sizeof(mkt_proc) + groups + comms + events || pre.total > avail) {
        snprintf(why, whylen, "inconsistent record sizes");
        return 0;
    }
    const unsigned char *r = data + sizeof pre;
    memcpy(p, r, sizeof *p);
    r += sizeof *p;
    p->label[MKT_LABEL_MAX - 1] = p->program[MKT_NAME_MAX - 1] = p->host[MKT_NAME_MAX - 1] = '\0';
    p->parent_label[MKT_LABEL_MAX - 1] = '\0';
    p->command[sizeof p->command - 1] = '\0';
    p->ngroups = (uint32_t)pre.ngroups;
    p->ncomms = (uint32_t)pre.ncomms;
    p->nevents = (size_t)pre.nevents;
    p->groups = copy_of(r, groups);
    p->comms = copy_of(r + groups, comms);
    p->events = copy_of(r + groups + comms, events);
    if (p->groups == NULL || p->comms == NULL || p->events == NULL) {
        free(p->groups);
        free(p->comms);
        free(p->events);
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    for (uint32_t i = 0; i < p->ngroups; i++)
        p->groups[i].label[MKT_LABEL_MAX - 1] = '\0';
    return (size_t)pre.total;
}

int mkt_procs_unpack(const unsigned char *data, size_t len, mkt_proc **procs, size_t *nprocs, char *why, size_t whylen)
{
    size_t cap = 8, n = 0, at = 0;
    mkt_proc *all = malloc(cap * sizeof *all);
    if (all == NULL) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    while (at < len) {
        if (n == cap) {
            mkt_proc *bigger = realloc(all, 2 * cap * sizeof *all);
            if (bigger == NULL) {
                snprintf(why, whylen, "out of memory");
                mkt_procs_free(all, n);
                return -1;
            }
            all = bigger;
            cap *= 2;
        }
        size_t used = unpack_one(data + at, len - at, &all[n], why, whylen);
        if (used == 0) {
            mkt_procs_free(all, n);
            return -1;
        }
        n++;
        at += used;
    }
    *procs = all;
    *nprocs = n;
    return 0;
}

void mkt_procs_free(mkt_proc *procs, size_t nprocs)
{
    if (procs == NULL)
        return;
    for (size_t i = 0; i < nprocs; i++) {
        free(procs[i].groups);
        free(procs[i].comms);
        free(procs[i].events);
    }
    free(procs);
}
