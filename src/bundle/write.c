/*
 * Writing bundles: record what the certificate sources supplied during a
 * verification, then serialise the verification (quote, expectations,
 * certificates used, policy, roots, time, verdict) as the canonical document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/report.h"
#include "util/error.h"
#include "x509/x509util.h"

#define MAX_SOURCES 8

typedef struct recording_source {
    const kt_cert_source *inner;
    kt_bundle_recorder *rec;
} recording_source;

struct kt_bundle_recorder {
    kt_certs *added; /* what the sources put in, by role */
    recording_source wraps[MAX_SOURCES];
    kt_cert_source sources[MAX_SOURCES];
    const kt_cert_source *ptrs[MAX_SOURCES];
};

kt_status kt_bundle_recorder_new(kt_bundle_recorder **out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_recorder_new: no output pointer");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return kt_fail_oom(err);
    kt_status st = kt_certs_new(&(*out)->added, err);
    if (st != KT_OK)
        kt_bundle_recorder_free(out);
    return st;
}

void kt_bundle_recorder_free(kt_bundle_recorder **rec) {
    if (!rec || !*rec)
        return;
    kt_certs_free(&(*rec)->added);
    free(*rec);
    *rec = NULL;
}

static kt_status recording_fetch(void *ctx, const kt_report *report, kt_product product,
                                 unsigned need, kt_certs *certs, kt_error *err) {
    recording_source *rs = ctx;
    bool before[KT_ROLE_CRL + 1];
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++)
        before[r] = kt_certs_has(certs, (kt_cert_role)r);
    kt_status st = rs->inner->fetch(rs->inner->ctx, report, product, need, certs, err);
    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        size_t len = 0;
        const uint8_t *der = kt_certs_der(certs, (kt_cert_role)r, &len);
        if (before[r] || !der || kt_certs_has(rs->rec->added, (kt_cert_role)r))
            continue;
        kt_error e = {0};
        kt_status ast = kt_certs_add(rs->rec->added, (kt_cert_role)r, der, len,
                                     kt_certs_origin(certs, (kt_cert_role)r), false, &e);
        if (ast != KT_OK && st == KT_OK) {
            if (err)
                *err = e;
            st = ast;
        }
    }
    return st;
}

kt_status kt_bundle_recorder_wrap(kt_bundle_recorder *rec, kt_verify_opts *opts, kt_error *err) {
    if (!rec || !opts)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_recorder_wrap: bad argument");
    if (opts->source_count > MAX_SOURCES)
        return kt_fail(err, KT_E_INVALID_ARG, "at most %d certificate sources can be recorded",
                       MAX_SOURCES);
    for (size_t i = 0; i < opts->source_count; i++) {
        rec->wraps[i].inner = opts->sources[i];
        rec->wraps[i].rec = rec;
        rec->sources[i].name = opts->sources[i]->name;
        rec->sources[i].fetch = recording_fetch;
        rec->sources[i].ctx = &rec->wraps[i];
        rec->ptrs[i] = &rec->sources[i];
    }
    if (opts->source_count)
        opts->sources = rec->ptrs;
    if (!opts->has_time) {
        /* The bundle must say when: fix "now" before the verification reads the clock. */
        opts->has_time = true;
        opts->at = time(NULL);
    }
    return KT_OK;
}

/* ---- the document ------------------------------------------------------------------- */

