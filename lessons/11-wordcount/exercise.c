/* Lesson 11, wordcount: every rank reads its own bytes, and a scan carries the word state.
 * EXERCISE
 *
 * The tutorial maps readLine over t8.shakespeare.txt with a Pool, so one parent reads the
 * whole file and pickles every line to the workers. Here there is no parent: each rank
 * reads its own block of bytes straight from the file (MPI-IO, MPI_File_read_at_all) and
 * counts lines and words the way `LC_ALL=C wc` does.
 *
 * A word can cross a block boundary: "hel|lo" is one word, not two. Whether rank r's block
 * starts inside a word depends on the bytes before it, maybe far before: wc ignores
 * "neutral" bytes (control bytes, bytes >= 0x80) without ending the word, and a run of
 * them can span whole blocks. So each rank describes its block as a map of the state:
 * SET (it ends inside a word), RESET (it ends outside one) or KEEP (no space or printable
 * byte: the state passes through). MPI_Exscan composes the maps of the ranks before me,
 * in rank order, with our own operation, and so tells each rank the state it starts in.
 *
 *   bytes   x \1 \1 | \1 \1 \1 | \1  y  ' ' | z \n        wc: 2 words ("x\1..y", "z")
 *   map     SET     | KEEP     | RESET      | RESET
 *   Exscan  -       | SET      | SET        | RESET     -> rank 2 starts inside a word:
 *   words   1       | 0        | 1 - 1      | 1            its "y" continues "x", so -1
 *   MPI_Reduce(SUM) of {lines, words} -> 2 words, like wc
 *
 * This program compiles and runs, but it never reads the file, and no rank learns the
 * state its block starts in. Fill in the TODOs, then check:  make lesson NAME=wordcount
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { RESET = 0, SET = 1, KEEP = 2 };  // what a block does to "inside a word"

// Apply the maps of `before` (earlier ranks) and then `after`: after wins unless it KEEPs.
static void compose(void *before, void *after, int *len, MPI_Datatype *type)
{
    (void)type;
    for (int i = 0; i < *len; i++)
        if (((int *)after)[i] == KEEP)
            ((int *)after)[i] = ((int *)before)[i];
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // Every rank opens the file; each reads its own block, all in one collective call.
    // (File errors do not abort MPI programs: they return a code, the same on every rank.)
    const char *path = argc > 1 ? argv[1] : "input.txt";
    MPI_File file;
    MPI_Offset size;
    if (MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_RDONLY, MPI_INFO_NULL, &file) != MPI_SUCCESS) {
        if (world_rank == 0)
            fprintf(stderr, "wordcount: cannot open '%s'\n", path);
        MPI_Finalize();
        return 1;
    }
    MPI_File_get_size(file, &size);
    MPI_Offset base = size / world_size, extra = size % world_size;
    MPI_Offset first = world_rank * base + (world_rank < extra ? world_rank : extra);
    int count = (int)(base + (world_rank < extra));  // a lesson: blocks under 2 GiB
    unsigned char *bytes = calloc((size_t)count + 1, 1);
    // TODO: read my `count` bytes at offset `first` into `bytes`, in one collective call
    //       that every rank makes (MPI_File_read_at_all, type MPI_BYTE, MPI_STATUS_IGNORE).
    (void)first;
    MPI_File_close(&file);

    // Count as if the block started outside a word; note the block's map and whether
    // its first significant byte starts a word.
    long counts[2] = {0, 0};  // {lines, words}
    int map = KEEP, first_is_printable = 0, in_word = 0;
    for (int i = 0; i < count; i++) {
        unsigned char c = bytes[i];
        int space = c == ' ' || (c >= '\t' && c <= '\r'), printable = c > ' ' && c < 127;
        counts[0] += c == '\n';
        if (map == KEEP && (space || printable))
            first_is_printable = printable;
        if (printable && !in_word)
            counts[1]++;
        if (space || printable)
            map = in_word = printable;  // neutral bytes change nothing
    }

    // The state at my first byte: the maps of ranks 0..r-1, composed in rank order.
    MPI_Op compose_op;
    MPI_Op_create(compose, 0 /* not commutative: order matters */, &compose_op);
    int before = KEEP;
    // TODO: MPI_Exscan my `map` (1 MPI_INT) with compose_op into `before`.
    if (world_rank > 0 && before == SET && first_is_printable)
        counts[1]--;  // my first word began on an earlier rank: it was counted there
    MPI_Op_free(&compose_op);

    long total[2] = {0, 0};
    MPI_Reduce(counts, total, 2, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (world_rank == 0)
        printf("lines %ld\nwords %ld\nbytes %lld\n", total[0], total[1], (long long)size);
    free(bytes);
    MPI_Finalize();
    return 0;
}
