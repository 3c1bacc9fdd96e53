/* What Azure evidence holds, for `katana-tee show` (text or JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "util/error.h"


static json_t *hcl_json(const kt_azure_evidence *ev, const kt_hcl_report *h, kt_status st,
                        const kt_error *e) {
    if (!ev->hcl)
        return json_null();
    if (st != KT_OK)
        return json_pack("{s:s}", "error", e->message);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "size", (json_int_t)ev->hcl_len,
                     "header_version", (json_int_t)h->header_version, "report_size",
                     (json_int_t)h->report_size, "request_type", (json_int_t)h->request_type,
                     "status", (json_int_t)h->status, "data_size", (json_int_t)h->data_size,
                     "report_type", (json_int_t)h->report_type, "hash_type",
                     (json_int_t)h->hash_type, "claims_size", (json_int_t)h->claims_len);
}

static json_t *claims_json(const uint8_t *bytes, size_t len) {
    kt_azure_claims c;
    kt_error e = {0};
    json_t *o = json_object();
    json_t *raw = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, NULL);
    json_object_set_new(o, "json", raw ? raw : json_null());
    if (kt_azure_claims_parse(bytes, len, &c, &e) != KT_OK) {
        json_object_set_new(o, "error", json_string(e.message));
        return o;
    }
    json_object_set_new(o, "ak_bits", json_integer((json_int_t)c.ak_n_len * 8));
    json_object_set_new(o, "user_data", c.user_data_state == KT_USER_DATA_OK
                                            ? kt_azure_hex_json(c.user_data, 64)
                                            : c.user_data_state == KT_USER_DATA_ABSENT
                                                  ? json_null()
                                                  : json_string(c.user_data_error));
    return o;
}

static json_t *quote_json(const kt_azure_evidence *ev) {
    if (!ev->quote_msg)
        return json_null();
    kt_tpm_quote_info q;
    kt_error e = {0};
    json_t *o;
    if (kt_tpm_quote_parse(ev->quote_msg, ev->quote_msg_len, &q, &e) != KT_OK) {
        o = json_pack("{s:s}", "error", e.message);
    } else {
        o = json_pack("{s:I, s:I, s:o, s:I, s:I, s:o}", "magic", (json_int_t)q.magic, "type",
                      (json_int_t)q.type, "nonce", kt_azure_hex_json(q.extra_data, q.extra_data_len),
                      "pcr_bank", (json_int_t)q.pcr_hash, "pcr_select", (json_int_t)q.pcr_select,
                      "pcr_digest", kt_azure_hex_json(q.pcr_digest, q.pcr_digest_len));
    }
    json_t *pcrs = json_object();
    for (int i = 0; i < KT_TPM_PCR_COUNT; i++)
        if (ev->pcr_mask & (1u << i)) {
            char k[4];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(pcrs, k, kt_azure_hex_json(ev->pcrs[i], 32));
        }
    json_object_set_new(o, "signature_size", json_integer((json_int_t)ev->quote_sig_len));
    json_object_set_new(o, "pcrs", pcrs);
    return o;
}

static json_t *describe_json(const kt_azure_evidence *ev) {
    kt_hcl_report h;
    const uint8_t *snp = NULL, *claims = NULL;
    size_t claims_len = 0;
    kt_error e = {0};
    kt_status st = kt_azure_evidence_parts(ev, &h, &snp, &claims, &claims_len, &e);
    json_t *o = json_object();
    json_object_set_new(o, "layout", json_string(kt_azure_layout_name(ev->layout)));
    json_object_set_new(o, "hcl", hcl_json(ev, &h, st, &e));
    json_object_set_new(o, "claims", st == KT_OK ? claims_json(claims, claims_len) : json_null());
    json_object_set_new(o, "tpm_quote", quote_json(ev));
    json_object_set_new(o, "certificates", json_integer((json_int_t)ev->cert_count));
    if (st != KT_OK)
        json_object_set_new(o, "error", json_string(e.message));
    return o;
}

/* Text: the same facts, one per line. */
static char *describe_text(json_t *o) {
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
#define LINE(...) (n += (size_t)snprintf(s + n, n < cap ? cap - n : 0, __VA_ARGS__))
    LINE("Azure evidence (%s layout)\n", json_string_value(json_object_get(o, "layout")));
    json_t *h = json_object_get(o, "hcl");
    if (json_object_get(h, "error"))
        LINE("  HCL report: %s\n", json_string_value(json_object_get(h, "error")));
    else if (json_is_object(h))
        LINE("  HCL report           %lld bytes, header version %lld, report_size %lld, "
             "request_type %lld, status %lld\n"
             "  %-20s report_type %lld (SNP), hash_type %lld, data_size %lld, claims_size %lld\n",
             json_integer_value(json_object_get(h, "size")),
             json_integer_value(json_object_get(h, "header_version")),
             json_integer_value(json_object_get(h, "report_size")),
             json_integer_value(json_object_get(h, "request_type")),
             json_integer_value(json_object_get(h, "status")), "",
             json_integer_value(json_object_get(h, "report_type")),
             json_integer_value(json_object_get(h, "hash_type")),
             json_integer_value(json_object_get(h, "data_size")),
             json_integer_value(json_object_get(h, "claims_size")));
    else
        LINE("  HCL report           none (SNP report and claims carried separately)\n");
    json_t *c = json_object_get(o, "claims");
    if (json_is_object(c)) {
        char *claims = json_dumps(json_object_get(c, "json"), JSON_PRESERVE_ORDER | JSON_INDENT(2));
        LINE("  claims\n%s\n", claims ? claims : "(not JSON)");
        free(claims);
        if (json_object_get(c, "error"))
            LINE("  claims problem       %s\n", json_string_value(json_object_get(c, "error")));
        else
            LINE("  HCLAkPub             RSA-%lld\n  user-data            %s\n",
                 json_integer_value(json_object_get(c, "ak_bits")),
                 json_is_null(json_object_get(c, "user_data"))
                     ? "(absent)"
                     : json_string_value(json_object_get(c, "user_data")));
    }
    json_t *q = json_object_get(o, "tpm_quote");
    if (json_is_null(q)) {
        LINE("  TPM quote            none\n");
    } else if (json_object_get(q, "error")) {
        LINE("  TPM quote            %s\n", json_string_value(json_object_get(q, "error")));
    } else {
        LINE("  TPM quote            magic 0x%08llx type 0x%04llx, %lld-byte signature\n"
             "  %-20s %s\n  %-20s bank 0x%04llx select 0x%06llx\n  %-20s %s\n",
             (unsigned long long)json_integer_value(json_object_get(q, "magic")),
             (unsigned long long)json_integer_value(json_object_get(q, "type")),
             json_integer_value(json_object_get(q, "signature_size")), "nonce",
             json_string_value(json_object_get(q, "nonce")), "PCRs",
             (unsigned long long)json_integer_value(json_object_get(q, "pcr_bank")),
             (unsigned long long)json_integer_value(json_object_get(q, "pcr_select")),
             "PCR digest", json_string_value(json_object_get(q, "pcr_digest")));
    }
    if (json_is_object(q)) {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(q, "pcrs"), k, v)
            LINE("  PCR %-16s %s\n", k, json_string_value(v));
    }
    LINE("  certificates         %lld carried\n",
         json_integer_value(json_object_get(o, "certificates")));
    if (json_object_get(o, "error"))
        LINE("  problem              %s\n", json_string_value(json_object_get(o, "error")));
#undef LINE
    if (n >= cap) {
        free(s);
        return NULL;
    }
    return s;
}

kt_status kt_azure_evidence_describe(const kt_azure_evidence *ev, bool json, char **out,
                                     kt_error *err) {
    if (!ev || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "Azure evidence describe: missing argument");
    json_t *o = describe_json(ev);
    *out = o ? (json ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : describe_text(o))
             : NULL;
    json_decref(o);
    return *out ? KT_OK : kt_fail_oom(err);
}
