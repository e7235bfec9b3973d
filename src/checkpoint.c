/* checkpoint.c - per-rank state files committed by one metadata file written last.
 *
 *   save:  every rank  (unnamed) -> PATH.rankN           (agree)
 *          rank 0      (unnamed) -> PATH                 (agree)  <- the commit point
 *   load:  rank 0 reads PATH, checks identity; bcast generation; each rank reads its file
 *
 * A crash before the last rename leaves the previous checkpoint (or none) valid: its rank
 * files may be newer, but their generation number no longer matches, so they are refused.
 *
 * Journals (task-parallel jobs, below) commit the other way round: the metadata first, then
 * each rank appends to its own file as tasks finish, with no agreement at all.
 *
 *   open:  rank 0 reads PATH + every PATH.rankN of its generation, merges the done items,
 *          writes PATH.tmp -> PATH (new generation, merged items)     <- the commit point
 *          every rank  PATH.rankN := header(new generation)            (agree)
 *   run:   every rank  appends [item | result | check] to PATH.rankN   (write(2); no MPI)
 *
 * A crash between the commit and a journal's reset leaves a journal of the old generation,
 * whose items the new PATH already holds: it is skipped, never mixed in.
 *
 * Integrity: every byte of every file is covered by an FNV-1a-64 checksum (files written whole:
 * one over the file; journals: one over the header and one per record), and a difference is
 * refused with one line naming the file. FNV-1a catches every change of one byte for certain
 * (each step is a bijection of the state) and other damage with probability 1 - 2^-64; it is no
 * defence against someone who can write the files, only against disks, copies and kills.
 *
 * Links: every file is created unnamed or under a fresh O_EXCL name (mk_outfile) and renamed
 * into place, so a symbolic link planted at PATH or PATH.rankN is replaced, never written
 * through; files are read with O_NOFOLLOW, so a link there is refused, never read through. */
#include "mpikit/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpikit/outfile.h"
#include "mpikit/timing.h"

/* Format 2: header, body, checksum (format 1 had no checksum and is refused as foreign). */
static const char MAGIC[8] = "MKCKPT2\n";
enum { CKPT_HEAD = 40, CKPT_TAIL = 8 };   /* magic, generation, rank, ranks, body length | FNV-1a-64 */
#define META_RANK UINT64_MAX              /* the "rank" of PATH itself */

/* FNV-1a, 64 bit: detects torn or flipped bytes (not an adversary). */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_START 0xcbf29ce484222325ull

void mk_blob_init(mk_blob *b) { memset(b, 0, sizeof *b); }

void mk_blob_free(mk_blob *b)
{
    free(b->data);
    mk_blob_init(b);
}

void mk_blob_put(mk_blob *b, const void *p, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->bad = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void mk_blob_put_u64(mk_blob *b, uint64_t v) { mk_blob_put(b, &v, sizeof v); }

void mk_blob_get(mk_blob *b, void *p, size_t n)
{
    if (b->bad || b->len - b->pos < n) {
        b->bad = 1;
        memset(p, 0, n);
        return;
    }
    if (n > 0)
        memcpy(p, b->data + b->pos, n);
    b->pos += n;
}

uint64_t mk_blob_get_u64(mk_blob *b)
{
    uint64_t v;
    mk_blob_get(b, &v, sizeof v);
    return v;
}

/* One piece of a file being written. */
typedef struct {
    const void *p;
    size_t n;
} part;

/* Write the parts to PATH as a whole: unnamed (or under a fresh O_EXCL name), fsynced, renamed
 * over PATH, so neither a crash nor a symbolic link planted at PATH is ever written through. */
static int write_file(const char *path, const part *parts, int nparts, const char *what, mk_err *err)
{
    mk_outfile of;
    if (mk_outfile_begin(&of, path, what, err) != 0)
        return -1;
    int bad = 0;
    for (int i = 0; i < nparts && !bad; i++)
        bad = parts[i].n > 0 && fwrite(parts[i].p, 1, parts[i].n, of.fp) != parts[i].n;
    if (bad) {
        int e = errno;
        mk_outfile_abandon(&of);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint '%s': %s", path, strerror(e));
    }
    return mk_outfile_commit(&of, path, err);   /* fsync before the rename: the bytes outlive a crash */
}

/* Whether anything, a symbolic link included, is at PATH. */
static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Read PATH whole. A symbolic link is refused (O_NOFOLLOW): mpikit never makes one, so one
 * there was planted; a FIFO or device is refused without blocking on it. */
static int read_file(const char *path, mk_blob *into, mk_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    const char *why = NULL;
    if (fd < 0)
        why = errno == ELOOP ? "it is a symbolic link, which mpikit does not follow" : strerror(errno);
    else if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
        why = "not a regular file";
    if (why != NULL) {
        if (fd >= 0)
            close(fd);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot read checkpoint '%s': %s", path, why);
    }
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        mk_blob_put(into, buf, (size_t)n);
    }
    int bad = n < 0 || into->bad;
    close(fd);
    if (bad)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot read checkpoint '%s'", path);
    return 0;
}

