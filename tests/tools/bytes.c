/* bytes - deterministic test input: `bytes KIND SEED N` writes N bytes to stdout.
 * KIND: text (letters, spaces, newlines), binary (all 256 values), edgy (the bytes that
 * matter to wc's rules: spaces, controls, NUL, DEL, >= 0x80, printables), letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mpikit/rng.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bytes text|binary|edgy|letters SEED N\n");
        return 2;
    }
    const char *kind = argv[1];
    uint64_t seed = strtoull(argv[2], NULL, 10), n = strtoull(argv[3], NULL, 10);
    static const unsigned char edgy[] = {'a', 'Z', 'q', ' ', '\n', '\t', '\r', '\v', '\f', 0, 1, 0x1b, 0x7f, 0x80, 0xc3, 0xff, '!', '~', '\''};
    static const char text[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ      \n.,'-";
    for (uint64_t i = 0; i < n; i++) {
        int c;
        if (strcmp(kind, "binary") == 0)
            c = (int)mk_rng_below(seed, i, 256);
        else if (strcmp(kind, "edgy") == 0)
            c = edgy[mk_rng_below(seed, i, sizeof edgy)];
        else if (strcmp(kind, "letters") == 0)
            c = 'a' + (int)mk_rng_below(seed, i, 26);
        else
            c = (unsigned char)text[mk_rng_below(seed, i, sizeof text - 1)];
        putchar(c);
    }
    return ferror(stdout) ? 1 : 0;
}
