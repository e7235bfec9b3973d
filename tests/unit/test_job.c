/* Unit tests: the launch self-check compares the MPI world with SLURM's task count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mpikit/job.h"

static int reset(void **state)
{
    (void)state;
    unsetenv("SLURM_NTASKS");
    unsetenv("SLURM_STEP_ID");
    unsetenv("OMPI_MCA_orte_hnp_uri");
    unsetenv("MPIKIT_SKIP_LAUNCH_CHECK");
    return 0;
}

static void test_outside_slurm_passes(void **state)
{
    (void)state;
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_check_launch(4, &err), 0);
    assert_int_equal(err.code, 0);
}

static void test_srun_matching_world_passes(void **state)
{
    (void)state;
    setenv("SLURM_NTASKS", "4", 1);
    setenv("SLURM_STEP_ID", "0", 1);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_check_launch(4, &err), 0);
}

static void test_singletons_fail_with_message(void **state)
{
    (void)state;
    setenv("SLURM_NTASKS", "4", 1);
    setenv("SLURM_STEP_ID", "0", 1);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_check_launch(1, &err), -1);
    assert_int_equal(err.code, MK_EXIT_FAILURE);
    assert_non_null(strstr(err.msg, "MPI world size is 1 but SLURM_NTASKS is 4"));
    assert_non_null(strstr(err.msg, "--mpi=pmix"));
}

static void test_batch_script_without_step_passes(void **state)
{
    (void)state;
    /* mpirun run by hand inside an allocation: SLURM_NTASKS is the allocation's, no step */
    setenv("SLURM_NTASKS", "8", 1);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_check_launch(2, &err), 0);
}

static void test_mpirun_inside_allocation_passes(void **state)
{
    (void)state;
    /* ranks started by mpirun inherit its daemon step's SLURM_NTASKS=1 */
    setenv("SLURM_NTASKS", "1", 1);
    setenv("SLURM_STEP_ID", "1", 1);
    setenv("OMPI_MCA_orte_hnp_uri", "1.0;tcp://127.0.0.1:1", 1);
    mk_err err;
    mk_err_clear(&err);
    assert_int_equal(mk_check_launch(2, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_outside_slurm_passes, reset),
        cmocka_unit_test_setup(test_srun_matching_world_passes, reset),
        cmocka_unit_test_setup(test_singletons_fail_with_message, reset),
        cmocka_unit_test_setup(test_batch_script_without_step_passes, reset),
        cmocka_unit_test_setup(test_mpirun_inside_allocation_passes, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
