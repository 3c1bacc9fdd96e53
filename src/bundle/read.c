/*
 * Reading bundles, strictly: the magic and version, the digest, every member
 * (no unknown or missing ones), and finally that the input is exactly the
 * canonical document of what was read — so no byte is ever ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/bundle_internal.h"
#include "katana_tee/hex.h"
#include "katana_tee/report.h"
#include "util/error.h"
#include "x509/x509util.h"

/* Refuse members other than `keys` and missing required ones (all of keys are required). */
static kt_status exact_keys(const json_t *o, const char *const *keys, size_t n, const char *what,
                            const char *file, kt_error *err) {
    if (!json_is_object(o))
        return kt_fail(err, KT_E_PARSE, "%s: %s must be an object", file, what);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], k) != 0)
            i++;
        if (i == n)
            return kt_fail(err, KT_E_PARSE, "%s: %s has an unknown member \"%.60s\"", file, what, k);
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(o, keys[i]))
            return kt_fail(err, KT_E_PARSE, "%s: %s lacks \"%s\"", file, what, keys[i]);
    return KT_OK;
}

static const char *str(const json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static kt_status want_str(const json_t *o, const char *key, const char *file, const char **out,
                          kt_error *err) {
    *out = str(o, key);
    return *out ? KT_OK : kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be a string", file, key);
}

static kt_status read_quote(kt_bundle *b, const json_t *q, const char *file, kt_error *err) {
    static const char *const keys[] = {"report", "cert_table", "use_cert_table"};
    kt_status st = exact_keys(q, keys, 3, "\"quote\"", file, err);
    const char *rep = NULL;
    if (st == KT_OK)
        st = want_str(q, "report", file, &rep, err);
    uint8_t *report = NULL, *table = NULL;
    size_t rlen = 0, tlen = 0;
    if (st == KT_OK)
        st = kt_bundle_unb64(rep, "quote.report", &report, &rlen, err);
    if (st == KT_OK && rlen != KT_REPORT_SIZE)
        st = kt_fail(err, KT_E_PARSE, "%s: quote.report is %zu bytes, not %d", file, rlen,
                     KT_REPORT_SIZE);
    json_t *t = json_object_get(q, "cert_table");
    if (st == KT_OK && !json_is_null(t)) {
        if (!json_is_string(t))
            st = kt_fail(err, KT_E_PARSE, "%s: quote.cert_table must be base64 or null", file);
        else
            st = kt_bundle_unb64(json_string_value(t), "quote.cert_table", &table, &tlen, err);
        if (st == KT_OK && tlen == 0)
            st = kt_fail(err, KT_E_PARSE, "%s: quote.cert_table is empty (use null)", file);
    }
    json_t *use = json_object_get(q, "use_cert_table");
    if (st == KT_OK && !json_is_boolean(use))
        st = kt_fail(err, KT_E_PARSE, "%s: quote.use_cert_table must be true or false", file);
    if (st == KT_OK) {
        b->report = malloc(KT_REPORT_SIZE + tlen);
        if (!b->report) {
            st = kt_fail_oom(err);
        } else {
            memcpy(b->report, report, KT_REPORT_SIZE);
            if (tlen)
                memcpy(b->report + KT_REPORT_SIZE, table, tlen);
            b->table_len = tlen;
            b->use_quote_certs = json_is_true(use);
        }
    }
    free(report);
    free(table);
    return st;
}

static kt_status read_expected(kt_bundle *b, const json_t *e, const char *file, kt_error *err) {
    const char *mode = json_is_object(e) ? str(e, "mode") : NULL;
    if (!mode)
        return kt_fail(err, KT_E_PARSE, "%s: \"expected\" needs a \"mode\"", file);
    if (strcmp(mode, "none") == 0 || strcmp(mode, "skip") == 0) {
        static const char *const keys[] = {"mode"};
        b->expect = mode[0] == 'n' ? KT_EXPECT_NONE : KT_EXPECT_SKIP;
        return exact_keys(e, keys, 1, "\"expected\"", file, err);
    }
    if (strcmp(mode, "state") == 0) {
        static const char *const keys[] = {"mode", "state_root", "block_hash"};
        kt_status st = exact_keys(e, keys, 3, "\"expected\"", file, err);
        const char *sr = NULL, *bh = NULL;
        if (st == KT_OK)
            st = want_str(e, "state_root", file, &sr, err);
        if (st == KT_OK)
            st = want_str(e, "block_hash", file, &bh, err);
        if (st == KT_OK)
            st = kt_felt_parse(sr, strlen(sr), &b->state_root, "expected.state_root", err);
        if (st == KT_OK)
            st = kt_felt_parse(bh, strlen(bh), &b->block_hash, "expected.block_hash", err);
        b->expect = KT_EXPECT_STATE;
        return st == KT_OK ? KT_OK : kt_fail_context(err, st, "%s: expected", file);
    }
    if (strcmp(mode, "report_data") == 0) {
        static const char *const keys[] = {"mode", "report_data"};
        kt_status st = exact_keys(e, keys, 2, "\"expected\"", file, err);
        const char *rd = NULL;
        if (st == KT_OK)
            st = want_str(e, "report_data", file, &rd, err);
        if (st == KT_OK)
            st = kt_hex_decode_exact(rd, strlen(rd), b->report_data, 64, "expected.report_data",
                                     err);
        b->expect = KT_EXPECT_REPORT_DATA;
        return st;
    }
    if (strcmp(mode, "katana_v1") == 0)
        return kt_bundle_v1_read(b, e, file, err);
    return kt_fail(err, KT_E_PARSE, "%s: expected.mode \"%.40s\" is not none, skip, state, "
                   "report_data or katana_v1", file, mode);
}

static kt_status read_certs(kt_bundle *b, const json_t *list, const char *file, kt_error *err) {
    if (!json_is_array(list))
        return kt_fail(err, KT_E_PARSE, "%s: \"certificates\" must be a list", file);
    kt_status st = kt_certs_new(&b->certs, err);
    size_t i;
    json_t *c;
    json_array_foreach((json_t *)list, i, c) {
        static const char *const keys[] = {"role", "der"};
        if (st == KT_OK)
            st = exact_keys(c, keys, 2, "a certificate", file, err);
        if (st != KT_OK)
            break;
        const char *role_name = str(c, "role"), *der64 = str(c, "der");
        int role = KT_ROLE_ARK;
        while (role <= KT_ROLE_CRL && (!role_name ||
                                       strcmp(kt_cert_role_name((kt_cert_role)role), role_name) != 0))
            role++;
        if (role > KT_ROLE_CRL || !der64) {
            st = kt_fail(err, KT_E_PARSE, "%s: certificate %zu: bad role or der", file, i);
            break;
        }
        if (kt_certs_has(b->certs, (kt_cert_role)role)) {
            st = kt_fail(err, KT_E_PARSE, "%s: two %s entries", file, role_name);
            break;
        }
        uint8_t *der = NULL;
        size_t len = 0;
        char what[48];
        snprintf(what, sizeof what, "certificates[%zu].der", i);
        st = kt_bundle_unb64(der64, what, &der, &len, err);
        if (st == KT_OK)
            st = kt_certs_add(b->certs, (kt_cert_role)role, der, len, "bundle", false, err);
        free(der);
        if (st != KT_OK)
            return kt_fail_context(err, st, "%s: certificate %s", file, role_name);
    }
    return st;
}

static kt_status read_roots(kt_bundle *b, const json_t *list, const char *file, kt_error *err) {
    if (!json_is_array(list) || json_array_size(list) > KT_BUNDLE_MAX_TRUST_ROOTS)
        return kt_fail(err, KT_E_PARSE, "%s: \"trust_roots\" must be a list of at most %d", file,
                       KT_BUNDLE_MAX_TRUST_ROOTS);
    size_t i;
    json_t *r;
    json_array_foreach((json_t *)list, i, r) {
        static const char *const keys[] = {"label", "bytes"};
        kt_status st = exact_keys(r, keys, 2, "a trust root", file, err);
        const char *label = str(r, "label"), *b64 = str(r, "bytes");
        if (st == KT_OK && (!label || !b64))
            st = kt_fail(err, KT_E_PARSE, "%s: trust root %zu: label and bytes are strings", file,
                         i);
        if (st == KT_OK)
            st = kt_bundle_unb64(b64, "trust_roots.bytes", &b->root_bytes[i], &b->root_len[i], err);
        if (st != KT_OK)
            return st;
        b->root_label[i] = strdup(label);
        b->root_count = i + 1;
        if (!b->root_label[i])
            return kt_fail_oom(err);
    }
    return KT_OK;
}

static kt_status read_verdict(kt_bundle *b, const json_t *v, const char *file, kt_error *err) {
    static const char *const keys[] = {"valid", "trust", "checks"};
    kt_status st = exact_keys(v, keys, 3, "\"verdict\"", file, err);
    if (st != KT_OK)
        return st;
    json_t *valid = json_object_get(v, "valid");
    const char *trust = str(v, "trust");
    if (!json_is_boolean(valid) || !trust)
        return kt_fail(err, KT_E_PARSE, "%s: verdict.valid / verdict.trust malformed", file);
    b->valid = json_is_true(valid);
    int t = 0;
    while (t <= KT_TRUST_CALLER_ROOT && strcmp(kt_bundle_trust_name((kt_trust)t), trust) != 0)
        t++;
    if (t > KT_TRUST_CALLER_ROOT)
        return kt_fail(err, KT_E_PARSE, "%s: verdict.trust \"%.40s\" unknown", file, trust);
    b->trust = (kt_trust)t;
    const char *names[KT_CHECK_COUNT];
    for (int i = 0; i < KT_CHECK_COUNT; i++)
        names[i] = kt_check_name((kt_check_id)i);
    json_t *checks = json_object_get(v, "checks");
    st = exact_keys(checks, names, KT_CHECK_COUNT, "verdict.checks", file, err);
    for (int i = 0; st == KT_OK && i < KT_CHECK_COUNT; i++) {
        static const char *const ckeys[] = {"result", "status"};
        json_t *c = json_object_get(checks, names[i]);
        st = exact_keys(c, ckeys, 2, names[i], file, err);
        const char *res = st == KT_OK ? str(c, "result") : NULL;
        const char *status = st == KT_OK ? str(c, "status") : NULL;
        if (st != KT_OK)
            break;
        int r = KT_RESULT_NOT_RUN;
        while (r <= KT_RESULT_SKIPPED && (!res || strcmp(kt_check_result_name((kt_check_result)r), res) != 0))
            r++;
        if (r > KT_RESULT_SKIPPED || !status || strlen(status) >= sizeof b->statuses[i] ||
            strncmp(status, "KT_", 3) != 0)
            return kt_fail(err, KT_E_PARSE, "%s: verdict.checks.%s malformed", file, names[i]);
        b->results[i] = (kt_check_result)r;
        snprintf(b->statuses[i], sizeof b->statuses[i], "%s", status);
    }
    return st;
}

static kt_status read_fields(kt_bundle *b, const json_t *doc, const char *file, kt_error *err) {
    static const char *const keys[] = {
        "bundle", "bundle_version", "content_sha256", "katana_tee_version", "verification_time",
        "quote", "product_hint", "expected", "policy", "certificates", "trust_roots", "launch",
        "verdict"};
    kt_status st = exact_keys(doc, keys, sizeof keys / sizeof keys[0], "the bundle", file, err);
    if (st != KT_OK)
        return st;
    const char *version = str(doc, "katana_tee_version"), *when = str(doc, "verification_time");
    if (!version || strlen(version) >= sizeof b->version || !when)
        return kt_fail(err, KT_E_PARSE, "%s: katana_tee_version / verification_time malformed",
                       file);
    snprintf(b->version, sizeof b->version, "%s", version);
    if ((st = kt_parse_time(when, &b->at, err)) != KT_OK)
        return kt_fail_context(err, st, "%s: verification_time", file);
    if ((st = read_quote(b, json_object_get(doc, "quote"), file, err)) != KT_OK)
        return st;
    json_t *hint = json_object_get(doc, "product_hint");
    b->product_hint = KT_PRODUCT_UNKNOWN;
    if (!json_is_null(hint) &&
        (!json_is_string(hint) ||
         kt_product_parse(json_string_value(hint), &b->product_hint, err) != KT_OK))
        return kt_fail(err, KT_E_PARSE, "%s: product_hint must be a product name or null", file);
    if ((st = read_expected(b, json_object_get(doc, "expected"), file, err)) != KT_OK)
        return st;
    char *policy = json_dumps(json_object_get(doc, "policy"), JSON_COMPACT | JSON_ENCODE_ANY);
    if (!policy)
        return kt_fail_oom(err);
    st = kt_policy_parse_json(policy, strlen(policy), "bundle policy", &b->policy, err);
    free(policy);
    if (st != KT_OK)
        return st;
    if ((st = read_certs(b, json_object_get(doc, "certificates"), file, err)) != KT_OK ||
        (st = read_roots(b, json_object_get(doc, "trust_roots"), file, err)) != KT_OK)
        return st;
    if (b->expect == KT_EXPECT_KATANA_V1 && (st = kt_bundle_v1_check_quote(b, file, err)) != KT_OK)
        return st;
    json_t *launch = json_object_get(doc, "launch");
    if (!json_is_null(launch))
        b->launch = json_incref(launch);
    return read_verdict(b, json_object_get(doc, "verdict"), file, err);
}

kt_status kt_bundle_read(const uint8_t *bytes, size_t len, const char *what, kt_bundle **out,
                         kt_error *err) {
    if (!bytes || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_bundle_read: bad argument");
    *out = NULL;
    const char *file = what ? what : "bundle";
    if (len > KT_BUNDLE_MAX_SIZE)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: larger than %zu bytes", file, KT_BUNDLE_MAX_SIZE);
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return kt_fail(err, KT_E_PARSE, "%s: invalid JSON at line %d column %d: %s", file,
                       jerr.line, jerr.column, jerr.text);
    kt_status st = KT_OK;
    const char *magic = json_is_object(doc) ? str(doc, "bundle") : NULL;
    json_t *ver = json_is_object(doc) ? json_object_get(doc, "bundle_version") : NULL;
    if (!magic || strcmp(magic, KT_BUNDLE_MAGIC) != 0)
        st = kt_fail(err, KT_E_PARSE, "%s: not a katana-tee verification bundle", file);
    else if (!json_is_integer(ver) || json_integer_value(ver) != KT_BUNDLE_VERSION)
        st = kt_fail(err, KT_E_UNSUPPORTED, "%s: bundle version is not %d (this katana-tee reads "
                     "version %d only)", file, KT_BUNDLE_VERSION, KT_BUNDLE_VERSION);
    char digest[65];
    const char *claimed = json_is_object(doc) ? str(doc, "content_sha256") : NULL;
    if (st == KT_OK && (st = kt_bundle_digest(doc, digest, err)) == KT_OK &&
        (!claimed || strcmp(claimed, digest) != 0))
        st = kt_fail(err, KT_E_PARSE, "%s: content_sha256 does not match the content (the "
                     "bundle was changed or damaged)", file);
    kt_bundle *b = NULL;
    if (st == KT_OK) {
        b = calloc(1, sizeof *b);
        st = b ? read_fields(b, doc, file, err) : kt_fail_oom(err);
    }
    if (st == KT_OK) {
        /* Exactly the canonical document of what was read, byte for byte. */
        json_t *again = kt_bundle_build_doc(b, err);
        char *text = again ? kt_bundle_canonical(again) : NULL;
        if (!text)
            st = again ? kt_fail_oom(err) : KT_E_NOMEM;
        else if (strlen(text) != len || memcmp(text, bytes, len) != 0)
            st = kt_fail(err, KT_E_PARSE, "%s: not the canonical serialisation of its content "
                         "(edited by hand, or written by something else)", file);
        free(text);
        json_decref(again);
    }
    json_decref(doc);
    if (st != KT_OK) {
        if (b) {
            kt_bundle_free_fields(b);
            free(b);
        }
        return st;
    }
    *out = b;
    return KT_OK;
}

void kt_bundle_free(kt_bundle **bundle) {
    if (!bundle || !*bundle)
        return;
    kt_bundle_free_fields(*bundle);
    free(*bundle);
    *bundle = NULL;
}

time_t kt_bundle_time(const kt_bundle *b) {
    return b ? b->at : 0;
}

bool kt_bundle_recorded_valid(const kt_bundle *b) {
    return b && b->valid;
}

bool kt_bundle_is_v1(const kt_bundle *b) {
    return b && b->expect == KT_EXPECT_KATANA_V1;
}
