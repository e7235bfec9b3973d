/* bench/membw.c - single-core memory bandwidth of this machine, the physical limit of a scan.
 * Reads (sums) and copies (memcpy) a buffer much larger than the caches; prints the best of
 * REPEAT passes as "@metric value unit" lines for bench/lib.sh.   membw [MiB] [REPEAT] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    size_t n = mib * 1024 * 1024 / sizeof(uint64_t);
    uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) {
        fprintf(stderr, "membw: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) /* touch every page so reads hit DRAM, not the zero page */
        a[i] = i, b[i] = 0;
    double best_read = 1e30, best_copy = 1e30;
    uint64_t sink = 0;
    for (int r = 0; r < repeat; r++) {
        double t = now();
        /* four independent sums: the loop is limited by loads, not by one add chain */
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t i = 0; i + 3 < n; i += 4)
            s0 += a[i], s1 += a[i + 1], s2 += a[i + 2], s3 += a[i + 3];
        sink += s0 + s1 + s2 + s3;
        t = now() - t;
        if (t < best_read)
            best_read = t;
        t = now();
        memcpy(b, a, n * sizeof *a);
        t = now() - t;
        if (t < best_copy)
            best_copy = t;
        sink += b[n / 2];
    }
    double bytes = (double)n * sizeof *a;
    printf("@read_GBs %.3f GB/s\n@copy_GBs %.3f GB/s\n@sink %llu -\n", bytes / best_read / 1e9,
           bytes / best_copy / 1e9, (unsigned long long)(sink % 1000));
    free(a);
    free(b);
    return 0;
}
