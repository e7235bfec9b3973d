/* fault.c - the fault build's failure points (see fault.h); an empty module in other builds. */
#include "mpikit/fault.h"

#ifdef MK_FAULTS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The only process-wide state in the library, and only in the fault build: the parsed
 * environment and the arrival count of the chosen point. */
static struct {
    int parsed;
    int rank;            /* this process's world rank, -1 when unknown */
    char fail[128];      /* point that fails, "" for none */
    long fail_arrival;   /* which arrival fails (1-based) */
    int fail_rank;       /* -1: every rank */
    long arrivals;
    char slow[128];
    long slow_us;
    char log[4096];      /* PREFIX.RANK, "" for none */
} fault;

static void parse(void)
{
    fault.parsed = 1;
    const char *r = getenv("OMPI_COMM_WORLD_RANK");
    if (r == NULL)
        r = getenv("PMIX_RANK");
    fault.rank = r != NULL ? atoi(r) : 0;
    fault.fail_arrival = 1;
    fault.fail_rank = -1;
    const char *spec = getenv("MPIKIT_FAULT");
    if (spec != NULL && strlen(spec) < sizeof fault.fail) {
        strcpy(fault.fail, spec);
        char *at = strchr(fault.fail, '@');
        if (at != NULL) {
            *at = '\0';
            fault.fail_rank = atoi(at + 1);
        }
        char *colon = strchr(fault.fail, ':');
        if (colon != NULL) {
            *colon = '\0';
            fault.fail_arrival = atol(colon + 1);
        }
    }
    const char *slow = getenv("MPIKIT_FAULT_SLOW");
    if (slow != NULL && strlen(slow) < sizeof fault.slow) {
        strcpy(fault.slow, slow);
        char *colon = strchr(fault.slow, ':');
        if (colon != NULL) {
            *colon = '\0';
            fault.slow_us = atol(colon + 1);
        }
    }
    const char *log = getenv("MPIKIT_FAULT_LOG");
    if (log != NULL)
        snprintf(fault.log, sizeof fault.log, "%s.%d", log, fault.rank);
}

int mk_fault_hit(const char *name)
{
    if (!fault.parsed)
        parse();
    if (fault.log[0] != '\0') {
        FILE *f = fopen(fault.log, "a");
        if (f != NULL) {
            fprintf(f, "%s\n", name);
            fclose(f);
        }
    }
    if (fault.slow_us > 0 && strcmp(name, fault.slow) == 0) {
        struct timespec ts = {fault.slow_us / 1000000, (fault.slow_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (fault.fail[0] == '\0' || strcmp(name, fault.fail) != 0)
        return 0;
    if (fault.fail_rank >= 0 && fault.fail_rank != fault.rank)
        return 0;
    return ++fault.arrivals == fault.fail_arrival;
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int mk_fault_unused;
#endif
