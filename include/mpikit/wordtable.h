/* wordtable.h - tokenizer (runs of ASCII letters, lowercased) and a hash table of word counts: merge, shuffle, top-K. */
#ifndef MPIKIT_WORDTABLE_H
#define MPIKIT_WORDTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <mpi.h>
#include "mpikit/error.h"

typedef struct mk_wordtable mk_wordtable;

/* One word and its count; `word` points into the table (valid until it changes). */
typedef struct {
    const char *word;
    uint32_t len;
    uint64_t count;
} mk_word_count;

mk_wordtable *mk_wordtable_new(size_t expected_words);
void mk_wordtable_free(mk_wordtable *t);

/* Add `count` to word (bytes taken as given). Returns 0, or -1 when out of memory. */
int mk_wordtable_add(mk_wordtable *t, const char *word, size_t len, uint64_t count);
/* Count of word, 0 when absent. */
uint64_t mk_wordtable_get(const mk_wordtable *t, const char *word, size_t len);
size_t mk_wordtable_size(const mk_wordtable *t);      /* distinct words */
uint64_t mk_wordtable_total(const mk_wordtable *t);   /* sum of counts */
/* Add every entry of src into dst. */
int mk_wordtable_merge(mk_wordtable *dst, const mk_wordtable *src);
/* The 64-bit hash used to place words (and to pick their owner rank in a shuffle). */
uint64_t mk_word_hash(const char *word, size_t len);

/* Entries sorted by count descending, then word ascending (bytewise); malloc'd, free it.
 * With k > 0 only the first k are returned. *n receives the number returned. */
mk_word_count *mk_wordtable_sorted(const mk_wordtable *t, size_t k, size_t *n);

/* Serialise entries (count u64, length u32, bytes; little-endian host order) to a buffer. */
int mk_wordtable_pack(const mk_word_count *entries, size_t n, char **buf, size_t *len);
/* Add every entry of a packed buffer into t. Returns -1 on a malformed buffer. */
int mk_wordtable_unpack_add(mk_wordtable *t, const char *buf, size_t len);

/* Streaming tokenizer: feeds maximal runs of [A-Za-z], lowercased, into a table.
 * A token split across buffers is kept in `partial` until it ends. */
typedef struct {
    mk_wordtable *table;
    char *partial;
    size_t partial_len, partial_cap;
    uint64_t tokens;
} mk_tokenizer;

void mk_tokenizer_init(mk_tokenizer *tk, mk_wordtable *table);
void mk_tokenizer_free(mk_tokenizer *tk);
/* Tokenize the next n bytes. Returns 0 or -1 (no memory). */
int mk_tokenizer_feed(mk_tokenizer *tk, const unsigned char *buf, size_t n);
/* Whether a token is open (the last byte fed was a letter). */
int mk_tokenizer_in_token(const mk_tokenizer *tk);
/* End the stream: an open token is counted. */
int mk_tokenizer_finish(mk_tokenizer *tk);
/* Drop an open token without counting it (it belongs to another rank). */
void mk_tokenizer_discard(mk_tokenizer *tk);

static inline int mk_is_letter(unsigned char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }

/* MapReduce shuffle: every word moves to the rank picked by the high bits of
 * mk_word_hash(word) (multiply-shift onto [0, size)), where the
 * tables are merged. On return `local` holds exactly this rank's shard. Collective;
 * errors agreed on every rank. */
int mk_wordtable_shuffle(MPI_Comm comm, mk_wordtable **local, mk_err *err);

/* Gather the top k of the shards (disjoint after a shuffle) to root, sorted as
 * mk_wordtable_sorted; k == 0 gathers everything. On root *out is malloc'd along with the
 * word storage (*storage; free both); elsewhere *out is NULL. Collective. */
int mk_wordtable_gather_top(MPI_Comm comm, int root, const mk_wordtable *shard, size_t k,
                            mk_word_count **out, size_t *n, mk_wordtable **storage, mk_err *err);

#endif
