/* Rendering a verdict: text a person reads at a glance, JSON a program parses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "katana_tee/hex.h"
#include "util/buf.h"
#include "util/error.h"
#include "verify/internal.h"

static const char *verdict_word(const kt_verdict *v) {
    if (v->untrusted_mock && v->valid)
        return "UNTRUSTED";
    return v->valid ? "VALID" : "INVALID";
}

static const char *trust_name(kt_trust t) {
    switch (t) {
    case KT_TRUST_AMD: return "amd";
    case KT_TRUST_CALLER_ROOT: return "caller-root";
    case KT_TRUST_NONE: break;
    }
    return "none";
}

static bool appendf(kt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool appendf(kt_buf *b, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    return kt_buf_append(b, line, strlen(line));
}

kt_status kt_verdict_to_text(const kt_verdict *v, char **out, kt_error *err) {
    if (!v || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verdict_to_text: bad argument");
    kt_buf b;
    kt_buf_init(&b, 1 << 20);
    bool ok = true;
    int failed = 0;
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        failed += v->checks[i].result == KT_RESULT_FAIL;
    if (v->untrusted_mock)
        ok &= appendf(&b, "%s — mock quote: %s; no hardware attestation\n", verdict_word(v),
                      v->valid ? "report data matches" : "report data does not match");
    else if (v->valid && v->azure)
        ok &= appendf(&b, "%s — Azure confidential VM: SEV-SNP report from a %s chip, signed by "
                          "its %s, in an HCL report; root: %s\n",
                      verdict_word(v), kt_product_name(v->product),
                      kt_signing_key_name(v->signer), v->root_label);
    else if (v->valid)
        ok &= appendf(&b, "%s — SEV-SNP report from a %s chip, signed by its %s; root: %s\n",
                      verdict_word(v), kt_product_name(v->product),
                      kt_signing_key_name(v->signer), v->root_label);
    else
        ok &= appendf(&b, "%s — %d check%s failed\n", verdict_word(v), failed,
                      failed == 1 ? "" : "s");
    if (v->valid && v->trust == KT_TRUST_CALLER_ROOT)
        ok &= appendf(&b, "WARNING: the root is one you trusted explicitly, not AMD's: this is "
                          "not evidence of genuine AMD hardware\n");
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        const kt_check *c = &v->checks[i];
        if (i >= KT_CHECK_CLAIMS_BINDING && !v->azure)
            continue; /* Azure-only checks */
        ok &= appendf(&b, "  %-8s %-13s %s\n", kt_check_result_name(c->result),
                      kt_check_name((kt_check_id)i), c->detail[0] ? c->detail : "-");
    }
    bool any = false;
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        if (!v->origin[r][0])
            continue;
        ok &= appendf(&b, "%s%s: %s", any ? "; " : "certificates: ",
                      kt_cert_role_name((kt_cert_role)r), v->origin[r]);
        any = true;
    }
    if (any)
        ok &= appendf(&b, "\n");
    if (!ok || !kt_buf_terminate(&b)) {
        kt_buf_free(&b);
        return kt_fail_oom(err);
    }
    *out = (char *)b.data;
    return KT_OK;
}

static json_t *hex_string(const uint8_t *p, size_t n) {
    char buf[2 * 64 + 1];
    kt_hex_encode(p, n, buf);
    return json_string(buf);
}

kt_status kt_verdict_to_json(const kt_verdict *v, char **out, kt_error *err) {
    if (!v || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_verdict_to_json: bad argument");
    json_t *o = json_object();
    json_t *checks = json_array();
    json_t *certs = json_object();
    json_t *failed = json_array();
    if (!o || !checks || !certs || !failed)
        goto oom;
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        const kt_check *c = &v->checks[i];
        if (i >= KT_CHECK_CLAIMS_BINDING && !v->azure)
            continue; /* Azure-only checks */
        json_t *item = json_pack("{s:s, s:s, s:s}", "name", kt_check_name((kt_check_id)i),
                                 "result", kt_check_result_name(c->result), "detail", c->detail);
        if (!item)
            goto oom;
        if (c->result == KT_RESULT_FAIL) {
            json_object_set_new(item, "code", json_string(kt_status_name(c->status)));
            json_array_append_new(failed, json_string(kt_check_name((kt_check_id)i)));
        }
        json_array_append_new(checks, item);
    }
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        if (!v->origin[r][0])
            continue;
        char key[8];
        const char *name = kt_cert_role_name((kt_cert_role)r);
        size_t i = 0;
        for (; name[i] && i < sizeof key - 1; i++)
            key[i] = (char)(name[i] | 0x20); /* lower case */
        key[i] = '\0';
        json_object_set_new(certs, key, json_string(v->origin[r]));
    }
    json_object_set_new(o, "verdict", json_string(v->untrusted_mock && v->valid ? "untrusted"
                                                  : v->valid                    ? "valid"
                                                                                : "invalid"));
    json_object_set_new(o, "valid", json_boolean(v->valid));
    if (v->azure)
        json_object_set_new(o, "platform", json_string("azure"));
    json_object_set_new(o, "trust", json_string(trust_name(v->trust)));
    json_object_set_new(o, "root", json_string(v->root_label));
    json_object_set_new(o, "product", json_string(kt_product_name(v->product)));
    json_object_set_new(o, "signer", json_string(v->has_report ? kt_signing_key_name(v->signer)
                                                               : "none"));
    json_object_set_new(o, "failed", failed);
    failed = NULL;
    json_object_set_new(o, "checks", checks);
    checks = NULL;
    json_object_set_new(o, "certificates", certs);
    certs = NULL;
    if (v->has_report) {
        const kt_report *r = &v->report;
        json_t *rep = json_pack("{s:i, s:i, s:o, s:o, s:o, s:o}", "version", (json_int_t)r->version,
                                "vmpl", (json_int_t)r->vmpl, "measurement",
                                hex_string(r->measurement, 48), "report_data",
                                hex_string(r->report_data, 64), "chip_id",
                                hex_string(r->chip_id, 64), "host_data",
                                hex_string(r->host_data, 32));
        if (!rep)
            goto oom;
        json_object_set_new(rep, "policy", json_integer((json_int_t)r->policy));
        json_object_set_new(o, "report", rep);
    }
    char *text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    if (!text)
        return kt_fail_oom(err);
    *out = text;
    return KT_OK;
oom:
    json_decref(o);
    json_decref(checks);
    json_decref(certs);
    json_decref(failed);
    return kt_fail_oom(err);
}
