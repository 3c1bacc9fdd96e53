/* DSSE envelopes: parsing, the pre-authentication encoding, ECDSA P-256 signatures. */
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "katana_tee/provenance.h"
#include "provenance/encoding.h"
#include "provenance/statement.h"
#include "util/error.h"

const char *kt_prov_reason_name(kt_prov_reason reason) {
    switch (reason) {
    case KT_PROV_OK: return "ok";
    case KT_PROV_ENVELOPE: return "envelope";
    case KT_PROV_BASE64: return "base64";
    case KT_PROV_PAYLOAD_TYPE: return "payload-type";
    case KT_PROV_SIGNATURE: return "signature";
    case KT_PROV_THRESHOLD: return "threshold";
    case KT_PROV_STATEMENT: return "statement";
    case KT_PROV_PREDICATE_TYPE: return "predicate-type";
    case KT_PROV_SUBJECT: return "subject-digest";
    case KT_PROV_COMMIT: return "commit";
    case KT_PROV_BUILDER: return "builder";
    }
    return "unknown";
}

/* A parsed envelope: the JSON plus the decoded payload and signatures. */
typedef struct envelope {
    json_t *json;
    const char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    size_t n_sigs;
    uint8_t *sig[KT_PROV_MAX_SIGNATURES];
    size_t sig_len[KT_PROV_MAX_SIGNATURES];
} envelope;

static void envelope_free(envelope *e) {
    json_decref(e->json);
    free(e->payload);
    for (size_t i = 0; i < e->n_sigs; i++) free(e->sig[i]);
    memset(e, 0, sizeof *e);
}

static kt_status fail_reason(kt_prov_result *r, kt_prov_reason reason, kt_status st, kt_error *err) {
    if (r) r->reason = reason;
    if (err) {
        /* prefix the check's name to the message kt_fail already wrote */
        char msg[KT_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        return kt_fail(err, st, "%s: %s", kt_prov_reason_name(reason), msg);
    }
    return st;
}

static int only_members(json_t *obj, const char *const *allowed, size_t n, const char **bad) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (i < n && strcmp(key, allowed[i]) != 0) i++;
        if (i == n) {
            *bad = key;
            return 0;
        }
    }
    return 1;
}

/*
 * Parse and decode; on failure sets r->reason (envelope, payload-type or
 * base64, in that order). want_type: the payloadType required, or NULL.
 */
static kt_status envelope_parse(const uint8_t *data, size_t len, const char *want_type, envelope *e,
                                kt_prov_result *r, kt_error *err) {
    memset(e, 0, sizeof *e);
    if (len > KT_PROV_ENVELOPE_MAX) {
        kt_fail(err, KT_E_TOO_LARGE, "the envelope is larger than %u bytes", KT_PROV_ENVELOPE_MAX);
        return fail_reason(r, KT_PROV_ENVELOPE, KT_E_TOO_LARGE, err);
    }
    json_error_t jerr;
    e->json = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!e->json) {
        kt_fail(err, KT_E_PARSE, "not one JSON envelope: %s (line %d)", jerr.text, jerr.line);
        return fail_reason(r, KT_PROV_ENVELOPE, KT_E_PARSE, err);
    }
    static const char *const top[] = {"payload", "payloadType", "signatures"};
    static const char *const sigm[] = {"keyid", "sig"};
    const char *bad = NULL;
    json_t *payload = json_object_get(e->json, "payload");
    json_t *ptype = json_object_get(e->json, "payloadType");
    json_t *sigs = json_object_get(e->json, "signatures");
    if (!json_is_object(e->json) || !json_is_string(payload) || !json_is_string(ptype) ||
        !json_is_array(sigs)) {
        kt_fail(err, KT_E_PARSE, "need an object with string payload, string payloadType and a signatures array");
        return fail_reason(r, KT_PROV_ENVELOPE, KT_E_PARSE, err);
    }
    if (!only_members(e->json, top, 3, &bad)) {
        kt_fail(err, KT_E_PARSE, "unknown member '%.100s'", bad);
        return fail_reason(r, KT_PROV_ENVELOPE, KT_E_PARSE, err);
    }
    size_t n = json_array_size(sigs);
    if (n == 0 || n > KT_PROV_MAX_SIGNATURES) {
        kt_fail(err, KT_E_PARSE, "%zu signatures (need 1..%d)", n, KT_PROV_MAX_SIGNATURES);
        return fail_reason(r, KT_PROV_ENVELOPE, KT_E_PARSE, err);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(sigs, i);
        json_t *keyid = json_object_get(s, "keyid");
        if (!json_is_object(s) || !json_is_string(json_object_get(s, "sig")) ||
            (keyid && !json_is_string(keyid)) || !only_members(s, sigm, 2, &bad)) {
            kt_fail(err, KT_E_PARSE, "signature %zu is not {\"keyid\": string, \"sig\": string}", i);
            return fail_reason(r, KT_PROV_ENVELOPE, KT_E_PARSE, err);
        }
    }
    e->payload_type = json_string_value(ptype);
    if (r) r->signatures = (unsigned)n;
    if (want_type && strcmp(e->payload_type, want_type) != 0) {
        if (r) r->reason = KT_PROV_PAYLOAD_TYPE;
        return kt_fail(err, KT_E_POLICY, "payload-type: payloadType is '%.100s', not %s", e->payload_type,
                       want_type);
    }
    if (kt_b64_decode(json_string_value(payload), json_string_length(payload), "payload", &e->payload,
                      &e->payload_len, err) != KT_OK)
        return fail_reason(r, KT_PROV_BASE64, KT_E_PARSE, err);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_object_get(json_array_get(sigs, i), "sig");
        char what[32];
        snprintf(what, sizeof what, "signature %zu", i);
        if (kt_b64_decode(json_string_value(s), json_string_length(s), what, &e->sig[i], &e->sig_len[i],
                          err) != KT_OK)
            return fail_reason(r, KT_PROV_BASE64, KT_E_PARSE, err);
        e->n_sigs = i + 1;
    }
    return KT_OK;
}

