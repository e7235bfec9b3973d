/* textgen.c - deterministic English-like text, generated page by page.
 *
 * The vocabulary is built once: common English words for the top ranks, pseudo-words
 * from syllables for the rest, each a function of (seed, rank), all distinct. Words are
 * drawn with Zipf weights through Vose's alias table (O(1) per word). A page draws from
 * its own RNG stream keyed by (seed, page), so pages can be generated in any order by
 * any rank. Speed matters (the wordcount benchmarks feed on gigabytes of this), hence
 * fixed 16-byte word slots copied with one constant-size memcpy, and lines assembled in
 * a small buffer with the next word written speculatively. */
#include "mpikit/textgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/rng.h"

enum {
    SLOT = 16,          /* bytes per vocabulary word: 12 letters, zero padded */
    WORD_MAX = 12,
    WORD_MIN = 2,
    LINE_MIN = 40,
    LINE_MAX = 80,
    LINE_CAP = 192,     /* LINE_MAX + a space + the longest token + SLOT of copy slack */
    SENTENCE_MIN = 3,
    SENTENCE_SPAN = 18  /* sentences of 3..20 words */
};

/* Per-token odds as thresholds on 16 random bits (out of 65536). */
enum {
    ODDS_APOSTROPHE = 328,                     /* 1 in 200 */
    ODDS_HYPHEN = ODDS_APOSTROPHE + 328,       /* 1 in 200 */
    ODDS_NUMBER = ODDS_HYPHEN + 131,           /* 1 in 500 */
    ODDS_COMMA = 6554,                         /* 1 in 10 non-final words */
    ODDS_PERIOD = 52429,                       /* 80% of sentences end with '.' */
    ODDS_QUESTION = ODDS_PERIOD + 7864,        /* 12% with '?', the rest '!' */
    ODDS_PARAGRAPH = 8192                      /* 1 in 8 sentences ends a paragraph */
};

/* Distinct seeds for the two uses of the RNG, so vocabulary and pages never share draws. */
#define TAG_VOCAB 0x564F434142554C41u
#define TAG_PAGE  0x504147455354524Du

/* The top of the frequency list of early modern English (a Shakespeare word count):
 * what a reader expects to see most often. "I" and "O" are always capitals. */
static const char *const common_words[] = {
    "the", "and", "of", "to", "a", "I", "in", "that", "is", "you", "my", "it", "not",
    "with", "be", "his", "your", "for", "this", "me", "he", "but", "have", "thou", "so",
    "him", "as", "what", "by", "all", "will", "her", "do", "no", "we", "shall", "if",
    "are", "our", "thy", "on", "lord", "king", "O", "good", "now", "sir", "from", "come",
    "at", "they", "or", "let", "she", "which", "would", "more", "here", "was", "then",
    "how", "there", "their", "am", "well", "love", "them", "hath", "than", "man", "when",
    "one", "an", "upon", "may", "make", "like", "us", "know", "say", "go", "see", "did",
    "yet", "should", "must", "why", "can", "were", "where", "too", "had", "out", "who",
    "most", "these", "time", "some",
};

/* Syllable parts, with repeats as weights: plain consonants and open syllables are the
 * common case, clusters the spice. */
