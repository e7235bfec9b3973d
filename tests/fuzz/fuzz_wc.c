/* fuzz_wc.c - differential fuzzing of the word/line/byte counter (src/wc.c).
 *
 * Every kernel this CPU has (scalar, portable, avx2, avx512) and the best one picked by
 * mk_wc_update are run on the input whole, streamed in fuzzer-chosen chunks, and cut into
 * "rank" pieces joined with the carry map and mk_wc_fixup; all must equal a byte-at-a-time
 * reference written here from the documented rule (GNU wc, C locale):
 *   space \t \n \v \f \r end a word, 0x21..0x7e start one (when outside a word),
 *   every other byte is neutral: it neither starts nor ends a word.
 *
 * Input: byte 0 = number of cut points (low 3 bits), then 2 bytes per cut point
 * (little-endian, taken modulo the text length), then the text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpikit/wc.h"

#define MAX_CUTS 7

typedef struct {
    uint64_t lines, words, bytes;
    int in_word;           /* state after the text, entered outside a word */
    int first_sig;         /* -1: no space/printable byte, 0: first was a space, 1: printable */
} ref_result;

static int ref_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int ref_printable(unsigned char c) { return c >= 0x21 && c <= 0x7e; }

/* The rule, one byte at a time, entered with state `in`. */
static ref_result reference(const unsigned char *p, size_t n, int in)
{
    ref_result r = {0, 0, n, in, -1};
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            r.lines++;
        if (ref_space(p[i])) {
            if (r.first_sig < 0)
                r.first_sig = 0;
            r.in_word = 0;
        } else if (ref_printable(p[i])) {
            if (r.first_sig < 0)
                r.first_sig = 1;
            if (!r.in_word)
                r.words++;
            r.in_word = 1;
        }
    }
    return r;
}

static void check(int ok, const char *what, const char *kernel)
{
    if (!ok) {
        fprintf(stderr, "fuzz_wc: %s differs from the reference (kernel %s)\n", what, kernel);
        abort();
    }
}

/* A kernel's state after counting p[0..n) from a fresh state must match the reference. */
static void check_state(const mk_wc_state *st, const ref_result *r, const char *kernel)
{
    check(st->counts.lines == r->lines, "lines", kernel);
    check(st->counts.words == r->words, "words", kernel);
    check(st->counts.bytes == r->bytes, "bytes", kernel);
    check(st->in_word == r->in_word, "final in-word state", kernel);
    check(st->seen_significant == (r->first_sig >= 0), "seen_significant", kernel);
    if (r->first_sig >= 0)
        check(st->first_sig_printable == r->first_sig, "first_sig_printable", kernel);
}

/* Count [0, n) with `kernel` (NULL: mk_wc_update) in the chunks given by cuts. */
static void count_chunked(const char *kernel, mk_wc_state *st, const unsigned char *text, size_t n,
                          const size_t *cuts, int ncuts)
{
    size_t from = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        /* Each chunk in its own exact-size heap block: ASan sees any read past its end. */
        unsigned char *chunk = malloc(to - from ? to - from : 1);
        memcpy(chunk, text + from, to - from);
        if (kernel == NULL)
            mk_wc_update(st, chunk, to - from);
        else
            mk_wc_update_with(kernel, st, chunk, to - from);
        free(chunk);
        from = to;
    }
}

