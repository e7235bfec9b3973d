/* checkpoint.c - per-rank state files committed by one metadata file written last.
 *
 *   save:  every rank  PATH.rankN.tmp -> PATH.rankN      (agree)
 *          rank 0      PATH.tmp       -> PATH             (agree)  <- the commit point
 *   load:  rank 0 reads PATH, checks identity; bcast generation; each rank reads its file
 *
 * A crash before the last rename leaves the previous checkpoint (or none) valid: its rank
 * files may be newer, but their generation number no longer matches, so they are refused. */
#include "mpikit/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char MAGIC[8] = "MKCKPT1\n";

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

static int write_file(const char *path, const void *a, size_t alen, const void *b, size_t blen, mk_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint '%s': %s", tmp, strerror(errno));
    int bad = fwrite(a, 1, alen, f) != alen || (blen > 0 && fwrite(b, 1, blen, f) != blen);
    /* fsync before rename: a renamed checkpoint must hold its bytes after a crash. */
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot write checkpoint '%s': %s", path, strerror(e));
    }
    return 0;
}

static int read_file(const char *path, mk_blob *into, mk_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot read checkpoint '%s': %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mk_blob_put(into, buf, n);
    int bad = ferror(f) || into->bad;
    fclose(f);
    if (bad)
        return mk_err_set(err, MK_EXIT_FAILURE, "cannot read checkpoint '%s'", path);
    return 0;
}

static void rank_path(char *buf, size_t len, const char *path, int rank)
{
    snprintf(buf, len, "%s.rank%d", path, rank);
}

int mk_checkpoint_save(MPI_Comm comm, const char *path, const mk_blob *identity, const mk_blob *mine, mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t generation = 0;
    if (rank == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        generation = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    }
    MPI_Bcast(&generation, 1, MPI_UINT64_T, 0, comm);
    char own[4200];
    rank_path(own, sizeof own, path, rank);
    unsigned char head[16];
    memcpy(head, MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result): a binary header, not a string */
    memcpy(head + 8, &generation, 8);
    if (mine->bad)
        mk_err_set(err, MK_EXIT_FAILURE, "checkpoint: out of memory");
    else
        write_file(own, head, sizeof head, mine->data, mine->len, err);
    if (mk_err_agree(comm, err) != 0)
        return -1;
    if (rank == 0)
        write_file(path, head, sizeof head, identity->data, identity->len, err);
    return mk_err_agree(comm, err) == 0 ? 0 : -1;
}

int mk_checkpoint_load(MPI_Comm comm, const char *path, const mk_blob *identity, mk_blob *mine, int *found,
                       mk_err *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t head[2] = {0, 0};   /* found flag, generation */
    if (rank == 0 && access(path, F_OK) == 0) {
        mk_blob meta;
        mk_blob_init(&meta);
        if (read_file(path, &meta, err) == 0) {
            if (meta.len < 16 || memcmp(meta.data, MAGIC, 8) != 0)
                mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not an mpikit checkpoint", path);
            else if (meta.len - 16 != identity->len || memcmp(meta.data + 16, identity->data, identity->len) != 0)
                mk_err_set(err, MK_EXIT_FAILURE,
                           "checkpoint '%s' was made by a different run (other files, file sizes, rank count "
                           "or options): rerun the same command, or remove the checkpoint",
                           path);
            else { /* only a whole header has a generation (an empty file has no data at all) */
                head[0] = 1;
                memcpy(&head[1], meta.data + 8, 8);
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
    if (read_file(own, mine, err) == 0) {
        uint64_t generation;
        if (mine->len < 16 || memcmp(mine->data, MAGIC, 8) != 0)
            mk_err_set(err, MK_EXIT_FAILURE, "'%s' is not an mpikit checkpoint", own);
        else if (memcpy(&generation, mine->data + 8, 8), generation != head[1])
            mk_err_set(err, MK_EXIT_FAILURE, "'%s' belongs to another checkpoint than '%s'", own, path);
        mine->pos = 16;
    }
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