/* Write a checkpoint file: header (generation, whose file: a rank or META_RANK, of how many
 * ranks), body, and the checksum of both. */
static int write_sealed(const char *path, uint64_t generation, uint64_t rank, uint64_t nranks,
                        const mk_blob *body, mk_err *err)
{
    unsigned char head[CKPT_HEAD];
    uint64_t fields[4] = {generation, rank, nranks, body->len};
    memcpy(head, MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result): a binary header, not a string */
    memcpy(head + 8, fields, sizeof fields);
    uint64_t check = fnv1a(fnv1a(FNV_START, head, sizeof head), body->data, body->len);
    part parts[3] = {{head, sizeof head}, {body->data, body->len}, {&check, sizeof check}};
    return write_file(path, parts, 3, "checkpoint", err);
}

/* Read a checkpoint file and check every byte: on success b holds the body from b->pos to
 * b->len, and fields = generation, rank, ranks. */
static int read_sealed(const char *path, mk_blob *b, uint64_t fields[3], mk_err *err)
{
    if (read_file(path, b, err) != 0)
        return -1;
    if (b->len < 8 || memcmp(b->data, MAGIC, 8) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not an mpikit checkpoint", path);
    uint64_t body = 0, stored = 0;
    if (b->len >= CKPT_HEAD + CKPT_TAIL) {
        memcpy(fields, b->data + 8, 3 * sizeof *fields);
        memcpy(&body, b->data + 32, 8);
        memcpy(&stored, b->data + b->len - CKPT_TAIL, 8);
    }
    if (b->len < CKPT_HEAD + CKPT_TAIL || body != b->len - CKPT_HEAD - CKPT_TAIL ||
        stored != fnv1a(FNV_START, b->data, b->len - CKPT_TAIL))
        return mk_err_set(err, MK_EXIT_FAILURE,
                          "checkpoint '%s' is damaged (truncated or corrupted): remove the checkpoint to start over",
                          path);
    b->len -= CKPT_TAIL;
    b->pos = CKPT_HEAD;
    return 0;
}

static void rank_path(char *buf, size_t len, const char *path, int rank)
{
    snprintf(buf, len, "%s.rank%d", path, rank);
}

int mk_checkpoint_save(MPI_Comm comm, const char *path, const mk_blob *identity, const mk_blob *mine, mk_err *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    uint64_t generation = 0;
    if (rank == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        generation = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    }
    MPI_Bcast(&generation, 1, MPI_UINT64_T, 0, comm);
    char own[4200];
    rank_path(own, sizeof own, path, rank);
    if (mine->bad)
        mk_err_set(err, MK_EXIT_FAILURE, "checkpoint: out of memory");
    else
        write_sealed(own, generation, (uint64_t)rank, (uint64_t)nranks, mine, err);
    if (mk_err_agree(comm, err) != 0)
        return -1;
    if (rank == 0)
        write_sealed(path, generation, META_RANK, (uint64_t)nranks, identity, err);
    return mk_err_agree(comm, err) == 0 ? 0 : -1;
}

int mk_checkpoint_load(MPI_Comm comm, const char *path, const mk_blob *identity, mk_blob *mine, int *found,
                       mk_err *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    uint64_t head[2] = {0, 0};   /* found flag, generation */
    if (rank == 0 && exists(path)) {
        mk_blob meta;
        mk_blob_init(&meta);
        uint64_t fields[3];
        if (read_sealed(path, &meta, fields, err) == 0) {
            if (fields[1] != META_RANK || meta.len - meta.pos != identity->len ||
                memcmp(meta.data + meta.pos, identity->data, identity->len) != 0)
                mk_err_set(err, MK_EXIT_FAILURE,
                           "checkpoint '%s' was made by a different run (other files, file sizes, rank count "
                           "or options): rerun the same command, or remove the checkpoint",
                           path);
            else {
                head[0] = 1;
                head[1] = fields[0];
            }
        }
        mk_blob_free(&meta);
    }
    if (mk_err_agree(comm, err) != 0)
        return -1;
    MPI_Bcast(head, 2, MPI_UINT64_T, 0, comm);
    *found = (int)head[0];
    if (!*found)
        return 0;
    char own[4200];
    rank_path(own, sizeof own, path, rank);
    uint64_t fields[3];
    /* the generation ties it to PATH, the rank to this rank: a file of another checkpoint or
     * another rank's file copied here is refused, not mixed in */
    if (read_sealed(own, mine, fields, err) == 0 &&
        (fields[0] != head[1] || fields[1] != (uint64_t)rank || fields[2] != (uint64_t)nranks))
        mk_err_set(err, MK_EXIT_FAILURE, "'%s' belongs to another checkpoint than '%s'", own, path);
    return mk_err_agree(comm, err) == 0 ? 0 : -1;
}

void mk_checkpoint_remove(MPI_Comm comm, const char *path)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        unlink(path);
    MPI_Barrier(comm);
    char own[4200];
    rank_path(own, sizeof own, path, rank);
    unlink(own);
}