/* A P-256 key from PEM (public, or private when want_private), or NULL with err set. */
static EVP_PKEY *load_p256(const char *pem, int want_private, const char *what, kt_error *err) {
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = NULL;
    if (b) k = want_private ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!k) {
        kt_fail(err, KT_E_INVALID_ARG, "%s is not a PEM %s key", what, want_private ? "private" : "public");
        return NULL;
    }
    char group[64] = "";
    size_t glen = 0;
    if (!EVP_PKEY_is_a(k, "EC") ||
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1 ||
        strcmp(group, "prime256v1") != 0) {
        EVP_PKEY_free(k);
        kt_fail(err, KT_E_INVALID_ARG, "%s is not an ECDSA P-256 key", what);
        return NULL;
    }
    return k;
}

static int sig_verifies(EVP_PKEY *key, const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Count the policy keys with a valid signature over the PAE (each key and signature once). */
static kt_status count_signers(const envelope *e, EVP_PKEY **keys, size_t n_keys, unsigned *matched,
                               kt_error *err) {
    size_t len = 0;
    uint8_t *msg = kt_prov_pae(e->payload_type, e->payload, e->payload_len, &len);
    if (!msg) return kt_fail_oom(err);
    int used[KT_PROV_MAX_SIGNATURES] = {0};
    *matched = 0;
    for (size_t k = 0; k < n_keys; k++) {
        for (size_t s = 0; s < e->n_sigs; s++) {
            if (!used[s] && sig_verifies(keys[k], msg, len, e->sig[s], e->sig_len[s])) {
                used[s] = 1;
                (*matched)++;
                break;
            }
        }
    }
    free(msg);
    return KT_OK;
}

kt_status kt_prov_verify(const uint8_t *envelope_bytes, size_t envelope_len, const uint8_t *artifact,
                         size_t artifact_len, const kt_prov_policy *policy, kt_prov_result *result,
                         kt_error *err) {
    kt_prov_result scratch;
    if (!result) result = &scratch;
    memset(result, 0, sizeof *result);
    result->reason = KT_PROV_ENVELOPE;
    if (!envelope_bytes || (!artifact && artifact_len) || !policy || !policy->keys_pem)
        return kt_fail(err, KT_E_INVALID_ARG, "envelope, artifact and policy with keys are required");
    if (policy->n_keys == 0 || policy->n_keys > KT_PROV_MAX_KEYS)
        return kt_fail(err, KT_E_INVALID_ARG, "%zu keys given (need 1..%d)", policy->n_keys, KT_PROV_MAX_KEYS);
    unsigned threshold = policy->threshold ? policy->threshold : 1;
    if (threshold > policy->n_keys)
        return kt_fail(err, KT_E_INVALID_ARG, "threshold %u is more than the %zu keys given", threshold,
                       policy->n_keys);

    EVP_PKEY *keys[KT_PROV_MAX_KEYS] = {0};
    envelope e;
    memset(&e, 0, sizeof e);
    kt_status st = KT_OK;
    for (size_t i = 0; i < policy->n_keys && st == KT_OK; i++) {
        char what[32];
        snprintf(what, sizeof what, "key %zu", i + 1);
        keys[i] = load_p256(policy->keys_pem[i], 0, what, err);
        if (!keys[i]) st = KT_E_INVALID_ARG;
    }
    if (st != KT_OK) goto out;
    if ((st = envelope_parse(envelope_bytes, envelope_len, KT_PROV_PAYLOAD_TYPE_URI, &e, result, err)) != KT_OK)
        goto out;
    if ((st = count_signers(&e, keys, policy->n_keys, &result->keys_matched, err)) != KT_OK) goto out;
    if (result->keys_matched == 0) {
        result->reason = KT_PROV_SIGNATURE;
        st = kt_fail(err, KT_E_SIGNATURE, "signature: none of the %u signatures verifies with the %zu given keys",
                     result->signatures, policy->n_keys);
        goto out;
    }
    if (result->keys_matched < threshold) {
        result->reason = KT_PROV_THRESHOLD;
        st = kt_fail(err, KT_E_SIGNATURE, "threshold: %u of the given keys signed, %u required",
                     result->keys_matched, threshold);
        goto out;
    }
    kt_prov_digests file;
    if ((st = kt_prov_digest_file(artifact, artifact_len, &file, err)) != KT_OK) goto out;
    st = kt_prov_check_statement(e.payload, e.payload_len, &file, policy, result, err);
out:
    envelope_free(&e);
    for (size_t i = 0; i < KT_PROV_MAX_KEYS; i++) EVP_PKEY_free(keys[i]);
    return st;
}

/* SHA-256 hex of the key's SubjectPublicKeyInfo DER. */
static kt_status key_id(EVP_PKEY *key, char hex[65], kt_error *err) {
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    if (n <= 0) return kt_fail(err, KT_E_INTERNAL, "cannot encode the public key");
    uint8_t d[32];
    unsigned int dl = 0;
    int ok = EVP_Digest(der, (size_t)n, d, &dl, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (ok != 1) return kt_fail(err, KT_E_INTERNAL, "OpenSSL digest failed");
    kt_hex_encode(d, 32, hex);
    return KT_OK;
}

static kt_status sign_pae(EVP_PKEY *key, const char *type, const uint8_t *body, size_t body_len, char **sig_b64,
                          kt_error *err) {
    size_t len = 0;
    uint8_t *msg = kt_prov_pae(type, body, body_len, &len);
    if (!msg) return kt_fail_oom(err);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[128];
    size_t sig_len = sizeof sig;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    free(msg);
    if (!ok) return kt_fail(err, KT_E_INTERNAL, "ECDSA signing failed");
    *sig_b64 = kt_b64_encode(sig, sig_len);
    return *sig_b64 ? KT_OK : kt_fail_oom(err);
}

kt_status kt_prov_sign(const uint8_t *envelope_bytes, size_t envelope_len, const uint8_t *statement,
                       size_t statement_len, const char *key_pem, const char *keyid, const uint8_t *artifact,
                       size_t artifact_len, char **out, kt_error *err) {
    if (!out || !key_pem || (!envelope_bytes == !statement) || (!artifact && artifact_len))
        return kt_fail(err, KT_E_INVALID_ARG, "give a key and exactly one of envelope and statement");
    *out = NULL;
    envelope e;
    memset(&e, 0, sizeof e);
    char *sig = NULL, *payload_b64 = NULL;
    json_t *doc = NULL;
    kt_status st = KT_OK;
    EVP_PKEY *key = load_p256(key_pem, 1, "the signing key", err);
    if (!key) return KT_E_INVALID_ARG;
    const char *type = KT_PROV_PAYLOAD_TYPE_URI;
    const uint8_t *body = statement;
    size_t body_len = statement_len;
    if (envelope_bytes) {
        if ((st = envelope_parse(envelope_bytes, envelope_len, NULL, &e, NULL, err)) != KT_OK) goto out;
        if (e.n_sigs >= KT_PROV_MAX_SIGNATURES) {
            st = kt_fail(err, KT_E_TOO_LARGE, "the envelope already has %zu signatures", e.n_sigs);
            goto out;
        }
        type = e.payload_type;
        body = e.payload;
        body_len = e.payload_len;
    }
    if (artifact) {
        kt_prov_digests file;
        kt_prov_result r;
        memset(&r, 0, sizeof r);
        if ((st = kt_prov_digest_file(artifact, artifact_len, &file, err)) != KT_OK ||
            (st = kt_prov_check_statement(body, body_len, &file, NULL, &r, err)) != KT_OK)
            goto out;
    }
    char id_hex[65];
    if (!keyid) {
        if ((st = key_id(key, id_hex, err)) != KT_OK) goto out;
        keyid = id_hex;
    }
    if ((st = sign_pae(key, type, body, body_len, &sig, err)) != KT_OK) goto out;
    json_t *entry = json_pack("{s:s, s:s}", "keyid", keyid, "sig", sig);
    if (envelope_bytes) {
        doc = json_incref(e.json);
        if (!entry || json_array_append_new(json_object_get(doc, "signatures"), entry) != 0) {
            st = kt_fail_oom(err);
            goto out;
        }
    } else {
        payload_b64 = kt_b64_encode(statement, statement_len);
        doc = payload_b64 && entry ? json_pack("{s:s, s:s, s:[o]}", "payloadType", type, "payload",
                                               payload_b64, "signatures", entry)
                                   : (json_decref(entry), NULL);
        if (!doc) {
            st = kt_fail_oom(err);
            goto out;
        }
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n = text ? strlen(text) : 0;
    char *line = text ? malloc(n + 2) : NULL;
    if (!line) {
        free(text);
        st = kt_fail_oom(err);
        goto out;
    }
    memcpy(line, text, n);
    memcpy(line + n, "\n", 2);
    free(text);
    *out = line;
out:
    json_decref(doc);
    envelope_free(&e);
    free(sig);
    free(payload_b64);
    EVP_PKEY_free(key);
    return st;
}
