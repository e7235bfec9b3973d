/* map.c - open-addressing hash map from a non-zero 64-bit key (an MPI handle) to an int64,
 * with backward-shift deletion so lookups never walk over tombstones. */
#include <stdlib.h>

#include "trace.h"

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void mkt_map_init(mkt_map *m)
{
    m->keys = NULL;
    m->values = NULL;
    m->cap = 0;
    m->n = 0;
}

void mkt_map_free(mkt_map *m)
{
    free(m->keys);
    free(m->values);
    mkt_map_init(m);
}

static int grow(mkt_map *m)
{
    size_t cap = m->cap == 0 ? 64 : m->cap * 2;
    uint64_t *keys = calloc(cap, sizeof *keys);
    int64_t *values = malloc(cap * sizeof *values);
    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == 0)
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j] != 0)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        values[j] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    return 0;
}

int mkt_map_put(mkt_map *m, uint64_t key, int64_t value)
{
    if (key == 0)
        return -1;
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -1;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == 0)
        m->n++;
    m->keys[i] = key;
    m->values[i] = value;
    return 0;
}

int mkt_map_get(const mkt_map *m, uint64_t key, int64_t *value)
{
    if (m->cap == 0 || key == 0)
        return 0;
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] != 0) {
        if (m->keys[i] == key) {
            *value = m->values[i];
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

int mkt_map_del(mkt_map *m, uint64_t key)
{
    if (m->cap == 0 || key == 0)
        return 0;
    size_t mask = m->cap - 1, i = slot_of(key, m->cap);
    while (m->keys[i] != key) {
        if (m->keys[i] == 0)
            return 0;
        i = (i + 1) & mask;
    }
    /* Shift later members of the probe run back into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        size_t home = slot_of(m->keys[j], m->cap);
        /* j may move to the hole when its home is not in (hole, j] (cyclically) */
        int home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_between) {
            m->keys[hole] = m->keys[j];
            m->values[hole] = m->values[j];
            hole = j;
        }
    }
    m->keys[hole] = 0;
    m->n--;
    return 1;
}