static const char *const onsets[] = {
    "", "", "", "b", "c", "d", "f", "g", "h", "l", "l", "m", "m", "n", "n", "p", "r", "r",
    "s", "s", "t", "t", "v", "w", "y", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gr",
    "pl", "pr", "sh", "sp", "st", "th", "th", "tr", "wh",
};
static const char *const nuclei[] = {
    "a", "a", "e", "e", "e", "i", "i", "o", "o", "u", "ea", "ee", "ai", "ou", "oo", "ie",
};
static const char *const codas[] = {
    "", "", "", "", "", "", "n", "n", "r", "r", "s", "t", "t", "d", "l", "m", "nd", "nt",
    "ng", "st", "rt", "ck", "th", "ll", "ss",
};
static const char *const contractions[] = {"s", "d", "ll", "st", "t", "er"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One alias-table column: keep the column's own word when the coin is below `keep`,
 * else take `alias`. Columns that always keep themselves have alias == their index. */
typedef struct {
    uint32_t keep;
    uint32_t alias;
} alias_entry;

struct mk_textgen {
    uint64_t seed;
    uint32_t nwords;
    char *slots;            /* nwords * SLOT bytes */
    unsigned char *len;     /* letters of each word */
    alias_entry *table;     /* nwords columns */
};

/* ---- vocabulary ---- */

static uint64_t pick(mk_rng *r, size_t n)
{
    return mk_rng_next_below(r, n);
}

/* A pseudo-word of 2..12 letters made of whole syllables, as a function of key. */
static size_t make_pseudo_word(uint64_t key, char *slot)
{
    mk_rng r;
    mk_rng_init(&r, key, 0);
    /* 1..3 syllables, two most often: lengths cluster around 5-7 letters like the rarer
     * words of English text. */
    size_t syllables = 1 + pick(&r, 2) + (pick(&r, 3) == 0);
    size_t n = 0;
    memset(slot, 0, SLOT);
    for (size_t i = 0; i < syllables || n < WORD_MIN; i++) {
        char syl[16];
        char *end = stpcpy(syl, onsets[pick(&r, COUNT(onsets))]);
        end = stpcpy(end, nuclei[pick(&r, COUNT(nuclei))]);
        end = stpcpy(end, codas[pick(&r, COUNT(codas))]);
        size_t m = (size_t)(end - syl);
        if (n + m > WORD_MAX)
            break;  /* a word ends at a syllable boundary, never inside a cluster */
        memcpy(slot + n, syl, m);
        n += m;
    }
    return n;
}

static uint64_t slot_hash(const char *slot)
{
    uint64_t a, b;
    memcpy(&a, slot, 8);
    memcpy(&b, slot + 8, 8);
    return mk_rng_u64(a, b);
}

/* Insert word `id` into the open-addressing set `set` (mask + 1 entries, UINT32_MAX
 * empty) unless an equal word is there; returns whether it was inserted. */
static int set_insert(uint32_t *set, size_t mask, const char *slots, uint32_t id)
{
    const char *word = slots + (size_t)id * SLOT;
    for (size_t h = slot_hash(word) & mask;; h = (h + 1) & mask) {
        if (set[h] == UINT32_MAX) {
            set[h] = id;
            return 1;
        }
        if (memcmp(slots + (size_t)set[h] * SLOT, word, SLOT) == 0)
            return 0;
    }
}

static int build_vocabulary(mk_textgen *g)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)g->nwords)
        cap *= 2;
    uint32_t *set = malloc(cap * sizeof *set);
    if (!set)
        return -1;
    memset(set, 0xFF, cap * sizeof *set);
    for (uint32_t w = 0; w < g->nwords; w++) {
        char *slot = g->slots + (size_t)w * SLOT;
        if (w < COUNT(common_words)) {
            size_t n = strlen(common_words[w]);
            memset(slot, 0, SLOT);
            memcpy(slot, common_words[w], n);
            g->len[w] = (unsigned char)n;
            set_insert(set, cap - 1, g->slots, w);
            continue;
        }
        /* Retry with a new key until the word is new. Short words run out first, but the
         * space of 2..12-letter syllable words is far larger than any vocabulary that
         * fits in memory, so this ends after a few tries. */
        uint64_t base = mk_rng_u64(g->seed ^ TAG_VOCAB, w);
        for (uint64_t attempt = 0;; attempt++) {
            g->len[w] = (unsigned char)make_pseudo_word(mk_rng_u64(base, attempt), slot);
            if (set_insert(set, cap - 1, g->slots, w))
                break;
        }
    }
    free(set);
    return 0;
}

/* ---- Zipf sampling ---- */

/* Vose's alias method over weights 1 / (rank + 1)^s. Floating point is used only here,
 * once; sampling is integer-only, so every rank of a job draws identical words. */