static json_t *b64_json(const uint8_t *bytes, size_t len) {
    char *s = kt_bundle_b64(bytes, len);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

json_t *kt_bundle_build_doc(const kt_bundle *b, kt_error *err) {
    json_t *doc = json_object();
    json_t *quote = json_object(), *expected = json_object(), *certs = json_array();
    json_t *roots = json_array(), *verdict = json_object(), *checks = json_object();
    if (!doc || !quote || !expected || !certs || !roots || !verdict || !checks)
        goto oom;
    json_object_set_new(doc, "bundle", json_string(KT_BUNDLE_MAGIC));
    json_object_set_new(doc, "bundle_version", json_integer(KT_BUNDLE_VERSION));
    json_object_set_new(doc, "katana_tee_version", json_string(b->version));
    char when[32];
    kt_format_time(b->at, when);
    json_object_set_new(doc, "verification_time", json_string(when));

    json_object_set_new(quote, "report", b64_json(b->report, KT_REPORT_SIZE));
    json_object_set_new(quote, "cert_table", b->table_len
                                                 ? b64_json(b->report + KT_REPORT_SIZE, b->table_len)
                                                 : json_null());
    json_object_set_new(quote, "use_cert_table", json_boolean(b->use_quote_certs));
    json_object_set_new(doc, "quote", quote);
    quote = NULL;
    json_object_set_new(doc, "product_hint", b->product_hint == KT_PRODUCT_UNKNOWN
                                                 ? json_null()
                                                 : json_string(kt_product_name(b->product_hint)));

    static const char *const modes[5] = {"none", "skip", "state", "report_data", "katana_v1"};
    json_object_set_new(expected, "mode", json_string(modes[b->expect]));
    if (b->expect == KT_EXPECT_KATANA_V1 && !kt_bundle_v1_to_json(b, expected))
        goto oom;
    if (b->expect == KT_EXPECT_STATE) {
        char hex[KT_FELT_HEX_MAX];
        kt_felt_to_hex(&b->state_root, hex);
        json_object_set_new(expected, "state_root", json_string(hex));
        kt_felt_to_hex(&b->block_hash, hex);
        json_object_set_new(expected, "block_hash", json_string(hex));
    } else if (b->expect == KT_EXPECT_REPORT_DATA) {
        char hex[129];
        kt_hex_encode(b->report_data, 64, hex);
        json_object_set_new(expected, "report_data", json_string(hex));
    }
    json_object_set_new(doc, "expected", expected);
    expected = NULL;
    json_object_set_new(doc, "policy", kt_bundle_policy_json(&b->policy));

    for (int r = KT_ROLE_ARK; r <= KT_ROLE_CRL; r++) {
        size_t len = 0;
        const uint8_t *der = kt_certs_der(b->certs, (kt_cert_role)r, &len);
        if (!der)
            continue;
        json_t *c = json_object();
        if (!c)
            goto oom;
        json_object_set_new(c, "role", json_string(kt_cert_role_name((kt_cert_role)r)));
        json_object_set_new(c, "der", b64_json(der, len));
        json_array_append_new(certs, c);
    }
    json_object_set_new(doc, "certificates", certs);
    certs = NULL;
    for (size_t i = 0; i < b->root_count; i++) {
        json_t *r = json_object();
        if (!r)
            goto oom;
        json_object_set_new(r, "label", json_string(b->root_label[i]));
        json_object_set_new(r, "bytes", b64_json(b->root_bytes[i], b->root_len[i]));
        json_array_append_new(roots, r);
    }
    json_object_set_new(doc, "trust_roots", roots);
    roots = NULL;
    json_object_set(doc, "launch", b->launch ? b->launch : json_null());

    json_object_set_new(verdict, "valid", json_boolean(b->valid));
    json_object_set_new(verdict, "trust", json_string(kt_bundle_trust_name(b->trust)));
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        json_t *c = json_object();
        if (!c)
            goto oom;
        json_object_set_new(c, "result", json_string(kt_check_result_name(b->results[i])));
        json_object_set_new(c, "status", json_string(b->statuses[i]));
        json_object_set_new(checks, kt_check_name((kt_check_id)i), c);
    }
    json_object_set_new(verdict, "checks", checks);
    json_object_set_new(doc, "verdict", verdict);
    checks = verdict = NULL;

    char digest[65];
    kt_status st = kt_bundle_digest(doc, digest, err);
    if (st != KT_OK) {
        json_decref(doc);
        return NULL;
    }
    json_object_set_new(doc, "content_sha256", json_string(digest));
    return doc;
oom:
    json_decref(doc);
    json_decref(quote);
    json_decref(expected);
    json_decref(certs);
    json_decref(roots);
    json_decref(verdict);
    json_decref(checks);
    kt_fail_oom(err);
    return NULL;
}

/* ---- which certificate bytes the verification used, by role ------------------------------- */

/*
 * The verifier takes each role from, in order: the caller's certificates,
 * the quote's table, a single caller-trusted root (ARK only), the sources.
 * The bytes are looked up in the same order.
 */
static kt_status used_der(const kt_bundle_inputs *in, const kt_certs *table, kt_cert_role role,
                          kt_certs *root_as_ark, const uint8_t **der, size_t *len) {
    *der = NULL;
    if (in->opts->certs && (*der = kt_certs_der(in->opts->certs, role, len)))
        return KT_OK;
    if (table && (*der = kt_certs_der(table, role, len)))
        return KT_OK;
    if (role == KT_ROLE_ARK && root_as_ark && (*der = kt_certs_der(root_as_ark, role, len)))
        return KT_OK;
    if ((*der = kt_certs_der(in->recorder->added, role, len)))
        return KT_OK;
    return KT_E_NOT_FOUND;
}

