/* samefile.c - an output must not be an input: `wordcount --counts F F` would replace the corpus
 * and `arraystats --input F:/x --save F` would drop F's other datasets. Paths are compared by
 * what they name (device and inode), not by spelling. */
#include "mpikit/samefile.h"

#include <sys/stat.h>

int mk_output_not_input(const char *option, const char *output, const char *const *inputs, int ninputs,
                        mk_err *err)
{
    struct stat out;
    /* A missing output cannot be an input; any other stat failure is the writer's to report. */
    if (output == NULL || stat(output, &out) != 0)
        return 0;
    for (int i = 0; i < ninputs; i++) {
        struct stat in;
        if (inputs[i] != NULL && stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return mk_err_set(err, MK_EXIT_FAILURE,
                              "%s '%s' is the same file as the input '%s'; refusing to overwrite an input", option,
                              output, inputs[i]);
    }
    return 0;
}
