/* fault.h - fault injection for tests: any failure point of the library can be made to fail on one chosen rank. */
#ifndef MPIKIT_FAULT_H
#define MPIKIT_FAULT_H

/* Points exist only in the fault build (make FAULTS=1, into build/fault): everywhere else
 * mk_fault_hit is the constant 0 and the compiler removes the branch, so the programs users
 * run carry no test hooks.
 *
 * In the fault build the environment chooses what fails:
 *   MPIKIT_FAULT=NAME[:K][@RANK]   the K-th arrival (default 1st) at point NAME fails, on world
 *                                  rank RANK only (default: on every rank)
 *   MPIKIT_FAULT_SLOW=NAME:US      every arrival at NAME first sleeps US microseconds
 *   MPIKIT_FAULT_LOG=PREFIX        every arrival appends the point's name to PREFIX.RANK, so a
 *                                  sweep can list the points a run reaches
 * Point names are "module.operation", e.g. "outfile.fsync", "h5.write", "reader.read". */
#ifdef MK_FAULTS
/* Whether point `name` fails now on this process (also applies MPIKIT_FAULT_SLOW and the log). */
int mk_fault_hit(const char *name);
#else
static inline int mk_fault_hit(const char *name)
{
    (void)name;
    return 0;
}
#endif

#endif
