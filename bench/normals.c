/* bench/normals.c - single-core rate of mpikit's standard normals (mk_rng_std_normals), the
 * peer of numpy's `default_rng().standard_normal(out=a)`: n normals into an array of n doubles
 * whose pages are already mapped (page faults in this VM cost more than the normals), then the
 * same n drawn 4096 at a time into one buffer that stays in cache (as bigpower and arraystats
 * consume them), for each kernel this CPU runs.
 *   usage: normals N      prints "@normals_per_s_KERNEL_array|cached VALUE 1/s" lines */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mpikit/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : 10000000;
    double *a = malloc(n * sizeof *a), buf[4096], sink = 0;
    if (a == NULL || n == 0)
        return 1;
    const char *kernels[] = {"avx512", "avx2", "scalar"};
    printf("@kernel_default %s -\n", mk_rng_std_normals_kernel());
    mk_rng_std_normals(1, 0, 0, n, a);  /* map the pages */
    for (int k = 0; k < 3; k++) {
        if (mk_rng_std_normals_with(kernels[k], 1, 0, 0, 4096, buf) != 0)
            continue;  /* not on this CPU */
        double t = now();
        mk_rng_std_normals_with(kernels[k], 1, 0, 0, n, a);
        t = now() - t;
        printf("@normals_per_s_%s_array %.4g 1/s\n", kernels[k], (double)n / t);
        t = now();
        for (size_t at = 0; at < n; at += 4096) {
            size_t c = n - at < 4096 ? n - at : 4096;
            mk_rng_std_normals_with(kernels[k], 1, 0, at, c, buf);
            sink += buf[0];
        }
        t = now() - t;
        printf("@normals_per_s_%s_cached %.4g 1/s\n", kernels[k], (double)n / t);
    }
    sink += a[n - 1];
    printf("# checksum %g\n", sink);
    free(a);
    return 0;
}
