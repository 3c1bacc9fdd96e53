/*
 * Azure evidence on the wire, in the layouts real tools publish (trustee v1
 * and its older list form, cartridge's SDK) and in this project's own JSON.
 * Only the envelope is decoded here; the HCL report, the claims and the
 * quote are parsed by the verifier so each failure lands on a named check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "util/error.h"

#define CERT_MAX (16 * 1024)
#define QUOTE_PART_MAX 1024
#define CLAIMS_MAX (64 * 1024)

const char *kt_azure_layout_name(kt_azure_layout layout) {
    switch (layout) {
    case KT_AZURE_LAYOUT_KATANA: return "katana";
    case KT_AZURE_LAYOUT_TRUSTEE_V1: return "trustee-v1";
    case KT_AZURE_LAYOUT_TRUSTEE_LIST: return "trustee-list";
    case KT_AZURE_LAYOUT_CARTRIDGE: return "cartridge";
    case KT_AZURE_LAYOUT_HCL: return "hcl";
    }
    return "unknown";
}

static kt_azure_layout layout_of(json_t *root) {
    if (!json_is_object(root))
        return 0;
    json_t *format = json_object_get(root, "format");
    if (json_is_string(format) && strcmp(json_string_value(format), KT_AZURE_EVIDENCE_FORMAT) == 0)
        return KT_AZURE_LAYOUT_KATANA;
    if (json_object_get(root, "hcl_report"))
        return KT_AZURE_LAYOUT_TRUSTEE_V1;
    if (json_is_array(json_object_get(root, "report")) && json_is_object(json_object_get(root, "quote")))
        return KT_AZURE_LAYOUT_TRUSTEE_LIST;
    if (json_object_get(root, "ak_pub") && json_is_string(json_object_get(root, "report")))
        return KT_AZURE_LAYOUT_CARTRIDGE;
    return 0;
}

static bool is_hcl(const uint8_t *b, size_t n) {
    return n >= 4 && memcmp(b, "HCLA", 4) == 0;
}

static const uint8_t *json_start(const uint8_t *b, size_t n, size_t *rest) {
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    *rest = n - i;
    return i < n && b[i] == '{' ? b + i : NULL;
}

bool kt_azure_evidence_detect(const uint8_t *bytes, size_t len) {
    if (!bytes || len == 0 || len > KT_QUOTE_MAX_SIZE)
        return false;
    if (is_hcl(bytes, len))
        return true;
    size_t n;
    const uint8_t *text = json_start(bytes, len, &n);
    if (!text)
        return false;
    json_t *root = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, NULL);
    bool yes = layout_of(root) != 0;
    json_decref(root);
    return yes;
}

/* ---- field readers ----------------------------------------------------------- */

static kt_status need(json_t *obj, const char *key, const char *where, json_t **out,
                      kt_error *err) {
    *out = json_object_get(obj, key);
    if (!*out)
        return kt_fail(err, KT_E_PARSE, "Azure evidence (%s): no \"%s\"", where, key);
    return KT_OK;
}

static kt_status hex_field(json_t *v, const char *what, size_t cap, uint8_t **out, size_t *len,
                           kt_error *err) {
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "Azure evidence: %s is not a string", what);
    size_t n = json_string_length(v);
    if (n / 2 > cap + 1)
        return kt_fail(err, KT_E_TOO_LARGE, "Azure evidence: %s is more than %zu bytes", what,
                       cap);
    uint8_t *buf = malloc(n / 2 + 1);
    if (!buf)
        return kt_fail_oom(err);
    kt_status st = kt_hex_decode(json_string_value(v), n, buf, cap, len, what, err);
    if (st == KT_OK && *len == 0)
        st = kt_fail(err, KT_E_LENGTH, "Azure evidence: %s is empty", what);
    if (st != KT_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return KT_OK;
}

static kt_status b64_field(json_t *v, const char *what, size_t cap, uint8_t **out, size_t *len,
                           kt_error *err) {
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "Azure evidence: %s is not a string", what);
    return kt_azure_b64_decode(json_string_value(v), json_string_length(v), cap, what, out, len,
                               err);
}

