/* Lesson 12, hdf5: many ranks write one array into one file, each its own rows.  EXERCISE
 *
 * Dask builds a big array out of chunks; the tutorials never save one. With parallel HDF5
 * every rank opens the same file through MPI-IO and writes its rows into one dataset, in
 * one collective call, so the file ends up whole with no gathering on rank 0.
 *
 * Each rank knows only how many rows it has (here 2, 0, 1, 2, 0, 1, ... rows: some ranks
 * have none). Where do my rows go? After all rows of the lower ranks: that is an exclusive
 * prefix sum, MPI_Exscan. How big is the dataset? The sum over all ranks: MPI_Allreduce.
 *
 *   rank     0        1        2        3          rows per rank:  2  0  1  2
 *   Exscan   -        2        2        3          first row:      0  2  2  3
 *   file /x  [row 0]  (none)   [row 2]  [row 3]    hyperslab {first, 0} + {rows, COLS}
 *            [row 1]                    [row 4]    H5Dwrite, collective: one write
 *
 * This program compiles and runs, but every rank believes its rows come first. Fill in
 * the TODO, then check your work with:  make lesson NAME=hdf5
 */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define COLS 4

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int world_rank, world_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);

    // My share of the rows, and where they start: the rows of all lower ranks come first.
    long my_rows = (world_rank + 2) % 3, first_row = 0, total_rows = 0;
    // TODO: first_row = the sum of my_rows over the ranks below me: MPI_Exscan of 1 MPI_LONG
    //       with MPI_SUM. MPI_Exscan leaves rank 0's result undefined: set it to 0 there.
    MPI_Allreduce(&my_rows, &total_rows, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);

    // My rows' values depend on the global row number: x[i][j] = 10 * i + j.
    double *data = malloc((size_t)(my_rows * COLS + 1) * sizeof *data);
    for (long i = 0; i < my_rows; i++)
        for (int j = 0; j < COLS; j++)
            data[i * COLS + j] = 10.0 * (double)(first_row + i) + j;

    // Open one file on every rank through the MPI-IO driver (a collective call).
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    hid_t file = H5Fcreate(argc > 1 ? argv[1] : "lesson.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);

    // Every rank creates the same dataset: total_rows x COLS doubles.
    hsize_t dims[2] = {(hsize_t)total_rows, COLS};
    hid_t file_space = H5Screate_simple(2, dims, NULL);
    hid_t dataset = H5Dcreate2(file, "/x", H5T_NATIVE_DOUBLE, file_space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

    // Select my rectangle of the file, and describe my buffer. A rank without rows
    // selects nothing, but still takes part in the collective write.
    hsize_t start[2] = {(hsize_t)first_row, 0}, count[2] = {(hsize_t)my_rows, COLS};
    hid_t mem_space = H5Screate_simple(2, count, NULL);
    if (my_rows > 0) {
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    } else {
        H5Sselect_none(file_space);
        H5Sselect_none(mem_space);
    }
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);  // one collective write, not one per rank
    H5Dwrite(dataset, H5T_NATIVE_DOUBLE, mem_space, file_space, xfer, data);

    H5Pclose(xfer), H5Sclose(mem_space), H5Sclose(file_space);
    H5Dclose(dataset), H5Fclose(file), H5Pclose(fapl);
    if (world_rank == 0)
        printf("wrote /x: %ld rows x %d columns\n", total_rows, COLS);
    free(data);
    MPI_Finalize();
    return 0;
}
