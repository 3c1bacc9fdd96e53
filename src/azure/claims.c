/*
 * The runtime-claims JSON of an HCL report. The bytes are hashed as stored
 * (binding); here they are read for the attestation key and the user data.
 * Duplicate keys are refused at every level, so no two readers of the same
 * bytes can see different values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "util/error.h"

#define CLAIMS_MAX (64 * 1024)

static kt_status jwk_b64(json_t *jwk, const char *key, uint8_t *out, size_t cap, size_t *len,
                         kt_error *err) {
    json_t *v = json_object_get(jwk, key);
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "claims: HCLAkPub \"%s\" is not a string", key);
    char what[40];
    snprintf(what, sizeof what, "claims: HCLAkPub \"%s\"", key);
    uint8_t *raw = NULL;
    size_t n = 0;
    kt_status st = kt_azure_b64_decode(json_string_value(v), json_string_length(v), cap + 1,
                                       what, &raw, &n, err);
    if (st != KT_OK)
        return st;
    size_t skip = 0;
    while (skip < n && raw[skip] == 0)
        skip++;
    if (n - skip == 0 || n - skip > cap) {
        free(raw);
        return kt_fail(err, KT_E_UNSUPPORTED, "%s: %zu significant bytes (1..%zu allowed)", what,
                       n - skip, cap);
    }
    memcpy(out, raw + skip, n - skip);
    *len = n - skip;
    free(raw);
    return KT_OK;
}

static kt_status read_ak(json_t *keys, kt_azure_claims *out, kt_error *err) {
    if (!json_is_array(keys))
        return kt_fail(err, KT_E_PARSE, "claims: \"keys\" is not an array");
    out->key_count = json_array_size(keys);
    json_t *ak = NULL;
    for (size_t i = 0; i < out->key_count; i++) {
        json_t *k = json_array_get(keys, i);
        if (!json_is_object(k))
            return kt_fail(err, KT_E_PARSE, "claims: keys[%zu] is not an object", i);
        json_t *kid = json_object_get(k, "kid");
        if (!json_is_string(kid))
            return kt_fail(err, KT_E_PARSE, "claims: keys[%zu] has no string \"kid\"", i);
        if (strcmp(json_string_value(kid), "HCLAkPub") != 0)
            continue;
        if (ak)
            return kt_fail(err, KT_E_PARSE, "claims: two keys with kid \"HCLAkPub\"");
        ak = k;
    }
    if (!ak)
        return kt_fail(err, KT_E_NOT_FOUND, "claims: no key with kid \"HCLAkPub\"");
    json_t *kty = json_object_get(ak, "kty");
    if (!json_is_string(kty) || strcmp(json_string_value(kty), "RSA") != 0)
        return kt_fail(err, KT_E_UNSUPPORTED, "claims: HCLAkPub \"kty\" is not \"RSA\"");
    kt_status st = jwk_b64(ak, "n", out->ak_n, sizeof out->ak_n, &out->ak_n_len, err);
    if (st == KT_OK)
        st = jwk_b64(ak, "e", out->ak_e, sizeof out->ak_e, &out->ak_e_len, err);
    if (st != KT_OK)
        return st;
    if (out->ak_n_len < 256)
        return kt_fail(err, KT_E_UNSUPPORTED, "claims: HCLAkPub modulus is %zu bits, below 2048",
                       out->ak_n_len * 8);
    return KT_OK;
}

static void read_user_data(json_t *v, kt_azure_claims *out) {
    if (!v) {
        out->user_data_state = KT_USER_DATA_ABSENT;
        return;
    }
    out->user_data_state = KT_USER_DATA_MALFORMED;
    if (!json_is_string(v)) {
        snprintf(out->user_data_error, sizeof out->user_data_error, "\"user-data\" is not a string");
        return;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n != 128 || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        snprintf(out->user_data_error, sizeof out->user_data_error,
                 "\"user-data\" is %zu characters, not 128 hex digits", n);
        return;
    }
    kt_error e = {0};
    if (kt_hex_decode_exact(s, n, out->user_data, 64, "\"user-data\"", &e) != KT_OK) {
        snprintf(out->user_data_error, sizeof out->user_data_error, "%.120s", e.message);
        return;
    }
    out->user_data_state = KT_USER_DATA_OK;
}

static int flag(json_t *cfg, const char *key) {
    json_t *v = json_object_get(cfg, key);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

kt_status kt_azure_claims_parse(const uint8_t *bytes, size_t len, kt_azure_claims *out,
                                kt_error *err) {
    if (!out || (!bytes && len))
        return kt_fail(err, KT_E_INVALID_ARG, "claims: missing argument");
    memset(out, 0, sizeof *out);
    out->secure_boot = out->tpm_enabled = out->console_enabled = -1;
    if (len > CLAIMS_MAX)
        return kt_fail(err, KT_E_TOO_LARGE, "claims are %zu bytes, more than %d", len, CLAIMS_MAX);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kt_fail(err, KT_E_PARSE, "claims JSON: %s (line %d, column %d)", jerr.text,
                       jerr.line, jerr.column);
    kt_status st = KT_OK;
    if (!json_is_object(root)) {
        st = kt_fail(err, KT_E_PARSE, "claims JSON is not an object");
        goto done;
    }
    if ((st = read_ak(json_object_get(root, "keys"), out, err)) != KT_OK)
        goto done;
    read_user_data(json_object_get(root, "user-data"), out);
    json_t *cfg = json_object_get(root, "vm-configuration");
    if (cfg && !json_is_object(cfg)) {
        st = kt_fail(err, KT_E_PARSE, "claims: \"vm-configuration\" is not an object");
        goto done;
    }
    if (cfg) {
        json_t *id = json_object_get(cfg, "vmUniqueId");
        if (json_is_string(id))
            snprintf(out->vm_unique_id, sizeof out->vm_unique_id, "%s", json_string_value(id));
        out->secure_boot = flag(cfg, "secure-boot");
        out->tpm_enabled = flag(cfg, "tpm-enabled");
        out->console_enabled = flag(cfg, "console-enabled");
    }
done:
    json_decref(root);
    return st;
}

EVP_PKEY *kt_azure_claims_ak_key(const kt_azure_claims *claims, kt_error *err) {
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = BN_bin2bn(claims->ak_n, (int)claims->ak_n_len, NULL);
    BIGNUM *e = BN_bin2bn(claims->ak_e, (int)claims->ak_e_len, NULL);
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    if (!bld || !n || !e || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) ||
        !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        key = NULL;
        kt_fail(err, KT_E_PARSE, "claims: HCLAkPub is not a usable RSA public key");
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    ERR_clear_error();
    return key;
}