/* A JSON array of integers 0..255 (trustee's older serde form of Vec<u8>). */
static kt_status list_field(json_t *v, const char *what, size_t cap, uint8_t **out, size_t *len,
                            kt_error *err) {
    if (!json_is_array(v) || json_array_size(v) == 0)
        return kt_fail(err, KT_E_PARSE, "Azure evidence: %s is not a non-empty byte list", what);
    size_t n = json_array_size(v);
    if (n > cap)
        return kt_fail(err, KT_E_TOO_LARGE, "Azure evidence: %s is more than %zu bytes", what,
                       cap);
    uint8_t *buf = malloc(n);
    if (!buf)
        return kt_fail_oom(err);
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(v, i);
        if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 255) {
            free(buf);
            return kt_fail(err, KT_E_PARSE, "Azure evidence: %s[%zu] is not a byte", what, i);
        }
        buf[i] = (uint8_t)json_integer_value(b);
    }
    *out = buf;
    *len = n;
    return KT_OK;
}

typedef kt_status (*bytes_reader)(json_t *, const char *, size_t, uint8_t **, size_t *,
                                  kt_error *);

static kt_status set_pcr(kt_azure_evidence *ev, long long index, const uint8_t *value,
                         size_t len, kt_error *err) {
    if (index < 0 || index >= KT_TPM_PCR_COUNT)
        return kt_fail(err, KT_E_PARSE, "Azure evidence: PCR index %lld is not 0..23", index);
    if (len != 32)
        return kt_fail(err, KT_E_LENGTH, "Azure evidence: PCR %lld value is %zu bytes, not 32",
                       index, len);
    if (ev->pcr_mask & (1u << index))
        return kt_fail(err, KT_E_PARSE, "Azure evidence: PCR %lld given twice", index);
    ev->pcr_mask |= 1u << index;
    memcpy(ev->pcrs[index], value, 32);
    return KT_OK;
}