/* ---- journals ---- */

/* Format 2: the rank journals' header has a checksum of its own (format 1's had none). */
static const char JMAGIC[8] = "MKJRNL2\n";
enum { JOURNAL_HEAD = 32 };   /* magic, generation, record size, FNV-1a-64 of those 24 bytes */

static uint64_t record_check(uint64_t generation, uint64_t item, const void *result, size_t size)
{
    uint64_t h = fnv1a(FNV_START, &generation, sizeof generation);
    h = fnv1a(h, &item, sizeof item);
    return fnv1a(h, result, size);
}

static uint64_t new_generation(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
}

static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Rank 0: the items one rank journal of `generation` records. A journal of another
 * generation was merged into PATH before (a crash just after a commit): skipped. */
static int merge_journal(const char *jpath, uint64_t generation, uint64_t n, size_t size, unsigned char *done,
                         unsigned char *results, uint64_t *ndone, mk_err *err)
{
    if (!exists(jpath))
        return 0;   /* the rank never started its journal */
    mk_blob b;
    mk_blob_init(&b);
    int rc = read_file(jpath, &b, err);
    uint64_t hcheck = 0;
    if (rc == 0 && b.len >= JOURNAL_HEAD)
        memcpy(&hcheck, b.data + 24, 8);
    if (rc == 0 && (b.len < JOURNAL_HEAD || memcmp(b.data, JMAGIC, 8) != 0 || hcheck != fnv1a(FNV_START, b.data, 24)))
        rc = mk_err_set(err, MK_EXIT_FAILURE,
                        "checkpoint journal '%s' is damaged (bad header): remove the checkpoint to start over", jpath);
    if (rc == 0) {
        b.pos = 8;
        uint64_t gen = mk_blob_get_u64(&b), rsize = mk_blob_get_u64(&b);
        b.pos = JOURNAL_HEAD;
        if (gen == generation && rsize != size)
            rc = mk_err_set(err, MK_EXIT_FAILURE, "checkpoint journal '%s' is damaged (record size %llu)", jpath,
                            (unsigned long long)rsize);
        /* Whole records only: a kill during a write can leave a torn last one. */
        for (uint64_t k = 0; rc == 0 && gen == generation && b.len - b.pos >= 16 + size; k++) {
            uint64_t item = mk_blob_get_u64(&b);
            const unsigned char *result = b.data + b.pos;
            b.pos += size;
            uint64_t check = mk_blob_get_u64(&b);
            if (check != record_check(generation, item, result, size) || item >= n) {
                rc = mk_err_set(err, MK_EXIT_FAILURE,
                                "checkpoint journal '%s' is damaged at record %llu: remove the checkpoint to start over",
                                jpath, (unsigned long long)k);
                break;
            }
            if (!done[item]) {
                done[item] = 1;
                ++*ndone;
                if (results != NULL && size > 0)
                    memcpy(results + item * size, result, size);
            }
        }
    }
    mk_blob_free(&b);
    return rc;
}

/* Rank 0: read PATH (when it exists) and its journals into done/results. *jranks: how many
 * journals the last run wrote. */