static int build_alias_table(mk_textgen *g, double zipf_s)
{
    uint32_t n = g->nwords;
    double *p = malloc((size_t)n * sizeof *p);
    uint32_t *small = malloc((size_t)n * sizeof *small);
    uint32_t *large = malloc((size_t)n * sizeof *large);
    if (!p || !small || !large) {
        free(p);
        free(small);
        free(large);
        return -1;
    }
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = pow((double)i + 1.0, -zipf_s);
        total += p[i];
    }
    uint32_t nsmall = 0, nlarge = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] *= (double)n / total;  /* mean 1: a column holds probability mass 1 */
        if (p[i] < 1.0)
            small[nsmall++] = i;
        else
            large[nlarge++] = i;
    }
    while (nsmall > 0 && nlarge > 0) {
        uint32_t s = small[--nsmall], l = large[nlarge - 1];
        g->table[s].keep = (uint32_t)(p[s] * 4294967296.0);
        g->table[s].alias = l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) {
            nlarge--;
            small[nsmall++] = l;
        }
    }
    /* What is left holds mass 1 up to rounding: always keep. */
    while (nlarge > 0) {
        uint32_t l = large[--nlarge];
        g->table[l].keep = UINT32_MAX;
        g->table[l].alias = l;
    }
    while (nsmall > 0) {
        uint32_t s = small[--nsmall];
        g->table[s].keep = UINT32_MAX;
        g->table[s].alias = s;
    }
    free(p);
    free(small);
    free(large);
    return 0;
}

/* One draw per word: the high 32 bits pick a column (the bias from n not dividing 2^32 is
 * below n / 2^32, invisible in text), the low 32 bits toss the column's coin. */
static uint32_t sample_word(const mk_textgen *g, mk_rng *r)
{
    uint64_t u = mk_rng_next_u64(r);
    uint32_t col = (uint32_t)(((u >> 32) * g->nwords) >> 32);
    alias_entry e = g->table[col];
    /* The coin is a fair toss for most columns, so a branch here mispredicts half the
     * time; selecting with a mask keeps the loop branch-free. */
    uint32_t keep = 0u - (uint32_t)((uint32_t)u < e.keep);
    return (col & keep) | (e.alias & ~keep);
}

mk_textgen *mk_textgen_new(uint64_t seed, size_t vocab_size, double zipf_s)
{
    /* Columns are picked from 32 random bits, and the size must fit the alias entries. */
    if (vocab_size == 0 || vocab_size >= UINT32_MAX || !isfinite(zipf_s))
        return NULL;
    mk_textgen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->seed = seed;
    g->nwords = (uint32_t)vocab_size;
    g->slots = malloc(vocab_size * SLOT);
    g->len = malloc(vocab_size);
    g->table = malloc(vocab_size * sizeof *g->table);
    if (!g->slots || !g->len || !g->table || build_vocabulary(g) != 0 ||
        build_alias_table(g, zipf_s) != 0) {
        mk_textgen_free(g);
        return NULL;
    }
    return g;
}

void mk_textgen_free(mk_textgen *g)
{
    if (!g)
        return;
    free(g->slots);
    free(g->len);
    free(g->table);
    free(g);
}

/* ---- pages ---- */

typedef struct {
    const mk_textgen *g;
    mk_rng rng;
    unsigned words_left;    /* in the current sentence; 0 starts a new one */
    unsigned char *out;
    size_t pos, limit;      /* limit: where the page's final newline goes */
} page_writer;

/* Copy word w to dst; may write up to SLOT bytes, returns its length. */
static size_t put_word(const mk_textgen *g, uint32_t w, char *dst)
{
    memcpy(dst, g->slots + (size_t)w * SLOT, SLOT);
    return g->len[w];
}

static size_t put_number(uint64_t value, char *dst)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = digits[n - 1 - i];
    return n;
}

/* The rare decorated tokens: 'tis, o'er, heav'n-style apostrophes, hyphenated pairs,
 * and numbers (small ones, or years and counts). */