/* A list of 24 PCR values in index order (trustee). */
static kt_status pcr_list(json_t *v, bytes_reader read, kt_azure_evidence *ev, kt_error *err) {
    if (!json_is_array(v) || json_array_size(v) > KT_TPM_PCR_COUNT)
        return kt_fail(err, KT_E_PARSE, "Azure evidence: \"pcrs\" is not a list of ≤ 24 values");
    for (size_t i = 0; i < json_array_size(v); i++) {
        uint8_t *value = NULL;
        size_t len = 0;
        char what[32];
        snprintf(what, sizeof what, "pcrs[%zu]", i);
        kt_status st = read(json_array_get(v, i), what, 32, &value, &len, err);
        if (st == KT_OK)
            st = set_pcr(ev, (long long)i, value, len, err);
        free(value);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

/* A list of {index, <value key>} objects (ours: "value", integer index;
 * cartridge: "pcr", "0x.." index). */
static kt_status pcr_objects(json_t *v, const char *value_key, kt_azure_evidence *ev,
                             kt_error *err) {
    if (!json_is_array(v) || json_array_size(v) > KT_TPM_PCR_COUNT)
        return kt_fail(err, KT_E_PARSE, "Azure evidence: PCR list is not a list of ≤ 24 entries");
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        json_t *idx = json_object_get(e, "index");
        long long index = -1;
        if (json_is_integer(idx)) {
            index = json_integer_value(idx);
        } else if (json_is_string(idx)) {
            uint8_t b[1];
            size_t bl = 0;
            const char *s = json_string_value(idx);
            char padded[8];
            /* "0x0".."0x17": pad to an even digit count for the hex codec */
            size_t sl = json_string_length(idx);
            if (sl >= 3 && sl <= 4 && s[0] == '0' && s[1] == 'x') {
                snprintf(padded, sizeof padded, "%s%s", sl == 3 ? "0" : "", s + 2);
                if (kt_hex_decode(padded, strlen(padded), b, 1, &bl, "PCR index", NULL) == KT_OK &&
                    bl == 1)
                    index = b[0];
            }
        }
        if (index < 0)
            return kt_fail(err, KT_E_PARSE, "Azure evidence: PCR entry %zu has no usable index", i);
        uint8_t *value = NULL;
        size_t len = 0;
        kt_status st = hex_field(json_object_get(e, value_key), "PCR value", 32, &value, &len, err);
        if (st == KT_OK)
            st = set_pcr(ev, index, value, len, err);
        free(value);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

static kt_status add_cert(kt_azure_evidence *ev, uint8_t *der, size_t len, kt_error *err) {
    if (ev->cert_count == KT_AZURE_MAX_CERTS) {
        free(der);
        return kt_fail(err, KT_E_TOO_LARGE, "Azure evidence: more than %d certificates",
                       KT_AZURE_MAX_CERTS);
    }
    ev->certs[ev->cert_count] = der;
    ev->cert_lens[ev->cert_count++] = len;
    return KT_OK;
}

/* ---- layouts ---------------------------------------------------------------------- */

static kt_status decode_katana(json_t *root, kt_azure_evidence *ev, kt_error *err) {
    json_t *version = json_object_get(root, "version"), *v;
    if (!json_is_integer(version) || json_integer_value(version) != KT_AZURE_EVIDENCE_VERSION)
        return kt_fail(err, KT_E_UNSUPPORTED, "Azure evidence: version is not %d",
                       KT_AZURE_EVIDENCE_VERSION);
    kt_status st = need(root, "hcl_report", "katana", &v, err);
    if (st == KT_OK)
        st = hex_field(v, "hcl_report", KT_HCL_MAX_SIZE, &ev->hcl, &ev->hcl_len, err);
    json_t *quote = json_object_get(root, "tpm_quote");
    if (st == KT_OK && quote) {
        if (!json_is_object(quote))
            return kt_fail(err, KT_E_PARSE, "Azure evidence: \"tpm_quote\" is not an object");
        if ((st = need(quote, "message", "tpm_quote", &v, err)) == KT_OK)
            st = hex_field(v, "tpm_quote.message", QUOTE_PART_MAX, &ev->quote_msg,
                           &ev->quote_msg_len, err);
        if (st == KT_OK && (st = need(quote, "signature", "tpm_quote", &v, err)) == KT_OK)
            st = hex_field(v, "tpm_quote.signature", QUOTE_PART_MAX, &ev->quote_sig,
                           &ev->quote_sig_len, err);
        if (st == KT_OK && (st = need(quote, "pcrs", "tpm_quote", &v, err)) == KT_OK)
            st = pcr_objects(v, "value", ev, err);
    }
    json_t *certs = json_object_get(root, "certs");
    if (st == KT_OK && certs) {
        if (!json_is_array(certs))
            return kt_fail(err, KT_E_PARSE, "Azure evidence: \"certs\" is not a list");
        for (size_t i = 0; st == KT_OK && i < json_array_size(certs); i++) {
            uint8_t *der = NULL;
            size_t len = 0;
            st = hex_field(json_array_get(certs, i), "certs[]", CERT_MAX, &der, &len, err);
            if (st == KT_OK)
                st = add_cert(ev, der, len, err);
        }
    }
    return st;
}

static kt_status decode_trustee(json_t *root, bool list_form, kt_azure_evidence *ev,
                                kt_error *err) {
    bytes_reader bytes = list_form ? list_field : hex_field;
    json_t *v, *quote;
    kt_status st;
    if (list_form) {
        st = need(root, "report", "trustee", &v, err);
        if (st == KT_OK)
            st = list_field(v, "report", KT_HCL_MAX_SIZE, &ev->hcl, &ev->hcl_len, err);
    } else {
        json_t *version = json_object_get(root, "version");
        if (version && (!json_is_integer(version) || json_integer_value(version) < 1 ||
                        json_integer_value(version) > 2))
            return kt_fail(err, KT_E_UNSUPPORTED, "Azure evidence: trustee version is not 1 or 2");
        st = need(root, "hcl_report", "trustee", &v, err);
        if (st == KT_OK)
            st = b64_field(v, "hcl_report", KT_HCL_MAX_SIZE, &ev->hcl, &ev->hcl_len, err);
    }
    if (st == KT_OK)
        st = need(root, list_form ? "quote" : "tpm_quote", "trustee", &quote, err);
    if (st == KT_OK && !json_is_object(quote))
        st = kt_fail(err, KT_E_PARSE, "Azure evidence: the quote is not an object");
    if (st == KT_OK && (st = need(quote, "message", "trustee quote", &v, err)) == KT_OK)
        st = bytes(v, "quote message", QUOTE_PART_MAX, &ev->quote_msg, &ev->quote_msg_len, err);
    if (st == KT_OK && (st = need(quote, "signature", "trustee quote", &v, err)) == KT_OK)
        st = bytes(v, "quote signature", QUOTE_PART_MAX, &ev->quote_sig, &ev->quote_sig_len, err);
    ev->quote_sig_raw = true; /* trustee stores the bare RSA signature */
    if (st == KT_OK && (st = need(quote, "pcrs", "trustee quote", &v, err)) == KT_OK)
        st = pcr_list(v, bytes, ev, err);
    json_t *vcek = json_object_get(root, "vcek");
    if (st == KT_OK && vcek) {
        uint8_t *der = NULL;
        size_t len = 0;
        if (!json_is_string(vcek))
            return kt_fail(err, KT_E_PARSE, "Azure evidence: \"vcek\" is not a string");
        if (strncmp(json_string_value(vcek), "-----BEGIN", 10) == 0) { /* PEM, kept as text */
            len = json_string_length(vcek);
            if (len > CERT_MAX)
                return kt_fail(err, KT_E_TOO_LARGE, "Azure evidence: \"vcek\" is too large");
            der = malloc(len);
            if (!der)
                return kt_fail_oom(err);
            memcpy(der, json_string_value(vcek), len);
        } else if ((st = b64_field(vcek, "vcek", CERT_MAX, &der, &len, err)) != KT_OK) {
            return st;
        }
        st = add_cert(ev, der, len, err);
    }
    return st;
}

static kt_status decode_cartridge(json_t *root, kt_azure_evidence *ev, kt_error *err) {
    json_t *v;
    kt_status st = need(root, "report", "cartridge", &v, err);
    if (st == KT_OK)
        st = hex_field(v, "report", 4096, &ev->report, &ev->report_len, err);
    if (st == KT_OK && (st = need(root, "ak_pub", "cartridge", &v, err)) == KT_OK)
        st = hex_field(v, "ak_pub", CLAIMS_MAX, &ev->claims, &ev->claims_len, err);
    if (st == KT_OK && (st = need(root, "tpm_quote", "cartridge", &v, err)) == KT_OK)
        st = hex_field(v, "tpm_quote", QUOTE_PART_MAX, &ev->quote_msg, &ev->quote_msg_len, err);
    if (st == KT_OK && (st = need(root, "tpm_signature", "cartridge", &v, err)) == KT_OK)
        st = hex_field(v, "tpm_signature", QUOTE_PART_MAX, &ev->quote_sig, &ev->quote_sig_len,
                       err);
    if (st == KT_OK && (st = need(root, "tpm_pcrs", "cartridge", &v, err)) == KT_OK)
        st = pcr_objects(v, "pcr", ev, err);
    json_t *certs = json_object_get(root, "vek_certs");
    if (st == KT_OK && certs) {
        if (!json_is_array(certs))
            return kt_fail(err, KT_E_PARSE, "Azure evidence: \"vek_certs\" is not a list");
        for (size_t i = 0; st == KT_OK && i < json_array_size(certs); i++) {
            uint8_t *der = NULL;
            size_t len = 0;
            st = hex_field(json_array_get(certs, i), "vek_certs[]", CERT_MAX, &der, &len, err);
            if (st == KT_OK)
                st = add_cert(ev, der, len, err);
        }
    }
    return st;
}

kt_status kt_azure_evidence_decode(const uint8_t *bytes, size_t len, kt_azure_evidence **out,
                                   kt_error *err) {
    if (!out || !bytes)
        return kt_fail(err, KT_E_INVALID_ARG, "Azure evidence: missing argument");
    *out = NULL;
    if (len > KT_QUOTE_MAX_SIZE)
        return kt_fail(err, KT_E_TOO_LARGE, "Azure evidence is %zu bytes, more than %d", len,
                       KT_QUOTE_MAX_SIZE);
    kt_azure_evidence *ev = calloc(1, sizeof *ev);
    if (!ev)
        return kt_fail_oom(err);
    kt_status st;
    if (is_hcl(bytes, len)) {
        ev->layout = KT_AZURE_LAYOUT_HCL;
        if (len > KT_HCL_MAX_SIZE) {
            st = kt_fail(err, KT_E_TOO_LARGE, "HCL report is %zu bytes, more than %d", len,
                         KT_HCL_MAX_SIZE);
        } else if (!(ev->hcl = malloc(len))) {
            st = kt_fail_oom(err);
        } else {
            memcpy(ev->hcl, bytes, len);
            ev->hcl_len = len;
            st = KT_OK;
        }
    } else {
        size_t n;
        const uint8_t *text = json_start(bytes, len, &n);
        json_error_t jerr;
        json_t *root = text ? json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, &jerr)
                            : NULL;
        ev->layout = layout_of(root);
        if (!text)
            st = kt_fail(err, KT_E_PARSE, "Azure evidence is neither an HCL report nor JSON");
        else if (!root)
            st = kt_fail(err, KT_E_PARSE, "Azure evidence JSON: %s (line %d, column %d)",
                         jerr.text, jerr.line, jerr.column);
        else if (ev->layout == KT_AZURE_LAYOUT_KATANA)
            st = decode_katana(root, ev, err);
        else if (ev->layout == KT_AZURE_LAYOUT_TRUSTEE_V1)
            st = decode_trustee(root, false, ev, err);
        else if (ev->layout == KT_AZURE_LAYOUT_TRUSTEE_LIST)
            st = decode_trustee(root, true, ev, err);
        else if (ev->layout == KT_AZURE_LAYOUT_CARTRIDGE)
            st = decode_cartridge(root, ev, err);
        else
            st = kt_fail(err, KT_E_PARSE, "JSON is not Azure evidence in a known layout");
        json_decref(root);
    }
    if (st == KT_OK && ev->quote_msg && !ev->pcr_mask)
        st = kt_fail(err, KT_E_PARSE, "Azure evidence: a TPM quote without PCR values");
    if (st != KT_OK) {
        kt_azure_evidence_free(&ev);
        return st;
    }
    *out = ev;
    return KT_OK;
}

/* ---- encode, copy, free ---------------------------------------------------------- */

json_t *kt_azure_hex_json(const uint8_t *p, size_t n) {
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    kt_hex_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}


kt_status kt_azure_evidence_encode(const kt_azure_evidence *ev, uint8_t **out, size_t *out_len,
                                   kt_error *err) {
    if (!ev || !out || !out_len)
        return kt_fail(err, KT_E_INVALID_ARG, "Azure evidence encode: missing argument");
    *out = NULL;
    if (!ev->hcl)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "Azure evidence without an HCL report cannot be encoded");
    if (ev->quote_msg && ev->quote_sig_raw)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "Azure evidence with a raw quote signature cannot be encoded");
    json_t *root = json_object();
    bool ok = root && json_object_set_new(root, "format", json_string(KT_AZURE_EVIDENCE_FORMAT)) == 0 &&
              json_object_set_new(root, "version", json_integer(KT_AZURE_EVIDENCE_VERSION)) == 0 &&
              json_object_set_new(root, "hcl_report", kt_azure_hex_json(ev->hcl, ev->hcl_len)) == 0;
    if (ok && ev->quote_msg) {
        json_t *pcrs = json_array();
        for (int i = 0; ok && pcrs && i < KT_TPM_PCR_COUNT; i++)
            if (ev->pcr_mask & (1u << i))
                ok = json_array_append_new(pcrs, json_pack("{s:i, s:o}", "index", i, "value",
                                                           kt_azure_hex_json(ev->pcrs[i], 32))) == 0;
        json_t *quote = json_pack("{s:o, s:o, s:o}", "message",
                                  kt_azure_hex_json(ev->quote_msg, ev->quote_msg_len), "signature",
                                  kt_azure_hex_json(ev->quote_sig, ev->quote_sig_len), "pcrs", pcrs);
        ok = ok && quote && json_object_set_new(root, "tpm_quote", quote) == 0;
    }
    if (ok && ev->cert_count) {
        json_t *certs = json_array();
        for (size_t i = 0; ok && certs && i < ev->cert_count; i++)
            ok = json_array_append_new(certs, kt_azure_hex_json(ev->certs[i], ev->cert_lens[i])) == 0;
        ok = ok && certs && json_object_set_new(root, "certs", certs) == 0;
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text)
        return kt_fail_oom(err);
    *out_len = strlen(text);
    *out = (uint8_t *)text;
    return KT_OK;
}

