/* buffer.c - the per-process event buffer: a fixed array in two halves. Recording fills one
 * half; when it is full the halves swap and a helper thread writes the full one to an
 * unnamed temporary file, so the MPI call that filled it does no I/O (it waits only if the
 * previous half is still being written). No file is created until the first spill, and the
 * file has no name: a killed process leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

struct mkt_buffer {
    pthread_mutex_t lock; /* held from reserve to commit, when locking */
    int locking;          /* 0: one thread records at a time (no MPI_THREAD_MULTIPLE) */
    mkt_event *half[2];
    size_t half_cap, used; /* events in half[cur] */
    int cur;
    uint64_t next_index, kept, limit, dropped;
    uint64_t last_kept; /* index of the most recent event kept, + 1 (0: none) */
    /* the spill: written by the helper thread */
    pthread_mutex_t io_lock;
    pthread_cond_t io_cond;
    pthread_t thread;
    int thread_started, stop, pending; /* pending: the half waiting to be written, or -1 */
    size_t pending_n;
    int fd, io_error;
    uint64_t spilled, spills;
    char dir[512];
};

static void lock(mkt_buffer *b)
{
    if (b->locking)
        pthread_mutex_lock(&b->lock);
}

static void unlock(mkt_buffer *b)
{
    if (b->locking)
        pthread_mutex_unlock(&b->lock);
}

void mkt_buffer_set_locking(mkt_buffer *b, int on)
{
    b->locking = on;
}