static int load_journal_meta(const char *path, const mk_blob *identity, uint64_t n, size_t size,
                             unsigned char *done, unsigned char *results, uint64_t *ndone, uint64_t *jranks,
                             mk_err *err)
{
    mk_blob b;
    mk_blob_init(&b);
    if (read_file(path, &b, err) != 0)
        return -1;
    int rc = 0;
    uint64_t stored = 0;
    if (b.len < 8 || memcmp(b.data, JMAGIC, 8) != 0)
        rc = mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not an mpikit task checkpoint", path);
    else if (b.len < 8 + 8 * 7 || (memcpy(&stored, b.data + b.len - 8, 8), stored != fnv1a(FNV_START, b.data, b.len - 8)))
        rc = mk_err_set(err, MK_EXIT_FAILURE,
                        "checkpoint '%s' is damaged (truncated or corrupted): remove it to start over", path);
    uint64_t generation = 0;
    if (rc == 0) {
        b.len -= 8;   /* the checksum */
        b.pos = 8;
        generation = mk_blob_get_u64(&b);
        uint64_t idlen = mk_blob_get_u64(&b);
        int same = !b.bad && idlen == identity->len && b.len - b.pos >= idlen &&
                   memcmp(b.data + b.pos, identity->data, idlen) == 0;
        b.pos += same ? idlen : 0;
        same = same && mk_blob_get_u64(&b) == n && mk_blob_get_u64(&b) == size;
        if (!same)
            rc = mk_err_set(err, MK_EXIT_USAGE,
                            "checkpoint '%s' was made by a different run (other tasks or options): rerun the "
                            "same command, or remove the checkpoint",
                            path);
    }
    if (rc == 0) {
        *jranks = mk_blob_get_u64(&b);
        uint64_t count = mk_blob_get_u64(&b);
        for (uint64_t k = 0; k < count && !b.bad; k++) {
            uint64_t item = mk_blob_get_u64(&b);
            if (item >= n || b.len - b.pos < size) {
                b.bad = 1;
                break;
            }
            if (!done[item]) {
                done[item] = 1;
                ++*ndone;
                if (results != NULL && size > 0)
                    memcpy(results + item * size, b.data + b.pos, size);
            }
            b.pos += size;
        }
        if (b.bad || *jranks > (1u << 24))
            rc = mk_err_set(err, MK_EXIT_FAILURE, "checkpoint '%s' is damaged: remove it to start over", path);
    }
    for (uint64_t r = 0; rc == 0 && r < *jranks; r++) {
        char jpath[4200];
        rank_path(jpath, sizeof jpath, path, (int)r);
        rc = merge_journal(jpath, generation, n, size, done, results, ndone, err);
    }
    mk_blob_free(&b);
    return rc;
}

/* Rank 0: PATH := the merged state under `generation`, for `nranks` journals. */
static int commit_journal_meta(const char *path, const mk_blob *identity, uint64_t n, size_t size,
                               const unsigned char *done, const unsigned char *results, uint64_t ndone,
                               uint64_t generation, int nranks, mk_err *err)
{
    mk_blob b;
    mk_blob_init(&b);
    mk_blob_put(&b, JMAGIC, 8);
    mk_blob_put_u64(&b, generation);
    mk_blob_put_u64(&b, identity->len);
    mk_blob_put(&b, identity->data, identity->len);
    mk_blob_put_u64(&b, n);
    mk_blob_put_u64(&b, size);
    mk_blob_put_u64(&b, (uint64_t)nranks);
    mk_blob_put_u64(&b, ndone);
    for (uint64_t i = 0; i < n; i++) {
        if (!done[i])
            continue;
        mk_blob_put_u64(&b, i);
        if (size > 0)
            mk_blob_put(&b, results + i * size, size);
    }
    mk_blob_put_u64(&b, b.bad ? 0 : fnv1a(FNV_START, b.data, b.len));
    part whole = {b.data, b.len};
    int rc = b.bad ? mk_err_set(err, MK_EXIT_FAILURE, "checkpoint: out of memory")
                   : write_file(path, &whole, 1, "checkpoint", err);
    mk_blob_free(&b);
    return rc;
}

/* This rank's journal := a header of j->generation, as a new file renamed over the old one (never
 * written through a link planted at its name); j->fd stays open on it for the records. */
