/* wc.h - line/word/byte counting with GNU wc's C-locale rules, vectorised, and the word-state carry across ranks. */
#ifndef MPIKIT_WC_H
#define MPIKIT_WC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <mpi.h>

typedef struct {
    uint64_t lines;
    uint64_t words;
    uint64_t bytes;
} mk_wc_counts;

/* Counting state of one contiguous piece of a file. Words are counted as if the piece
 * started outside a word; mk_wc_fixup corrects that once the true start state is known.
 * In GNU wc's C locale: space \t \n \v \f \r end a word, 0x21..0x7e start one, and every
 * other byte (controls, NUL, >= 0x80) is "neutral": it neither starts nor ends a word. */
typedef struct {
    mk_wc_counts counts;
    int in_word;              /* state after the last byte seen */
    int seen_significant;     /* a space or printable byte has been seen */
    int first_sig_printable;  /* the first such byte was printable */
} mk_wc_state;

void mk_wc_init(mk_wc_state *st);
/* Count the next n bytes of the piece (SIMD where the CPU has it). */
void mk_wc_update(mk_wc_state *st, const unsigned char *buf, size_t n);
/* The same with a plain byte loop: the reference the fast path is tested against. */
void mk_wc_update_scalar(mk_wc_state *st, const unsigned char *buf, size_t n);
/* Name of the kernel mk_wc_update uses on this CPU ("avx512", "avx2" or "portable"). */
const char *mk_wc_kernel_name(void);
/* Count with a named kernel; returns -1 when this CPU lacks it (for tests and benchmarks). */
int mk_wc_update_with(const char *kernel, mk_wc_state *st, const unsigned char *buf, size_t n);

/* The piece's effect on the in-word state, as a map {0,1} -> {0,1}:
 * bit 0 = state after the piece when entered with 0, bit 1 = when entered with 1. */
typedef unsigned char mk_wc_carry;
#define MK_WC_CARRY_IDENTITY ((mk_wc_carry)0x2)   /* 0->0, 1->1 */
mk_wc_carry mk_wc_carry_of(const mk_wc_state *st);
/* Apply `first` then `second`. */
mk_wc_carry mk_wc_carry_compose(mk_wc_carry first, mk_wc_carry second);

/* Exclusive scan of carries over comm (a user-defined, non-commutative MPI_Op):
 * returns the in-word state at the start of this rank's piece, given `mine` for each rank.
 * Rank 0 gets 0 (a file starts outside a word). Collective. */
int mk_wc_scan_start_state(MPI_Comm comm, mk_wc_carry mine, int *start_in_word);

/* Correct the word count now that the true start state is known. */
void mk_wc_fixup(mk_wc_state *st, int start_in_word);

/* Print counts the way GNU wc does: numbers right-aligned to the width of the largest
 * (digits of the total byte count), one space apart, then the name; "total" when n > 1. */
void mk_wc_print(FILE *out, const char *const *names, const mk_wc_counts *counts, int n);

/* Which counts to print, as wc -l, -w, -c select them (printed in that order whatever the order
 * of the flags); 0 means all three. */
enum { MK_WC_LINES = 1, MK_WC_WORDS = 2, MK_WC_BYTES = 4, MK_WC_ALL = 7 };

/* mk_wc_print with only the `which` counts; as GNU wc, a single count of a single file is
 * printed without padding. */
void mk_wc_print_selected(FILE *out, const char *const *names, const mk_wc_counts *counts, int n, unsigned which);

#endif
