/* partition.c - block decomposition with remainders spread over the first parts. */
#include "mpikit/partition.h"

#include <limits.h>

mk_range mk_block_range(uint64_t n, int parts, int index)
{
    mk_range r = {0, 0};
    if (parts <= 0 || index < 0 || index >= parts)
        return r;
    uint64_t p = (uint64_t)parts, i = (uint64_t)index;
    uint64_t base = n / p, extra = n % p;
    /* The first `extra` parts hold base + 1 items, as numpy.array_split does. */
    r.count = base + (i < extra ? 1 : 0);
    r.start = i * base + (i < extra ? i : extra);
    return r;
}

int mk_block_owner(uint64_t n, int parts, uint64_t item)
{
    uint64_t p = (uint64_t)parts, base = n / p, extra = n % p;
    uint64_t big = extra * (base + 1);   /* items held by the larger parts */
    if (item < big)
        return (int)(item / (base + 1));
    return (int)(extra + (item - big) / base);
}

int mk_block_counts(uint64_t n, int parts, int unit, int *counts, int *displs)
{
    for (int i = 0; i < parts; i++) {
        mk_range r = mk_block_range(n, parts, i);
        uint64_t c = r.count * (uint64_t)unit, d = r.start * (uint64_t)unit;
        if (unit < 0 || c > INT_MAX || d > INT_MAX)
            return -1;
        counts[i] = (int)c;
        displs[i] = (int)d;
    }
    return 0;
}