static kt_status collect_certs(const kt_bundle_inputs *in, const kt_verdict *vd, kt_certs *out,
                               kt_error *err) {
    kt_certs *table = NULL, *root = NULL;
    kt_status st = KT_OK;
    const kt_quote *q = in->quote;
    if (in->opts->use_quote_certs && q->cert_table_bytes && q->cert_table_len) {
        kt_cert_table t;
        st = kt_cert_table_parse(q->cert_table_bytes, q->cert_table_len, &t, err);
        if (st == KT_OK)
            st = kt_certs_new(&table, err);
        if (st == KT_OK)
            st = kt_certs_add_cert_table(table, &t, "quote certificate table", err);
    }
    if (st == KT_OK && in->root_count == 1) {
        st = kt_certs_new(&root, err);
        if (st == KT_OK)
            st = kt_certs_add(root, KT_ROLE_ARK, in->roots[0].bytes, in->roots[0].len,
                              in->roots[0].label, false, err);
    }
    for (int r = KT_ROLE_ARK; st == KT_OK && r <= KT_ROLE_CRL; r++) {
        if (!vd->origin[r][0])
            continue; /* the verification did not have this role */
        const uint8_t *der = NULL;
        size_t len = 0;
        if (used_der(in, table, (kt_cert_role)r, root, &der, &len) != KT_OK) {
            st = kt_fail(err, KT_E_INVALID_ARG,
                         "bundle: cannot tell which %s the verification used (%s)",
                         kt_cert_role_name((kt_cert_role)r), vd->origin[r]);
            break;
        }
        st = kt_certs_add(out, (kt_cert_role)r, der, len, vd->origin[r], false, err);
    }
    kt_certs_free(&table);
    kt_certs_free(&root);
    return st;
}

kt_status kt_bundle_write(const kt_bundle_inputs *in, const kt_verdict *vd, char **out,
                          size_t *len, kt_error *err) {
    return kt_bundle_write_v1(in, NULL, vd, out, len, err);
}

bool kt_bundle_quote_is(const kt_quote *q, const uint8_t *report, const uint8_t *table,
                        size_t table_len) {
    size_t own = q->cert_table_bytes ? q->cert_table_len : 0;
    return memcmp(q->report_bytes, report, KT_REPORT_SIZE) == 0 && own == table_len &&
           (own == 0 || memcmp(q->cert_table_bytes, table, own) == 0);
}

static bool same_quote(const kt_quote *a, const kt_quote *b) {
    return a->kind == b->kind &&
           kt_bundle_quote_is(b, a->report_bytes, a->cert_table_bytes,
                              a->cert_table_bytes ? a->cert_table_len : 0);
}

static kt_status write_doc(const kt_bundle_inputs *in, const kt_bundle_v1 *v1,
                           const kt_verdict *vd, char **out, size_t *len, kt_error *err);

kt_status kt_bundle_write_v1(const kt_bundle_inputs *in, const kt_bundle_v1 *v1,
                             const kt_verdict *vd, char **out, size_t *len, kt_error *err) {
    if (!in || !out || !len || (!v1 && !in->quote) || (v1 && !v1->attestation))
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_write: bad argument");
    *out = NULL;
    *len = 0;
    if (!v1)
        return write_doc(in, NULL, vd, out, len, err);
    /* the quote is the answer's: the one kt_v1_verify decoded */
    const kt_v1_attestation *att = v1->attestation;
    kt_quote *q = NULL;
    kt_status st = att->quote && att->quote_len
                       ? kt_quote_decode(att->quote, att->quote_len, &q, err)
                       : kt_fail(err, KT_E_INVALID_ARG, "BlockAttestation.quote is empty");
    if (st != KT_OK)
        return kt_fail_context(err, st, "bundle: the v1 answer's quote");
    if (q->kind == KT_QUOTE_SNP && q->encoding != KT_QUOTE_ENC_BINARY)
        st = kt_fail(err, KT_E_INVALID_ARG,
                     "bundle: the v1 answer's quote holds text, not the attester's bytes");
    else if (in->quote && !same_quote(in->quote, q))
        st = kt_fail(err, KT_E_INVALID_ARG,
                     "bundle: the quote given is not the v1 answer's quote");
    if (st == KT_OK) {
        kt_bundle_inputs with = *in;
        with.quote = q;
        st = write_doc(&with, v1, vd, out, len, err);
    }
    kt_quote_free(&q);
    return st;
}

