/* funcs.c - names and kinds of the traced MPI functions, from the MKT_FUNCS table. */
#include "trace.h"

#define MKT_NAME_(name, kind, shape) "MPI_" #name,
#define MKT_KIND_(name, kind, shape) MKT_K_##kind,
#define MKT_SHAPE_(name, kind, shape) MKT_C_##shape,
static const char *const func_names[] = {MKT_FUNCS(MKT_NAME_)};
static const unsigned char func_kinds[] = {MKT_FUNCS(MKT_KIND_)};
static const unsigned char func_shapes[] = {MKT_FUNCS(MKT_SHAPE_)};
#undef MKT_NAME_
#undef MKT_KIND_
#undef MKT_SHAPE_

_Static_assert(sizeof(mkt_event) == 64, "an event is 64 bytes");
_Static_assert(sizeof func_names / sizeof func_names[0] == MKT_F_COUNT, "one name per function");

const char *mkt_func_name(int func)
{
    return func >= 0 && func < MKT_F_COUNT ? func_names[func] : "MPI_?";
}

mkt_kind mkt_func_kind(int func)
{
    return func >= 0 && func < MKT_F_COUNT ? (mkt_kind)func_kinds[func] : MKT_K_COMM;
}

mkt_coll_shape mkt_func_shape(int func)
{
    return func >= 0 && func < MKT_F_COUNT ? (mkt_coll_shape)func_shapes[func] : MKT_C_NONE;
}

const char *mkt_kind_name(mkt_kind kind)
{
    static const char *const names[MKT_K_COUNT] = {"send",       "receive", "sendrecv",     "wait", "probe",
                                                   "collective", "I/O",     "communicator", "init"};
    return kind < MKT_K_COUNT ? names[kind] : "?";
}

uint64_t mkt_hash(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t mkt_hash_str(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return mkt_hash(s, n, 0);
}
