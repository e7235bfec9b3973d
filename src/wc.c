/* wc.c - GNU wc's C-locale counting rules, 64 bytes at a time.
 *
 * Each 64-byte block becomes three bit masks: P (printable 0x21..0x7e), S (space,
 * \t \n \v \f \r) and NL ('\n'); everything else is N, "neutral". A word starts at a
 * printable byte whose nearest significant (P or S) byte before it is a space, or that
 * has none and the block was entered outside a word. Neutral runs inherit the state of
 * the significant byte before them; the carry trick in block_words() fills them without
 * a per-byte loop, so binary input costs no more than text. */
#include "mpikit/wc.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MK_WC_X86 1
#include <immintrin.h>
#endif

static inline int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static inline int is_print(unsigned char c) { return c > ' ' && c < 0x7f; }

void mk_wc_init(mk_wc_state *st)
{
    memset(st, 0, sizeof *st);
}

void mk_wc_update_scalar(mk_wc_state *st, const unsigned char *buf, size_t n)
{
    uint64_t lines = 0, words = 0;
    int in_word = st->in_word;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = buf[i];
        lines += (c == '\n');
        if (is_space(c)) {
            if (!st->seen_significant) {
                st->seen_significant = 1;
                st->first_sig_printable = 0;
            }
            in_word = 0;
        } else if (is_print(c)) {
            if (!st->seen_significant) {
                st->seen_significant = 1;
                st->first_sig_printable = 1;
            }
            words += !in_word;
            in_word = 1;
        }
    }
    st->in_word = in_word;
    st->counts.lines += lines;
    st->counts.words += words;
    st->counts.bytes += n;
}

/* Word starts in one block, given its masks and the in-word state on entry (updated). */
static inline uint64_t block_words(uint64_t P, uint64_t S, uint64_t *in_word)
{
    uint64_t N = ~(P | S);
    /* Neutral runs that follow a space (or open the block outside a word) stay "outside". */
    uint64_t run_starts = N & ((S << 1) | (*in_word ^ 1));
    uint64_t outside_runs = N & ~(N + run_starts);
    uint64_t after = P | (N & ~outside_runs);          /* in-word state after each byte */
    uint64_t before = (after << 1) | *in_word;         /* ... and before it */
    *in_word = after >> 63;
    return (uint64_t)__builtin_popcountll(P & ~before);
}

static inline void note_first_significant(mk_wc_state *st, uint64_t P, uint64_t S)
{
    uint64_t sig = P | S;
    if (sig != 0) {
        st->seen_significant = 1;
        st->first_sig_printable = (int)((P >> __builtin_ctzll(sig)) & 1);
    }
}

#ifdef MK_WC_X86
__attribute__((target("avx2"))) static inline void masks_avx2(const unsigned char *p, uint64_t *P,
                                                               uint64_t *S, uint64_t *NL)
{
    const __m256i sp = _mm256_set1_epi8(' '), del = _mm256_set1_epi8(0x7f);
    const __m256i tab_lo = _mm256_set1_epi8('\t' - 1), cr_hi = _mm256_set1_epi8('\r' + 1);
    const __m256i nl = _mm256_set1_epi8('\n');
    uint64_t m[3][2];
    for (int h = 0; h < 2; h++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * h));
        /* Signed compares: bytes >= 0x80 are negative, so they fall outside both classes. */
        __m256i print = _mm256_and_si256(_mm256_cmpgt_epi8(v, sp), _mm256_cmpgt_epi8(del, v));
        __m256i ctl = _mm256_and_si256(_mm256_cmpgt_epi8(v, tab_lo), _mm256_cmpgt_epi8(cr_hi, v));
        __m256i space = _mm256_or_si256(_mm256_cmpeq_epi8(v, sp), ctl);
        m[0][h] = (uint32_t)_mm256_movemask_epi8(print);
        m[1][h] = (uint32_t)_mm256_movemask_epi8(space);
        m[2][h] = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
    }
    *P = m[0][0] | m[0][1] << 32;
    *S = m[1][0] | m[1][1] << 32;
    *NL = m[2][0] | m[2][1] << 32;
}