static kt_status write_doc(const kt_bundle_inputs *in, const kt_bundle_v1 *v1,
                           const kt_verdict *vd, char **out, size_t *len, kt_error *err) {
    if (!in->opts || !in->recorder || !vd)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_write: bad argument");
    if (in->quote->kind == KT_QUOTE_AZURE)
        return kt_fail(err, KT_E_INVALID_ARG, "Azure evidence is not bundled yet (a bundle holds "
                       "an SEV-SNP report and its certificate table)");
    if (in->quote->kind != KT_QUOTE_SNP)
        return kt_fail(err, KT_E_INVALID_ARG, "a mock quote carries no evidence to bundle");
    if (in->root_count > KT_BUNDLE_MAX_TRUST_ROOTS)
        return kt_fail(err, KT_E_INVALID_ARG, "at most %d trust roots fit in a bundle",
                       KT_BUNDLE_MAX_TRUST_ROOTS);
    if (!in->opts->has_time)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "bundle: the verification time is unknown (call kt_bundle_recorder_wrap)");
    kt_bundle b;
    memset(&b, 0, sizeof b);
    snprintf(b.version, sizeof b.version, "%s", KT_VERSION_STRING);
    b.at = in->opts->at;
    const kt_quote *q = in->quote;
    b.table_len = q->cert_table_bytes ? q->cert_table_len : 0;
    b.report = malloc(KT_REPORT_SIZE + b.table_len);
    kt_status st = b.report ? KT_OK : kt_fail_oom(err);
    if (st == KT_OK) {
        memcpy(b.report, q->report_bytes, KT_REPORT_SIZE);
        if (b.table_len)
            memcpy(b.report + KT_REPORT_SIZE, q->cert_table_bytes, b.table_len);
    }
    b.use_quote_certs = in->opts->use_quote_certs;
    b.product_hint = in->opts->product;
    const kt_verify_opts *o = in->opts;
    b.expect = o->has_state         ? KT_EXPECT_STATE
               : o->has_report_data ? KT_EXPECT_REPORT_DATA
               : o->skip_report_data ? KT_EXPECT_SKIP
                                     : KT_EXPECT_NONE;
    b.state_root = o->state_root;
    b.block_hash = o->block_hash;
    memcpy(b.report_data, o->report_data, 64);
    if (st == KT_OK && v1) /* kt_v1_verify ignores the v0 expectations: the answer's fields are it */
        st = kt_bundle_v1_set(&b, v1, err);
    if (o->policy)
        b.policy = *o->policy;
    else
        kt_policy_init(&b.policy);
    if (st == KT_OK)
        st = kt_certs_new(&b.certs, err);
    if (st == KT_OK)
        st = collect_certs(in, vd, b.certs, err);
    for (size_t i = 0; st == KT_OK && i < in->root_count; i++) {
        b.root_bytes[i] = malloc(in->roots[i].len ? in->roots[i].len : 1);
        b.root_label[i] = strdup(in->roots[i].label ? in->roots[i].label : "");
        b.root_count = i + 1;
        if (!b.root_bytes[i] || !b.root_label[i])
            st = kt_fail_oom(err);
        else
            memcpy(b.root_bytes[i], in->roots[i].bytes, in->roots[i].len);
        b.root_len[i] = in->roots[i].len;
    }
    if (st == KT_OK && in->launch_json) {
        json_error_t jerr;
        b.launch = json_loads(in->launch_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!b.launch)
            st = kt_fail(err, KT_E_PARSE, "launch description: invalid JSON at line %d: %s",
                         jerr.line, jerr.text);
    }
    b.valid = vd->valid;
    b.trust = vd->trust;
    for (int i = 0; i < KT_CHECK_COUNT; i++) {
        b.results[i] = vd->checks[i].result;
        snprintf(b.statuses[i], sizeof b.statuses[i], "%s", kt_status_name(vd->checks[i].status));
    }
    json_t *doc = st == KT_OK ? kt_bundle_build_doc(&b, err) : NULL;
    if (st == KT_OK && !doc)
        st = KT_E_NOMEM;
    if (doc) {
        char *text = kt_bundle_canonical(doc);
        json_decref(doc);
        if (!text) {
            st = kt_fail_oom(err);
        } else {
            *out = text;
            *len = strlen(text);
        }
    }
    kt_bundle_free_fields(&b);
    return st;
}
