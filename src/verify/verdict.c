/* Rendering a verdict: text a person reads at a glance, JSON a program parses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "katana_tee/hex.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonutil.h"
#include "verify/internal.h"

static const char *verdict_word(const kt_verdict *v) {
    if (v->untrusted_mock)
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

/* The Azure-only checks belong to Azure evidence: other verdicts do not show them. */
static bool shown(const kt_verdict *v, int i) {
    return i < KT_CHECK_CLAIMS_BINDING || v->azure;
}

/* "; skipped: a, b" for the checks with this result (nothing when none). */
static bool append_names(kt_buf *b, const kt_verdict *v, kt_check_result result,
                         const char *label) {
    bool ok = true, any = false;
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        if (v->checks[i].result != result || !shown(v, i))
            continue;
        ok &= appendf(b, "%s%s", any ? ", " : label, kt_check_name((kt_check_id)i));
        any = true;
    }
    return ok;
}

/* The second line: which state the verdict is about. */
static bool append_state(kt_buf *b, const kt_verdict *v) {
    const kt_check *rd = &v->checks[KT_CHECK_REPORT_DATA];
    char block[48] = "";
    if (v->has_block_number)
        snprintf(block, sizeof block, "block %llu (from the envelope), ",
                 (unsigned long long)v->block_number);
    if (v->has_state) {
        char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&v->state_root, root);
        kt_felt_to_hex(&v->block_hash, hash);
        return appendf(b, "state: %sblock hash %s, state root %s (report data %s)\n", block,
                       hash, root, kt_check_result_name(rd->result));
    }
    if (rd->result == KT_RESULT_PASS)
        return appendf(b, "state: %sthe expected 64 bytes of report data (no state root or "
                          "block hash given)\n", block);
    return appendf(b, "state: %snone checked (report data %s)\n", block,
                   kt_check_result_name(rd->result));
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
        ok &= appendf(&b, "%s — mock quote: report data matches; no hardware attestation, "
                          "not valid", verdict_word(v));
    else if (v->valid && v->azure)
        ok &= appendf(&b, "%s — Azure confidential VM: SEV-SNP report from a %s chip, signed by "
                          "its %s, in an HCL report; root: %s",
                      verdict_word(v), kt_product_name(v->product),
                      kt_signing_key_name(v->signer), v->root_label);
    else if (v->valid)
        ok &= appendf(&b, "%s — SEV-SNP report from a %s chip, signed by its %s; root: %s",
                      verdict_word(v), kt_product_name(v->product),
                      kt_signing_key_name(v->signer), v->root_label);
    else {
        ok &= appendf(&b, "%s — %d check%s failed", verdict_word(v), failed,
                      failed == 1 ? "" : "s");
        ok &= append_names(&b, v, KT_RESULT_FAIL, " (") && (!failed || appendf(&b, ")"));
        ok &= append_names(&b, v, KT_RESULT_NOT_RUN, "; not run: ");
    }
    ok &= append_names(&b, v, KT_RESULT_SKIPPED, "; skipped: ");
    ok &= appendf(&b, "\n");
    ok &= append_state(&b, v);
    if (v->valid && v->trust == KT_TRUST_CALLER_ROOT)
        ok &= appendf(&b, "WARNING: the root is one you trusted explicitly, not AMD's: this is "
                          "not evidence of genuine AMD hardware\n");
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        const kt_check *c = &v->checks[i];
        if (!shown(v, i))
            continue;
        ok &= appendf(&b, "  %-8s %-13s %s\n", kt_check_result_name(c->result),
                      kt_check_name((kt_check_id)i), c->detail[0] ? c->detail : "-");
    }
    bool any = false;
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        if (!v->origin[r][0])
            continue;
        const kt_cert_info *ci = NULL;
        for (int i = 0; i < 3; i++)
            if (v->chain_certs[i].present && v->chain_certs[i].role == (kt_cert_role)r)
                ci = &v->chain_certs[i];
        if (!any)
            ok &= appendf(&b, "certificates:\n");
        any = true;
        char line[400] = "";
        if (ci)
            kt_cert_info_line(ci, line, sizeof line);
        ok &= appendf(&b, "  %-5s %s%sfrom %s\n", kt_cert_role_name((kt_cert_role)r), line,
                      line[0] ? ", " : "", v->origin[r]);
    }
    if (!ok || !kt_buf_terminate(&b)) {
        kt_buf_free(&b);
        return kt_fail_oom(err);
    }
    *out = (char *)b.data;
    return KT_OK;
}