mkt_buffer *mkt_buffer_new(size_t capacity, uint64_t limit, const char *spill_dir)
{
    if (capacity < 2)
        capacity = 2;
    mkt_buffer *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->half_cap = capacity / 2;
    b->half[0] = malloc(b->half_cap * sizeof(mkt_event));
    b->half[1] = malloc(b->half_cap * sizeof(mkt_event));
    if (b->half[0] == NULL || b->half[1] == NULL) {
        free(b->half[0]);
        free(b->half[1]);
        free(b);
        return NULL;
    }
    /* touch every page now (at MPI_Init), so no MPI call later pays for a page fault */
    memset(b->half[0], 0, b->half_cap * sizeof(mkt_event));
    memset(b->half[1], 0, b->half_cap * sizeof(mkt_event));
    pthread_mutex_init(&b->lock, NULL);
    pthread_mutex_init(&b->io_lock, NULL);
    pthread_cond_init(&b->io_cond, NULL);
    b->limit = limit;
    b->locking = 1;
    b->pending = -1;
    b->fd = -1;
    const char *dir = spill_dir != NULL ? spill_dir : getenv("TMPDIR");
    snprintf(b->dir, sizeof b->dir, "%s", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
    return b;
}

/* An unnamed read-write file in dir (O_TMPFILE), else a named one unlinked at once. */
static int open_spill(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
#endif
    char path[600];
    snprintf(path, sizeof path, "%s/mktrace-spill-XXXXXX", dir);
    int named = mkstemp(path);
    if (named >= 0)
        unlink(path);
    return named;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void *spill_thread(void *arg)
{
    mkt_buffer *b = arg;
    pthread_mutex_lock(&b->io_lock);
    for (;;) {
        while (b->pending < 0 && !b->stop)
            pthread_cond_wait(&b->io_cond, &b->io_lock);
        if (b->pending < 0)
            break;
        int which = b->pending;
        size_t n = b->pending_n;
        pthread_mutex_unlock(&b->io_lock);
        if (b->fd < 0)
            b->fd = open_spill(b->dir);
        int rc = b->fd >= 0 ? write_all(b->fd, b->half[which], n * sizeof(mkt_event)) : -1;
        pthread_mutex_lock(&b->io_lock);
        if (rc == 0) {
            b->spilled += n;
            b->spills++;
        } else {
            b->io_error = 1;
            b->dropped += n; /* lost with the failed write */
        }
        b->pending = -1;
        pthread_cond_broadcast(&b->io_cond);
    }
    pthread_mutex_unlock(&b->io_lock);
    return NULL;
}

/* Hand the full half to the helper thread and continue in the other one. Called locked. */
static int swap_halves(mkt_buffer *b)
{
    pthread_mutex_lock(&b->io_lock);
    if (!b->thread_started) {
        if (pthread_create(&b->thread, NULL, spill_thread, b) != 0) {
            pthread_mutex_unlock(&b->io_lock);
            return -1;
        }
        b->thread_started = 1;
    }
    while (b->pending >= 0)
        pthread_cond_wait(&b->io_cond, &b->io_lock);
    b->pending = b->cur;
    b->pending_n = b->used;
    pthread_cond_broadcast(&b->io_cond);
    pthread_mutex_unlock(&b->io_lock);
    b->cur ^= 1;
    b->used = 0;
    return 0;
}

mkt_event *mkt_buffer_reserve(mkt_buffer *b, size_t n, uint64_t *index)
{
    lock(b);
    if (index != NULL)
        *index = b->next_index;
    b->next_index += n;
    if (n > b->half_cap || (b->limit != 0 && b->kept + n > b->limit) ||
        (b->used + n > b->half_cap && swap_halves(b) != 0)) {
        b->dropped += n;
        unlock(b);
        return NULL;
    }
    mkt_event *e = b->half[b->cur] + b->used;
    b->used += n;
    b->kept += n;
    b->last_kept = b->next_index;
    memset(e, 0, n * sizeof *e);
    return e;
}

void mkt_buffer_commit(mkt_buffer *b)
{
    unlock(b);
}

mkt_event *mkt_buffer_last(mkt_buffer *b, uint64_t expected_index)
{
    lock(b);
    /* the most recent event, still in memory and not dropped */
    if (b->next_index == expected_index + 1 && b->last_kept == expected_index + 1 && b->used > 0)
        return b->half[b->cur] + b->used - 1;
    unlock(b);
    return NULL;
}

uint64_t mkt_buffer_next_index(mkt_buffer *b)
{
    lock(b);
    uint64_t i = b->next_index;
    unlock(b);
    return i;
}

static int read_spill(mkt_buffer *b, mkt_event *dst)
{
    size_t len = (size_t)b->spilled * sizeof(mkt_event), done = 0;
    while (done < len) {
        ssize_t r = pread(b->fd, (char *)dst + done, len - done, (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

int mkt_buffer_collect(mkt_buffer *b, mkt_event **events, size_t *n)
{
    *events = NULL;
    *n = 0;
    if (b->thread_started) {
        pthread_mutex_lock(&b->io_lock);
        b->stop = 1;
        pthread_cond_broadcast(&b->io_cond);
        pthread_mutex_unlock(&b->io_lock);
        pthread_join(b->thread, NULL);
        b->thread_started = 0;
        b->stop = 0;
    }
    size_t total = (size_t)b->spilled + b->used;
    mkt_event *all = malloc((total > 0 ? total : 1) * sizeof *all);
    if (all == NULL)
        return -1;
    if (b->spilled > 0 && read_spill(b, all) != 0) {
        free(all);
        return -1;
    }
    memcpy(all + b->spilled, b->half[b->cur], b->used * sizeof *all);
    *events = all;
    *n = total;
    return 0;
}

uint64_t mkt_buffer_dropped(const mkt_buffer *b)
{
    return b->dropped;
}

uint64_t mkt_buffer_spills(const mkt_buffer *b)
{
    return b->spills;
}

void mkt_buffer_free(mkt_buffer *b)
{
    if (b == NULL)
        return;
    if (b->thread_started) {
        pthread_mutex_lock(&b->io_lock);
        b->stop = 1;
        pthread_cond_broadcast(&b->io_cond);
        pthread_mutex_unlock(&b->io_lock);
        pthread_join(b->thread, NULL);
    }
    if (b->fd >= 0)
        close(b->fd);
    pthread_mutex_destroy(&b->lock);
    pthread_mutex_destroy(&b->io_lock);
    pthread_cond_destroy(&b->io_cond);
    free(b->half[0]);
    free(b->half[1]);
    free(b);
}
