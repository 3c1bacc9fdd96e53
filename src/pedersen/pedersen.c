/*
 * kt_pedersen_hash picks the table-free or the table path (both in
 * pedersen_internal.h); kt_pedersen_hash_array folds it.
 *
 * Katana hashes with Pedersen only its config hash: four hashes, usually
 * once per process. Building the fixed-base tables for that would cost far
 * more than the hashes (tens of milliseconds, seconds under a sanitizer),
 * so a process's first DIRECT_HASHES hashes go the direct way (150-200
 * us each) and only a process that keeps hashing builds the tables (about
 * 10 us a hash from then on). 256 direct hashes cost less than the build,
 * so no process pays much more than the better of the two.
 */
#include "katana_tee/pedersen.h"

#include <stdatomic.h>

#include "pedersen/pedersen_internal.h"

#define DIRECT_HASHES 256u

static atomic_uint hashes_done;

kt_felt kt_pedersen_hash(const kt_felt *a, const kt_felt *b) {
    /* a relaxed count: which path a hash takes never changes its answer */
    if (atomic_load_explicit(&hashes_done, memory_order_relaxed) < DIRECT_HASHES) {
        atomic_fetch_add_explicit(&hashes_done, 1u, memory_order_relaxed);
        return kt_pedersen_hash_direct(a, b);
    }
    return kt_pedersen_hash_tables(a, b);
}

kt_felt kt_pedersen_hash_array(const kt_felt *xs, size_t n) {
    kt_felt h = {{0, 0, 0, 0}};
    for (size_t i = 0; i < n; i++)
        h = kt_pedersen_hash(&h, &xs[i]);
    kt_felt len = kt_felt_from_u64((uint64_t)n);
    return kt_pedersen_hash(&h, &len);
}