static int start_journal(mk_journal *j, mk_err *err)
{
    unsigned char h[JOURNAL_HEAD];
    uint64_t rsize = j->record_size;
    memcpy(h, JMAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result): a binary header, not a string */
    memcpy(h + 8, &j->generation, 8);
    memcpy(h + 16, &rsize, 8);
    uint64_t check = fnv1a(FNV_START, h, 24);
    memcpy(h + 24, &check, 8);
    mk_outfile of;
    if (mk_outfile_begin(&of, j->path, "checkpoint journal", err) != 0)
        return -1;
    /* the records go to the same open file after the rename: a second descriptor outlives fclose */
    if (fwrite(h, 1, sizeof h, of.fp) != sizeof h || fflush(of.fp) != 0 ||
        (j->fd = fcntl(fileno(of.fp), F_DUPFD_CLOEXEC, 0)) < 0) {
        int e = errno;
        mk_outfile_abandon(&of);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint journal '%s': %s", j->path, strerror(e));
    }
    if (mk_outfile_commit(&of, j->path, err) != 0) {
        close(j->fd);
        j->fd = -1;
        return -1;
    }
    return 0;
}

int mk_journal_open(MPI_Comm comm, const char *path, const mk_blob *identity, uint64_t n, size_t record_size,
                    unsigned char *done, void *results, uint64_t *ndone, int *found, mk_journal *j, mk_err *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->record_size = record_size;
    j->n = n;
    j->every = 1;
    j->every_seconds = 1.0;
    rank_path(j->path, sizeof j->path, path, rank);
    memset(done, 0, n);
    /* head: found, generation, items done */
    uint64_t head[3] = {0, 0, 0};
    if (rank == 0) {
        uint64_t jranks = 0;
        head[0] = exists(path);
        head[1] = new_generation();
        if (head[0])
            load_journal_meta(path, identity, n, record_size, done, results, &head[2], &jranks, err);
        if (err->code == 0 &&
            commit_journal_meta(path, identity, n, record_size, done, results, head[2], head[1], nranks, err) == 0) {
            /* Journals beyond this run's ranks are merged into PATH now. */
            for (uint64_t r = (uint64_t)nranks; r < jranks; r++) {
                char stale[4200];
                rank_path(stale, sizeof stale, path, (int)r);
                unlink(stale);
            }
        }
    }
    if (mk_err_agree(comm, err) != 0)
        return -1;
    MPI_Bcast(head, 3, MPI_UINT64_T, 0, comm);
    *found = (int)head[0];
    *ndone = head[2];
    j->generation = head[1];
    for (uint64_t off = 0; off < n; off += 1u << 30) {
        uint64_t len = n - off < (1u << 30) ? n - off : (1u << 30);
        MPI_Bcast(done + off, (int)len, MPI_BYTE, 0, comm);
    }
    start_journal(j, err);
    if (mk_err_agree(comm, err) != 0) {
        mk_journal_close(j);
        return -1;
    }
    return 0;
}

static int journal_write_pending(mk_journal *j, mk_err *err)
{
    if (j->npending == 0)
        return 0;
    int bad = j->pending.bad || j->fd < 0 || write_all(j->fd, j->pending.data, j->pending.len) != 0;
    int e = errno;
    j->pending.len = 0;
    j->npending = 0;
    if (bad)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint journal '%s': %s", j->path,
                          j->pending.bad ? "out of memory" : strerror(e));
    return 0;
}

int mk_journal_add(mk_journal *j, uint64_t item, const void *result, mk_err *err)
{
    if (j->npending == 0)
        j->oldest = mk_now();
    mk_blob_put_u64(&j->pending, item);
    mk_blob_put(&j->pending, result, j->record_size);
    mk_blob_put_u64(&j->pending, record_check(j->generation, item, result, j->record_size));
    j->npending++;
    if (j->npending >= j->every || mk_now() - j->oldest >= j->every_seconds)
        return journal_write_pending(j, err);
    return 0;
}

int mk_journal_sync(mk_journal *j, mk_err *err)
{
    if (journal_write_pending(j, err) != 0)
        return -1;
    if (j->fd >= 0 && fsync(j->fd) != 0)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint journal '%s': %s", j->path, strerror(errno));
    return 0;
}

void mk_journal_close(mk_journal *j)
{
    mk_err ignored;
    mk_err_clear(&ignored);
    journal_write_pending(j, &ignored);
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    mk_blob_free(&j->pending);
}
