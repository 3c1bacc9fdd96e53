/*
 * Internal: the v1 JSON codec on jansson values, for the library's own
 * callers (the RPC service embeds the results in its responses; verify and
 * attest read them). The public text functions are in katana_v1.h.
 */
#ifndef KT_COMMIT_V1_JSON_H
#define KT_COMMIT_V1_JSON_H

#include <jansson.h>

#include "katana_tee/katana_v1.h"

/* Caps on what the parsers accept. */
#define KT_V1J_MAX_TEXT ((size_t)64 << 20)   /* bytes of JSON text */
#define KT_V1J_MAX_LIST ((size_t)1 << 20)    /* items in one array */
#define KT_V1J_MAX_QUOTE ((size_t)1 << 20)   /* quote bytes */

/* BlockAttestation / EventProofResponse as a new jansson object, keys in
 * Katana's order (json_dumps(.., JSON_COMPACT) gives serde_json's text).
 * NULL when out of memory. */
json_t *kt_v1_attestation_to_json(const kt_v1_attestation *att);
json_t *kt_v1_event_proof_to_json(const kt_v1_event_proof *proof);

/* Strict readers of a `result` object (rules in katana_v1.h). *out is
 * zeroed first; free it even on failure. */
kt_status kt_v1_attestation_from_json(const json_t *result, kt_v1_attestation *out,
                                      kt_error *err);
kt_status kt_v1_event_proof_from_json(const json_t *result, kt_v1_event_proof *out,
                                      kt_error *err);

/* ---- helpers shared by the two answers (v1_json_util.c) ---------------- */

/* Load text (duplicate keys refused) and find the result object: the
 * document itself, or the "result" of a JSON-RPC response. *doc is the
 * reference to release with json_decref. */
kt_status kt_v1j_load(const char *text, size_t len, const char *what, json_t **doc,
                      const json_t **result, kt_error *err);

/* Read one answer's `result` object into out (a kt_v1_*_from_json). */
typedef kt_status (*kt_v1j_reader)(const json_t *result, void *out, kt_error *err);

/* kt_v1j_load, then read the result object with `read`; the document is
 * released before returning. */
kt_status kt_v1j_parse(const char *text, size_t len, const char *what, kt_v1j_reader read,
                       void *out, kt_error *err);

/* Refuse a key outside `allowed` and a missing key of `required`. */
kt_status kt_v1j_keys(const json_t *obj, const char *what, const char *const *allowed,
                      size_t n_allowed, const char *const *required, size_t n_required,
                      kt_error *err);

/* A canonical felt string ("0x" + lowercase hex, no leading zeros, < p). */
kt_status kt_v1j_felt(const json_t *value, const char *what, kt_felt *out, kt_error *err);
kt_status kt_v1j_felt_key(const json_t *obj, const char *key, const char *where, kt_felt *out,
                          kt_error *err);

/* An array of canonical felts (malloc'd; NULL when empty). */
kt_status kt_v1j_felt_list(const json_t *value, const char *what, kt_felt **out, size_t *n,
                           kt_error *err);

/* A JSON integer in [0, max]. */
kt_status kt_v1j_uint(const json_t *value, const char *what, uint64_t max, uint64_t *out,
                      kt_error *err);

/* Rendering: a felt as its canonical string, a felt list as an array. */
json_t *kt_v1j_felt_value(const kt_felt *f);
json_t *kt_v1j_felt_array(const kt_felt *xs, size_t n);

/* Set key on obj to a new value; false (and value released) on failure. */
bool kt_v1j_set(json_t *obj, const char *key, json_t *value);

/* json_dumps compact into a malloc'd string (as serde_json::to_string). */
kt_status kt_v1j_dump(json_t *value, char **out, kt_error *err);

#endif
