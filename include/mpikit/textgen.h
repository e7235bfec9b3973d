/* textgen.h - deterministic English-like text: Zipf-distributed vocabulary, sentences and lines, by page. */
#ifndef MPIKIT_TEXTGEN_H
#define MPIKIT_TEXTGEN_H

#include <stddef.h>
#include <stdint.h>

/* Pages are generated independently from (seed, page index), so any rank count writes the
 * same bytes: page i is bytes [i * page_size, (i + 1) * page_size) of the output. */
typedef struct mk_textgen mk_textgen;

#define MK_TEXTGEN_PAGE_SIZE ((size_t)1 << 16)

/* vocab_size distinct words with Zipf exponent `zipf_s` (1.0 is English-like). NULL on no memory. */
mk_textgen *mk_textgen_new(uint64_t seed, size_t vocab_size, double zipf_s);
void mk_textgen_free(mk_textgen *g);
/* Fill buf (page_size bytes) with page `page`; every page ends with a newline. */
void mk_textgen_page(const mk_textgen *g, uint64_t page, unsigned char *buf, size_t page_size);

#endif