static void sort_cuts(size_t *cuts, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int ncuts = data[0] & MAX_CUTS;
    size_t header = 1 + 2 * (size_t)ncuts;
    if (size < header)
        return 0;
    const unsigned char *text = data + header;
    size_t n = size - header;
    size_t cuts[MAX_CUTS];
    for (int i = 0; i < ncuts; i++) {
        size_t v = (size_t)data[1 + 2 * i] | (size_t)data[2 + 2 * i] << 8;
        cuts[i] = n ? v % (n + 1) : 0;
    }
    sort_cuts(cuts, ncuts);

    ref_result whole = reference(text, n, 0);
    static const char *const kernels[] = {"scalar", "portable", "avx2", "avx512", NULL};
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        const char *name = kernels[k] ? kernels[k] : "mk_wc_update";
        mk_wc_state st;
        /* whole buffer in one call */
        mk_wc_init(&st);
        if (kernels[k] == NULL)
            mk_wc_update(&st, copy, n);
        else if (mk_wc_update_with(kernels[k], &st, copy, n) != 0)
            continue; /* this CPU lacks the kernel */
        check_state(&st, &whole, name);
        /* streamed: one state fed chunk by chunk (a rank reading its range in blocks) */
        mk_wc_init(&st);
        count_chunked(kernels[k], &st, text, n, cuts, ncuts);
        check_state(&st, &whole, name);
    }
    free(copy);

    /* Pieces counted independently (ranks), joined by the carry scan and fixup. Piece i
     * uses kernel i mod 4 so that mixed kernels meet at the seams too. */
    mk_wc_carry before = MK_WC_CARRY_IDENTITY, total_carry = MK_WC_CARRY_IDENTITY;
    uint64_t lines = 0, words = 0, bytes = 0;
    mk_wc_counts piece_counts[MAX_CUTS + 1];
    size_t from = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        const unsigned char *p = text + from;
        size_t len = to - from;
        mk_wc_state st;
        mk_wc_init(&st);
        const char *kernel = kernels[i % 4];
        unsigned char *piece = malloc(len ? len : 1);
        memcpy(piece, p, len);
        if (mk_wc_update_with(kernel, &st, piece, len) != 0)
            mk_wc_update(&st, piece, len);
        free(piece);

        /* The carry is the piece's map {0,1} -> {0,1}: check it against the reference run
         * from both entry states. */
        ref_result from0 = reference(p, len, 0), from1 = reference(p, len, 1);
        mk_wc_carry c = mk_wc_carry_of(&st);
        check(((c >> 0) & 1) == from0.in_word && ((c >> 1) & 1) == from1.in_word, "carry map", kernel);

        int start = i == 0 ? 0 : (before & 1); /* a file starts outside a word */
        ref_result truth = reference(p, len, start);
        mk_wc_fixup(&st, start);
        check(st.counts.words == truth.words, "words after fixup", kernel);
        check(st.counts.lines == truth.lines, "piece lines", kernel);
        check(st.in_word == truth.in_word, "in-word state after fixup", kernel);
        lines += st.counts.lines;
        words += st.counts.words;
        bytes += st.counts.bytes;
        piece_counts[i] = st.counts;
        before = mk_wc_carry_compose(before, c);
        /* right-to-left grouping must agree (the scan's operator is associative) */
        total_carry = mk_wc_carry_compose(total_carry, c);
        from = to;
    }
    check(lines == whole.lines && words == whole.words && bytes == whole.bytes, "sum over pieces", "mixed");
    check((before & 1) == whole.in_word, "composed carry", "mixed");
    check(total_carry == before, "carry composition", "mixed");

    /* The printed "total" line carries the summed counts. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    const char *names[MAX_CUTS + 1];
    for (int i = 0; i <= ncuts; i++)
        names[i] = "piece";
    mk_wc_print(f, names, piece_counts, ncuts + 1);
    fclose(f);
    const char *last = out;
    for (const char *q = out; *q != '\0'; q++)
        if (*q == '\n' && q[1] != '\0')
            last = q + 1;
    unsigned long long pl, pw, pb;
    char label[16];
    check(sscanf(last, "%llu %llu %llu %15s", &pl, &pw, &pb, label) == 4, "printed line", "print"); // NOLINT(cert-err34-c): our own mk_wc_print output
    check(pl == whole.lines && pw == whole.words && pb == whole.bytes, "printed counts", "print");
    check(strcmp(label, ncuts > 0 ? "total" : "piece") == 0, "printed label", "print");
    free(out);
    return 0;
}
