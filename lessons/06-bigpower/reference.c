/* Serial reference for lesson 06-bigpower (no MPI): the same N numbers, one loop.
 * The checker compiles it with cc and compares its means with the program's, to a
 * relative 1e-9: a different split adds the same numbers in another order. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N 200000
#define SEED 12345u

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

int main(void)
{
    const int powers[4] = {1, 2, 12, 15};
    long double sum[4] = {0, 0, 0, 0};
    for (uint64_t i = 0; i < N; i++) {
        double u1 = (double)((mix(SEED + 2 * i) >> 11) + 1) * 0x1p-53;
        double u2 = (double)(mix(SEED + 2 * i + 1) >> 11) * 0x1p-53;
        double x = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        for (int k = 0; k < 4; k++)
            sum[k] += powl(x, powers[k]);
    }
    for (int k = 0; k < 4; k++)
        printf("mean_of_x^%d %.15g\n", powers[k], (double)(sum[k] / N));
    return 0;
}
