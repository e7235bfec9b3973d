/* samefile.h - refuse an output that is also an input, compared as files (st_dev, st_ino), so a
 * symlink, a hard link or another spelling of the path is caught. MPI-free. */
#ifndef MPIKIT_SAMEFILE_H
#define MPIKIT_SAMEFILE_H

#include "mpikit/error.h"

/* Before anything is written: -1 with err set (exit 1, one line naming `option`, the output and
 * the input) when `output` is the same existing file as one of `inputs` (links followed on both
 * sides); 0 otherwise, also when the output does not exist yet or an input cannot be read (that
 * is reported where the input is opened). */
int mk_output_not_input(const char *option, const char *output, const char *const *inputs, int ninputs,
                        mk_err *err);

#endif
