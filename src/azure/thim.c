/*
 * The Azure host's certificate cache (THIM), reached through the instance
 * metadata service from inside the VM: {"vcekCert": PEM, "certificateChain":
 * PEM (ASK then ARK), "tcbm": hex, "cacheControl": seconds}. The certificates
 * are only carried along; the verifier trusts nothing but its pinned roots.
 */
#include <string.h>

#include <jansson.h>

#include "azure/azure_internal.h"
#include "http/http.h"
#include "util/error.h"

#define THIM_MAX_BODY (64 * 1024)
#define PEM_MAX (32 * 1024)

static kt_status pem_member(json_t *root, const char *key, const char *url, uint8_t **out,
                            size_t *len, kt_error *err) {
    json_t *v = json_object_get(root, key);
    if (!json_is_string(v) || strncmp(json_string_value(v), "-----BEGIN CERTIFICATE-----", 27) != 0)
        return kt_fail(err, KT_E_PARSE, "THIM answer from %s: \"%s\" is not a PEM certificate",
                       url, key);
    *len = json_string_length(v);
    if (*len > PEM_MAX)
        return kt_fail(err, KT_E_TOO_LARGE, "THIM answer from %s: \"%s\" is too large", url, key);
    if (!(*out = malloc(*len)))
        return kt_fail_oom(err);
    memcpy(*out, json_string_value(v), *len);
    return KT_OK;
}

kt_status kt_azure_thim_fetch(const char *url, kt_azure_evidence *ev, kt_error *err) {
    static const char *const headers[] = {"Metadata: true", NULL};
    kt_http_request req = {.url = url, .headers = headers, .connect_timeout_ms = 2000,
                           .timeout_ms = 5000, .max_body = THIM_MAX_BODY};
    kt_http_response resp;
    memset(&resp, 0, sizeof resp);
    char shown[256];
    kt_http_redact_url(url, shown, sizeof shown);
    kt_status st = kt_http_perform(&req, &resp, err);
    if (st == KT_OK && resp.status != 200)
        st = kt_fail(err, KT_E_HTTP, "THIM at %s answered HTTP %ld", shown, resp.status);
    json_t *root = NULL;
    if (st == KT_OK) {
        json_error_t jerr;
        root = json_loadb((const char *)resp.body.data, resp.body.len, JSON_REJECT_DUPLICATES,
                          &jerr);
        if (!json_is_object(root))
            st = kt_fail(err, KT_E_PARSE, "THIM answer from %s is not a JSON object", shown);
    }
    uint8_t *vcek = NULL, *chain = NULL;
    size_t vcek_len = 0, chain_len = 0;
    if (st == KT_OK)
        st = pem_member(root, "vcekCert", shown, &vcek, &vcek_len, err);
    if (st == KT_OK)
        st = pem_member(root, "certificateChain", shown, &chain, &chain_len, err);
    if (st == KT_OK && ev->cert_count + 2 > KT_AZURE_MAX_CERTS)
        st = kt_fail(err, KT_E_TOO_LARGE, "Azure evidence: no room for the THIM certificates");
    if (st == KT_OK) {
        ev->certs[ev->cert_count] = vcek;
        ev->cert_lens[ev->cert_count++] = vcek_len;
        ev->certs[ev->cert_count] = chain;
        ev->cert_lens[ev->cert_count++] = chain_len;
        vcek = chain = NULL;
    }
    free(vcek);
    free(chain);
    json_decref(root);
    kt_http_response_free(&resp);
    return st;
}