__attribute__((target("avx2,popcnt,bmi"))) static void update_avx2(mk_wc_state *st, const unsigned char *buf,
                                                                    size_t n)
{
    size_t blocks = n / 64;
    uint64_t in_word = (uint64_t)st->in_word, lines = 0, words = 0;
    for (size_t b = 0; b < blocks; b++) {
        uint64_t P, S, NL;
        masks_avx2(buf + 64 * b, &P, &S, &NL);
        if (__builtin_expect(!st->seen_significant, 0))
            note_first_significant(st, P, S);
        words += block_words(P, S, &in_word);
        lines += (uint64_t)__builtin_popcountll(NL);
    }
    st->in_word = (int)in_word;
    st->counts.lines += lines;
    st->counts.words += words;
    st->counts.bytes += blocks * 64;
    mk_wc_update_scalar(st, buf + blocks * 64, n - blocks * 64);
}

__attribute__((target("avx512f,avx512bw,popcnt,bmi"))) static void update_avx512(mk_wc_state *st,
                                                                                  const unsigned char *buf,
                                                                                  size_t n)
{
    const __m512i sp = _mm512_set1_epi8(' '), del = _mm512_set1_epi8(0x7f);
    const __m512i tab_lo = _mm512_set1_epi8('\t' - 1), cr_hi = _mm512_set1_epi8('\r' + 1);
    const __m512i nl = _mm512_set1_epi8('\n');
    size_t blocks = n / 64;
    uint64_t in_word = (uint64_t)st->in_word, lines = 0, words = 0;
    for (size_t b = 0; b < blocks; b++) {
        __m512i v = _mm512_loadu_si512((const void *)(buf + 64 * b));
        uint64_t P = _mm512_cmpgt_epi8_mask(v, sp) & _mm512_cmpgt_epi8_mask(del, v);
        uint64_t S = _mm512_cmpeq_epi8_mask(v, sp) |
                     (_mm512_cmpgt_epi8_mask(v, tab_lo) & _mm512_cmpgt_epi8_mask(cr_hi, v));
        uint64_t NL = _mm512_cmpeq_epi8_mask(v, nl);
        if (__builtin_expect(!st->seen_significant, 0))
            note_first_significant(st, P, S);
        words += block_words(P, S, &in_word);
        lines += (uint64_t)__builtin_popcountll(NL);
    }
    st->in_word = (int)in_word;
    st->counts.lines += lines;
    st->counts.words += words;
    st->counts.bytes += blocks * 64;
    mk_wc_update_scalar(st, buf + blocks * 64, n - blocks * 64);
}
#endif

/* Portable 64-byte path: builds the same masks with shifts; used where SIMD is absent. */
static void update_portable(mk_wc_state *st, const unsigned char *buf, size_t n)
{
    size_t blocks = n / 64;
    uint64_t in_word = (uint64_t)st->in_word, lines = 0, words = 0;
    for (size_t b = 0; b < blocks; b++) {
        const unsigned char *p = buf + 64 * b;
        uint64_t P = 0, S = 0, NL = 0;
        for (int i = 0; i < 64; i++) {
            P |= (uint64_t)is_print(p[i]) << i;
            S |= (uint64_t)is_space(p[i]) << i;
            NL |= (uint64_t)(p[i] == '\n') << i;
        }
        if (!st->seen_significant)
            note_first_significant(st, P, S);
        words += block_words(P, S, &in_word);
        lines += (uint64_t)__builtin_popcountll(NL);
    }
    st->in_word = (int)in_word;
    st->counts.lines += lines;
    st->counts.words += words;
    st->counts.bytes += blocks * 64;
    mk_wc_update_scalar(st, buf + blocks * 64, n - blocks * 64);
}

typedef void (*wc_kernel)(mk_wc_state *, const unsigned char *, size_t);

static wc_kernel kernel_by_name(const char *name)
{
#ifdef MK_WC_X86
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512bw") ? update_avx512 : NULL;
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2") ? update_avx2 : NULL;
#endif
    if (strcmp(name, "portable") == 0)
        return update_portable;
    if (strcmp(name, "scalar") == 0)
        return mk_wc_update_scalar;
    return NULL;
}