static bool dup(uint8_t **dst, const uint8_t *src, size_t n) {
    if (!src) {
        *dst = NULL;
        return true;
    }
    *dst = malloc(n ? n : 1);
    if (*dst)
        memcpy(*dst, src, n);
    return *dst != NULL;
}

kt_status kt_azure_evidence_copy(const kt_azure_evidence *ev, kt_azure_evidence **out,
                                 kt_error *err) {
    *out = NULL;
    kt_azure_evidence *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail_oom(err);
    *c = *ev;
    c->hcl = c->report = c->claims = c->quote_msg = c->quote_sig = NULL;
    memset(c->certs, 0, sizeof c->certs);
    bool ok = dup(&c->hcl, ev->hcl, ev->hcl_len) && dup(&c->report, ev->report, ev->report_len) &&
              dup(&c->claims, ev->claims, ev->claims_len) &&
              dup(&c->quote_msg, ev->quote_msg, ev->quote_msg_len) &&
              dup(&c->quote_sig, ev->quote_sig, ev->quote_sig_len);
    for (size_t i = 0; ok && i < ev->cert_count; i++)
        ok = dup(&c->certs[i], ev->certs[i], ev->cert_lens[i]);
    if (!ok) {
        kt_azure_evidence_free(&c);
        return kt_fail_oom(err);
    }
    *out = c;
    return KT_OK;
}