void kt_cert_info_line(const kt_cert_info *ci, char *out, size_t cap) {
    char nb[32], na[32], tcb[64] = "";
    kt_format_time(ci->not_before, nb);
    kt_format_time(ci->not_after, na);
    if (ci->has_tcb && ci->has_fmc)
        snprintf(tcb, sizeof tcb, ", TCB fmc=%u bl=%u tee=%u snp=%u ucode=%u", ci->fmc, ci->bl,
                 ci->tee, ci->snp, ci->ucode);
    else if (ci->has_tcb)
        snprintf(tcb, sizeof tcb, ", TCB bl=%u tee=%u snp=%u ucode=%u", ci->bl, ci->tee, ci->snp,
                 ci->ucode);
    snprintf(out, cap, "CN=%.60s issued by CN=%.60s, serial %.40s, valid %.10s..%.10s%s",
             ci->subject, ci->issuer, ci->serial, nb, na, tcb);
}

json_t *kt_cert_info_json(const kt_cert_info *ci) {
    char nb[32], na[32];
    kt_format_time(ci->not_before, nb);
    kt_format_time(ci->not_after, na);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "role", kt_cert_role_name(ci->role),
                          "subject", ci->subject, "issuer", ci->issuer, "serial", ci->serial,
                          "not_before", nb, "not_after", na);
    if (o && ci->has_tcb) {
        json_t *t = json_pack("{s:i, s:i, s:i, s:i}", "boot_loader", ci->bl, "tee", ci->tee,
                              "snp", ci->snp, "microcode", ci->ucode);
        if (t && ci->has_fmc)
            json_object_set_new(t, "fmc", json_integer(ci->fmc));
        json_object_set_new(o, "tcb", t);
    }
    if (o && ci->product_name[0])
        json_object_set_new(o, "product_name", json_string(ci->product_name));
    return o;
}

kt_status kt_cert_info_to_json(const kt_cert_info *ci, char **out, kt_error *err) {
    if (!ci || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_cert_info_to_json: missing argument");
    json_t *o = kt_cert_info_json(ci);
    *out = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return *out ? KT_OK : kt_fail_oom(err);
}

static json_t *names_with(const kt_verdict *v, kt_check_result result) {
    json_t *a = json_array();
    for (int i = 0; a && i < KT_CHECK_COUNT; i++)
        if (v->checks[i].result == result && shown(v, i))
            json_array_append_new(a, json_string(kt_check_name((kt_check_id)i)));
    return a;
}

/* {state_root, block_hash, block_number}: what the report data was checked against. */
static json_t *state_json(const kt_verdict *v) {
    if (!v->has_state && !v->has_block_number)
        return json_null();
    char root[KT_FELT_HEX_MAX], hash[KT_FELT_HEX_MAX];
    kt_felt_to_hex(&v->state_root, root);
    kt_felt_to_hex(&v->block_hash, hash);
    return json_pack("{s:o, s:o, s:o}", "state_root",
                     v->has_state ? json_string(root) : json_null(), "block_hash",
                     v->has_state ? json_string(hash) : json_null(), "block_number",
                     v->has_block_number ? json_integer((json_int_t)v->block_number)
                                         : json_null());
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
        if (!shown(v, i))
            continue;
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
    json_object_set_new(o, "verdict", json_string(v->untrusted_mock ? "untrusted"
                                                  : v->valid        ? "valid"
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
    json_object_set_new(o, "skipped", names_with(v, KT_RESULT_SKIPPED));
    json_object_set_new(o, "not_run", names_with(v, KT_RESULT_NOT_RUN));
    json_object_set_new(o, "state", state_json(v));
    json_t *chain = json_array();
    for (int i = 0; chain && i < 3; i++)
        if (v->chain_certs[i].present)
            json_array_append_new(chain, kt_cert_info_json(&v->chain_certs[i]));
    json_object_set_new(o, "chain", chain);
    json_object_set_new(o, "checks", checks);
    checks = NULL;
    json_object_set_new(o, "certificates", certs);
    certs = NULL;
    if (v->has_report) {
        const kt_report *r = &v->report;
        json_t *rep = json_pack("{s:i, s:i, s:o, s:o, s:o, s:o}", "version", (json_int_t)r->version,
                                "vmpl", (json_int_t)r->vmpl, "measurement",
                                kt_json_hex(r->measurement, 48), "report_data",
                                kt_json_hex(r->report_data, 64), "chip_id",
                                kt_json_hex(r->chip_id, 64), "host_data",
                                kt_json_hex(r->host_data, 32));
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