/* The fastest kernel this CPU runs, and its name. */
static wc_kernel best_kernel(const char **name)
{
#ifdef MK_WC_X86
    if (__builtin_cpu_supports("avx512bw")) {
        *name = "avx512";
        return update_avx512;
    }
    if (__builtin_cpu_supports("avx2")) {
        *name = "avx2";
        return update_avx2;
    }
#endif
    *name = "portable";
    return update_portable;
}

const char *mk_wc_kernel_name(void)
{
    const char *name;
    best_kernel(&name);
    return name;
}

int mk_wc_update_with(const char *kernel, mk_wc_state *st, const unsigned char *buf, size_t n)
{
    wc_kernel k = kernel_by_name(kernel);
    if (k == NULL)
        return -1;
    k(st, buf, n);
    return 0;
}

void mk_wc_update(mk_wc_state *st, const unsigned char *buf, size_t n)
{
    const char *name;
    best_kernel(&name)(st, buf, n);
}

mk_wc_carry mk_wc_carry_of(const mk_wc_state *st)
{
    if (!st->seen_significant)
        return MK_WC_CARRY_IDENTITY;
    return st->in_word ? 0x3 : 0x0;
}

static int carry_apply(mk_wc_carry c, int state) { return (c >> state) & 1; }

mk_wc_carry mk_wc_carry_compose(mk_wc_carry first, mk_wc_carry second)
{
    int from0 = carry_apply(second, carry_apply(first, 0));
    int from1 = carry_apply(second, carry_apply(first, 1));
    return (mk_wc_carry)(from0 | from1 << 1);
}

/* MPI calls a user op as inout = in (op) inout, with `in` from the lower ranks. */
static void carry_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const unsigned char *lower = in;
    unsigned char *upper = inout;
    for (int i = 0; i < *len; i++)
        upper[i] = mk_wc_carry_compose(lower[i], upper[i]);
}

int mk_wc_scan_start_state(MPI_Comm comm, mk_wc_carry mine, int *start_in_word)
{
    MPI_Op op;
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (MPI_Op_create(carry_op, 0 /* not commutative: order of pieces matters */, &op) != MPI_SUCCESS)
        return -1;
    unsigned char before = MK_WC_CARRY_IDENTITY;
    int rc = MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_CHAR, op, comm);
    MPI_Op_free(&op);
    if (rc != MPI_SUCCESS)
        return -1;
    /* MPI_Exscan leaves rank 0's buffer undefined: rank 0 starts at a file start. */
    *start_in_word = rank == 0 ? 0 : carry_apply(before, 0);
    return 0;
}

void mk_wc_fixup(mk_wc_state *st, int start_in_word)
{
    /* Entered inside a word, a leading printable byte continues it instead of starting one. */
    if (start_in_word && st->seen_significant && st->first_sig_printable && st->counts.words > 0)
        st->counts.words--;
    if (!st->seen_significant)
        st->in_word = start_in_word;
}

static int digits(uint64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

void mk_wc_print(FILE *out, const char *const *names, const mk_wc_counts *counts, int n)
{
    mk_wc_print_selected(out, names, counts, n, MK_WC_ALL);
}

static void print_row(FILE *out, const mk_wc_counts *c, unsigned which, int w, const char *name)
{
    const uint64_t v[3] = {c->lines, c->words, c->bytes};
    const char *sep = "";
    for (int k = 0; k < 3; k++)
        if (which & (1u << k)) {
            fprintf(out, "%s%*llu", sep, w, (unsigned long long)v[k]);
            sep = " ";
        }
    fprintf(out, " %s\n", name);
}

void mk_wc_print_selected(FILE *out, const char *const *names, const mk_wc_counts *counts, int n, unsigned which)
{
    mk_wc_counts total = {0, 0, 0};
    for (int i = 0; i < n; i++) {
        total.lines += counts[i].lines;
        total.words += counts[i].words;
        total.bytes += counts[i].bytes;
    }
    if ((which & MK_WC_ALL) == 0)
        which = MK_WC_ALL;
    /* GNU wc: one count of one file is not padded; otherwise the width of the byte total */
    int one = which == MK_WC_LINES || which == MK_WC_WORDS || which == MK_WC_BYTES;
    int w = one && n == 1 ? 1 : digits(total.bytes);
    for (int i = 0; i < n; i++)
        print_row(out, &counts[i], which, w, names[i]);
    if (n > 1)
        print_row(out, &total, which, w, "total");
}