void kt_azure_evidence_free(kt_azure_evidence **ev) {
    if (!ev || !*ev)
        return;
    kt_azure_evidence *e = *ev;
    free(e->hcl);
    free(e->report);
    free(e->claims);
    free(e->quote_msg);
    free(e->quote_sig);
    for (size_t i = 0; i < KT_AZURE_MAX_CERTS; i++)
        free(e->certs[i]);
    free(e);
    *ev = NULL;
}

kt_status kt_azure_evidence_parts(const kt_azure_evidence *ev, kt_hcl_report *hcl,
                                  const uint8_t **snp_report, const uint8_t **claims,
                                  size_t *claims_len, kt_error *err) {
    memset(hcl, 0, sizeof *hcl);
    if (ev->hcl) {
        kt_status st = kt_hcl_parse(ev->hcl, ev->hcl_len, hcl, err);
        if (st != KT_OK)
            return st;
        *snp_report = hcl->snp_report;
        *claims = hcl->claims;
        *claims_len = hcl->claims_len;
        return KT_OK;
    }
    if (ev->report_len != KT_HCL_HW_REPORT_SIZE)
        return kt_fail(err, KT_E_LENGTH, "Azure evidence: the SNP report is %zu bytes, not %d",
                       ev->report_len, KT_HCL_HW_REPORT_SIZE);
    if (!ev->claims)
        return kt_fail(err, KT_E_PARSE, "Azure evidence: no runtime claims");
    hcl->hash_type = KT_HCL_HASH_SHA256;
    hcl->report_type = KT_HCL_REPORT_TYPE_SNP;
    *snp_report = ev->report;
    *claims = ev->claims;
    *claims_len = ev->claims_len;
    return KT_OK;
}
