/* Internal: helpers shared by the Azure evidence modules. */
#ifndef KT_AZURE_INTERNAL_H
#define KT_AZURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "katana_tee/azure.h"
#include "katana_tee/verify.h"

/*
 * Decode base64 in either alphabet (standard or URL-safe, not mixed), with
 * or without '=' padding, no whitespace. Allocates *out (free()).
 * KT_E_PARSE naming `what` on a bad character or length, KT_E_TOO_LARGE
 * above `cap` decoded bytes.
 */
kt_status kt_azure_b64_decode(const char *text, size_t len, size_t cap, const char *what,
                              uint8_t **out, size_t *out_len, kt_error *err);

/* Lowercase hex of bytes as a JSON string (NULL when out of memory). */
json_t *kt_azure_hex_json(const uint8_t *p, size_t n);

/* Base64url without padding (JWK form). *out is malloc'd, NUL-terminated. */
kt_status kt_azure_b64url_encode(const uint8_t *bytes, size_t len, char **out, kt_error *err);

#define KT_AZURE_THIM_URL "http://169.254.169.254/metadata/THIM/amd/certification"

/*
 * Ask the Azure host's certificate cache (THIM) at `url` for the VCEK and
 * its chain and append them (PEM) to ev->certs. KT_E_NETWORK / KT_E_HTTP /
 * KT_E_PARSE when it gives nothing usable.
 */
kt_status kt_azure_thim_fetch(const char *url, kt_azure_evidence *ev, kt_error *err);

/* HCLAkPub as an OpenSSL RSA public key (caller frees), or NULL with err set. */
EVP_PKEY *kt_azure_claims_ak_key(const kt_azure_claims *claims, kt_error *err);

/*
 * RSASSA-PKCS1-v1_5 / SHA-256 over `msg` with `key`. KT_E_SIGNATURE when it
 * does not verify.
 */
kt_status kt_tpm_quote_verify_sig(EVP_PKEY *key, const uint8_t *msg, size_t msg_len,
                                  const uint8_t *sig, size_t sig_len, kt_error *err);

/* SHA-256 over the PCR values selected by `select` (ascending index). */
bool kt_tpm_pcr_digest(const uint8_t *pcrs, uint32_t select,
                       uint8_t out[32]);

/*
 * Parse the "pcrs" member of a policy: an object {"<index>": "<64 hex>"}
 * into policy->pcr_mask / pcr_values. KT_E_PARSE naming the entry.
 */
kt_status kt_azure_policy_pcrs(json_t *value, kt_policy *policy, kt_error *err);

/*
 * The Azure half of kt_verify, for a quote of kind KT_QUOTE_AZURE: runs the
 * SEV-SNP checks on the embedded report under the Azure profile, then the
 * claims_binding, user_data, tpm_quote and pcrs checks.
 */
kt_status kt_azure_verify(kt_verifier *v, const kt_quote *quote, const kt_verify_opts *opts,
                          kt_verdict *vd, kt_error *err);

#endif
