/* Internal: the byte encodings DSSE envelopes use: base64 and the PAE (see katana_tee/provenance.h). */
#ifndef KT_PROVENANCE_ENCODING_H
#define KT_PROVENANCE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "katana_tee/status.h"

/*
 * Decode text[0..len) written in the standard (+/) or the URL-safe (-_)
 * alphabet, padded with '=' or not. Refuses (KT_E_PARSE, naming `what`) a
 * mix of the two alphabets, any other character (whitespace included),
 * padding that is misplaced or of the wrong length, a length that cannot
 * come from an encoder, and non-zero unused trailing bits (so each byte
 * string has exactly one accepted spelling per alphabet and padding choice).
 * *out (malloc, free with free) holds *out_len bytes; it is non-NULL even
 * for empty input.
 */
kt_status kt_b64_decode(const char *text, size_t len, const char *what, uint8_t **out,
                        size_t *out_len, kt_error *err);

/*
 * The DSSE pre-authentication encoding of (type, body):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal.
 * Returns a malloc'd buffer of *out_len bytes, or NULL (no memory).
 */
uint8_t *kt_prov_pae(const char *type, const uint8_t *body, size_t body_len, size_t *out_len);

/* Standard alphabet with padding. Returns a malloc'd NUL-terminated string or NULL (no memory). */
char *kt_b64_encode(const uint8_t *data, size_t len);

#endif