static size_t put_special(page_writer *w, uint64_t odds, char *dst)
{
    const mk_textgen *g = w->g;
    uint64_t how = mk_rng_next_u64(&w->rng);
    size_t n;
    if (odds < ODDS_APOSTROPHE) {
        switch (how % 3) {
        case 0:  /* 'tis */
            dst[0] = '\'';
            return 1 + put_word(g, sample_word(g, &w->rng), dst + 1);
        case 1: { /* word's, word'll */
            const char *tail = contractions[(how >> 8) % COUNT(contractions)];
            n = put_word(g, sample_word(g, &w->rng), dst);
            dst[n++] = '\'';
            while (*tail)
                dst[n++] = *tail++;
            return n;
        }
        default: /* o'er: two words joined, like an elided syllable */
            n = put_word(g, sample_word(g, &w->rng), dst);
            dst[n++] = '\'';
            return n + put_word(g, sample_word(g, &w->rng), dst + n);
        }
    }
    if (odds < ODDS_HYPHEN) {
        n = put_word(g, sample_word(g, &w->rng), dst);
        dst[n++] = '-';
        return n + put_word(g, sample_word(g, &w->rng), dst + n);
    }
    return put_number(how % 4 ? 1 + (how >> 8) % 99 : 1000 + (how >> 8) % 1100, dst);
}

static void capitalise(char *token)
{
    char *c = token[0] == '\'' ? token + 1 : token;
    if (*c >= 'a' && *c <= 'z')
        *c = (char)(*c - 'a' + 'A');
}

/* Write the next token (word plus its punctuation) at dst, return its length; *paragraph
 * is set when the token ends a paragraph. dst needs room for the token plus SLOT bytes. */
static size_t next_token(page_writer *w, char *dst, int *paragraph)
{
    int first = w->words_left == 0;
    if (first)
        w->words_left = SENTENCE_MIN + (unsigned)mk_rng_next_below(&w->rng, SENTENCE_SPAN);
    uint64_t odds = mk_rng_next_u64(&w->rng);
    uint64_t kind = odds & 0xFFFF, comma = (odds >> 16) & 0xFFFF;
    uint64_t end = (odds >> 32) & 0xFFFF, para = odds >> 48;

    size_t n = kind < ODDS_NUMBER ? put_special(w, kind, dst)
                                  : put_word(w->g, sample_word(w->g, &w->rng), dst);
    if (first)
        capitalise(dst);
    *paragraph = 0;
    if (--w->words_left == 0) {
        dst[n++] = (char)(end < ODDS_PERIOD ? '.' : end < ODDS_QUESTION ? '?' : '!');
        *paragraph = para < ODDS_PARAGRAPH;
    } else if (comma < ODDS_COMMA) {
        dst[n++] = ',';
    }
    return n;
}

/* Append a line and its newline to the page, cut at the limit. */
static void emit_line(page_writer *w, const char *line, size_t len)
{
    size_t room = w->limit - w->pos;
    if (len > room)
        len = room;
    memcpy(w->out + w->pos, line, len);
    w->pos += len;
    if (w->pos < w->limit)
        w->out[w->pos++] = '\n';
}

static size_t line_width(page_writer *w)
{
    return LINE_MIN + (size_t)mk_rng_next_below(&w->rng, LINE_MAX - LINE_MIN + 1);
}

void mk_textgen_page(const mk_textgen *g, uint64_t page, unsigned char *buf, size_t page_size)
{
    if (page_size == 0)
        return;
    page_writer w = {.g = g, .out = buf, .limit = page_size - 1};
    mk_rng_init(&w.rng, mk_rng_u64(g->seed ^ TAG_PAGE, page), 0);
    char line[LINE_CAP];
    size_t len = 0, width = line_width(&w);
    while (w.pos < w.limit) {
        /* Write the token after a space as if it fits; when it does not, the line ends
         * before it and the token moves to the start of the next line. */
        size_t start = len > 0 ? len + 1 : 0;
        int paragraph;
        size_t n = next_token(&w, line + start, &paragraph);
        if (len > 0 && start + n > width) {
            emit_line(&w, line, len);
            memmove(line, line + start, n);
            len = n;
            width = line_width(&w);
        } else {
            if (len > 0)
                line[len] = ' ';
            len = start + n;
        }
        if (paragraph) {
            emit_line(&w, line, len);
            emit_line(&w, line, 0);
            len = 0;
            width = line_width(&w);
        }
    }
    buf[page_size - 1] = '\n';
}
