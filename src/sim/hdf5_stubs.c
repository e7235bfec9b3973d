/* hdf5_stubs.c - the few HDF5 library symbols that the jobs and src/table.c use directly, for the
 * simulated build (make SIM=1), which links no libhdf5 (its parallel build would pull Open MPI
 * into an SMPI program). They are reached only after an mk_h5_* call succeeded, which never
 * happens in this build (src/sim/h5_none.c), so each one just fails the HDF5 way (negative).
 * The prototypes come from hdf5.h itself, so a mismatch does not compile. */
#include <hdf5.h>

/* hdf5.h declares the predefined type ids as extern variables that H5open() fills in; they are
 * never written here (no HDF5 call succeeds), and the header's declaration forbids const. */
hid_t H5T_C_S1_g = -1;
hid_t H5T_IEEE_F64LE_g = -1;
hid_t H5T_NATIVE_DOUBLE_g = -1;
hid_t H5T_NATIVE_UINT64_g = -1;
hid_t H5T_STD_I64LE_g = -1;
hid_t H5T_STD_U64LE_g = -1;
hid_t H5T_STD_U8LE_g = -1;
hid_t H5T_NATIVE_UCHAR_g = -1;

herr_t H5open(void) { return -1; }
herr_t H5Aclose(hid_t attr_id) { (void)attr_id; return -1; }
htri_t H5Aexists(hid_t obj_id, const char *attr_name) { (void)obj_id, (void)attr_name; return -1; }
hid_t H5Aget_type(hid_t attr_id) { (void)attr_id; return -1; }
hid_t H5Aopen(hid_t obj_id, const char *attr_name, hid_t aapl_id)
{
    (void)obj_id, (void)attr_name, (void)aapl_id;
    return -1;
}
herr_t H5Aread(hid_t attr_id, hid_t type_id, void *buf) { (void)attr_id, (void)type_id, (void)buf; return -1; }
herr_t H5Dclose(hid_t dset_id) { (void)dset_id; return -1; }
herr_t H5Literate(hid_t grp_id, H5_index_t idx_type, H5_iter_order_t order, hsize_t *idx, H5L_iterate_t op,
                  void *op_data)
{
    (void)grp_id, (void)idx_type, (void)order, (void)idx, (void)op, (void)op_data;
    return -1;
}
herr_t H5Oget_info_by_name(hid_t loc_id, const char *name, H5O_info_t *oinfo, hid_t lapl_id)
{
    (void)loc_id, (void)name, (void)oinfo, (void)lapl_id;
    return -1;
}
hid_t H5Tcopy(hid_t type_id) { (void)type_id; return -1; }
herr_t H5Tclose(hid_t type_id) { (void)type_id; return -1; }
H5T_class_t H5Tget_class(hid_t type_id) { (void)type_id; return H5T_NO_CLASS; }
size_t H5Tget_size(hid_t type_id) { (void)type_id; return 0; }
htri_t H5Tis_variable_str(hid_t type_id) { (void)type_id; return -1; }
herr_t H5Tset_size(hid_t type_id, size_t size) { (void)type_id, (void)size; return -1; }
herr_t H5Tset_strpad(hid_t type_id, H5T_str_t strpad) { (void)type_id, (void)strpad; return -1; }
hid_t H5Aget_space(hid_t attr_id) { (void)attr_id; return -1; }
herr_t H5Dvlen_reclaim(hid_t type_id, hid_t space_id, hid_t dxpl_id, void *buf)
{
    (void)type_id, (void)space_id, (void)dxpl_id, (void)buf;
    return -1;
}
herr_t H5Sclose(hid_t space_id) { (void)space_id; return -1; }
hssize_t H5Sget_simple_extent_npoints(hid_t space_id) { (void)space_id; return -1; }
H5T_cset_t H5Tget_cset(hid_t type_id) { (void)type_id; return H5T_CSET_ERROR; }
herr_t H5Tset_cset(hid_t type_id, H5T_cset_t cset) { (void)type_id, (void)cset; return -1; }
