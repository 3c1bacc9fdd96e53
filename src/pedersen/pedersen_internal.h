/*
 * Internal: the two ways kt_pedersen_hash computes one hash, and the
 * constant points both use. They give the same answers (the tests hold
 * both to OpenSSL's curve arithmetic); kt_pedersen_hash picks one by how
 * many hashes the process has asked for (see pedersen.c).
 */
#ifndef KT_PEDERSEN_INTERNAL_H
#define KT_PEDERSEN_INTERNAL_H

#include "katana_tee/felt.h"
#include "pedersen/curve.h"

/* Starknet's five constant points in Montgomery form, P0 the shift point,
 * P1/P2 for the first input's low/high part, P3/P4 for the second's; NULL
 * only if the built-in constants did not parse (a build defect the tests
 * catch). Loaded once, thread-safe; also runs kt_ec_init. */
const kt_ec_affine *kt_pedersen_points(void);

/* With fixed-base tables (tables.c): about 10 us a hash, after a one-time
 * build of 10 MB of tables (tens of ms). Returns 0 if the tables could not
 * be built. */
kt_felt kt_pedersen_hash_tables(const kt_felt *a, const kt_felt *b);

/* Without tables (direct.c): a joint double-and-add, about 15 times slower
 * a hash, with only 60 small multiples to make once. Returns 0 if the
 * points did not load. */
kt_felt kt_pedersen_hash_direct(const kt_felt *a, const kt_felt *b);

#endif
