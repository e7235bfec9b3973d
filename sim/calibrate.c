/* calibrate - this machine's per-core compute speed in flop/s, for the platforms' speed= and
 * smpi/host-speed (sim/README.md). An a*x+y over an array that stays in L1 cache, 2 flops per
 * element, on CPU time (not wall time: the machine is shared). Prints the best of 5 runs.
 *   cc -O2 -o calibrate sim/calibrate.c && ./calibrate */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <stdio.h>
#include <time.h>

#define LEN 1024
#define REPS 200000

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    static double x[LEN], y[LEN];
    for (int i = 0; i < LEN; i++)
        x[i] = 1.0 + i * 1e-6, y[i] = 0.0;
    double best = 0.0;
    for (int run = 0; run < 5; run++) {
        double a = 1.0 + run * 1e-9, t0 = cpu_seconds();
        for (int r = 0; r < REPS; r++)
            for (int i = 0; i < LEN; i++)
                y[i] = a * x[i] + y[i];
        double rate = 2.0 * LEN * REPS / (cpu_seconds() - t0);
        if (rate > best)
            best = rate;
    }
    printf("%.3g\n", best);
    return y[LEN / 2] > 0.0 ? 0 : 1; /* use y, so the loop is not optimised away */
}
