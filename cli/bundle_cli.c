/* The CLI side of verification bundles (docs/kds.md, "Verification bundles"). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_cli.h"
#include "cli.h"
#include "util/error.h"
#include "x509/x509util.h"

kt_status kt_cli_bundle_prepare(kt_bundle_recorder **rec, kt_verify_opts *opts, kt_error *err) {
    kt_status st = kt_bundle_recorder_new(rec, err);
    if (st == KT_OK)
        st = kt_bundle_recorder_wrap(*rec, opts, err);
    return st;
}

kt_status kt_cli_bundle_save(const char *path, const kt_bundle_recorder *rec,
                             const kt_quote *quote, const kt_cli_v1 *v1,
                             const kt_verify_opts *opts,
                             const char *const *trust_roots, size_t trust_root_count,
                             const char *launch, const kt_verdict *verdict, kt_error *err) {
    if (trust_root_count > KT_BUNDLE_MAX_TRUST_ROOTS)
        return kt_fail(err, KT_E_INVALID_ARG, "--save-bundle: at most %d trust roots",
                       KT_BUNDLE_MAX_TRUST_ROOTS);
    kt_bundle_root roots[KT_BUNDLE_MAX_TRUST_ROOTS];
    uint8_t *bytes[KT_BUNDLE_MAX_TRUST_ROOTS] = {NULL};
    uint8_t *launch_text = NULL;
    kt_status st = KT_OK;
    for (size_t i = 0; st == KT_OK && i < trust_root_count; i++) {
        st = kt_cli_read(trust_roots[i], 256 * 1024, &bytes[i], &roots[i].len, err);
        roots[i].bytes = bytes[i];
        roots[i].label = trust_roots[i];
    }
    size_t launch_len = 0;
    if (st == KT_OK && launch)
        st = kt_cli_read(launch, 1 << 20, &launch_text, &launch_len, err);
    char *doc = NULL;
    size_t len = 0;
    if (st == KT_OK) {
        kt_bundle_inputs in = {quote, opts, rec, roots, trust_root_count, (const char *)launch_text};
        kt_bundle_v1 answer = {NULL, NULL, NULL};
        if (v1 && v1->active) {
            answer.attestation = &v1->att;
            answer.follows = v1->has_prev ? &v1->prev : NULL;
            answer.expect = &v1->expect;
        }
        st = kt_bundle_write_v1(&in, answer.attestation ? &answer : NULL, verdict, &doc, &len,
                                err);
    }
    if (st == KT_OK)
        st = kt_cli_write(path, doc, len, err);
    if (st != KT_OK)
        kt_fail_context(err, st, "--save-bundle %s", path);
    free(doc);
    free(launch_text);
    for (size_t i = 0; i < trust_root_count; i++)
        free(bytes[i]);
    return st;
}

static kt_status load(const char *path, kt_bundle **b, kt_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    kt_status st = kt_cli_read(path, KT_BUNDLE_MAX_SIZE, &bytes, &len, err);
    if (st == KT_OK)
        st = kt_bundle_read(bytes, len, path, b, err);
    free(bytes);
    return st;
}

int kt_cli_bundle_verify(const char *cmd, const char *path, const char *at_text, bool json) {
    kt_error err = {0};
    kt_bundle *b = NULL;
    time_t at = 0;
    kt_status st = KT_OK;
    if (at_text && (st = kt_parse_time(at_text, &at, &err)) != KT_OK)
        kt_fail_context(&err, st, "--at");
    if (st == KT_OK)
        st = load(path, &b, &err);
    kt_verdict *vd = st == KT_OK ? malloc(sizeof *vd) : NULL;
    if (st == KT_OK && !vd)
        st = kt_fail_oom(&err);
    bool same = false;
    char diff[1024] = "";
    if (st == KT_OK)
        st = kt_bundle_reverify(b, at_text ? &at : NULL, vd, &same, diff, sizeof diff, &err);
    if (st != KT_OK) {
        free(vd); /* kt_cli_fail prints the one JSON error object under --json */
        kt_bundle_free(&b);
        return kt_cli_fail(cmd, &err);
    }
    char *text = NULL;
    kt_error rerr = {0};
    kt_status rst = json ? kt_verdict_to_json(vd, &text, &rerr) : kt_verdict_to_text(vd, &text, &rerr);
    if (rst == KT_OK && json) {
        json_t *v = json_loads(text, 0, NULL);
        json_t *o = json_object();
        if (o) {
            json_object_set_new(o, "bundle", json_string(path));
            json_object_set_new(o, "same_verdict", json_boolean(same));
            json_object_set_new(o, "recorded_valid", json_boolean(kt_bundle_recorded_valid(b)));
            json_object_set_new(o, "differences", json_string(diff));
            json_object_set_new(o, "verdict", v ? v : json_null());
            char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
            if (s)
                printf("%s\n", s);
            free(s);
            json_decref(o);
        }
    } else if (rst == KT_OK) {
        fputs(text, stdout);
        char when[32];
        kt_format_time(at_text ? at : kt_bundle_time(b), when);
        if (same)
            printf("bundle: re-verified offline at %s: the same verdict (%s)\n", when,
                   vd->valid ? "VALID" : "INVALID");
        else
            printf("bundle: re-verified offline at %s: a DIFFERENT verdict (recorded %s): %s\n",
                   when, kt_bundle_recorded_valid(b) ? "VALID" : "INVALID", diff);
    }
    free(text);
    bool valid = vd->valid;
    free(vd);
    kt_bundle_free(&b);
    if (rst != KT_OK)
        return kt_cli_fail(cmd, &rerr);
    return same && valid ? KT_EXIT_OK : KT_EXIT_INVALID;
}

int kt_cli_bundle_show(const char *cmd, const char *path) {
    kt_error err = {0};
    kt_bundle *b = NULL;
    char *text = NULL;
    kt_status st = load(path, &b, &err);
    if (st == KT_OK)
        st = kt_bundle_describe(b, &text, &err);
    kt_bundle_free(&b);
    if (st != KT_OK)
        return kt_cli_fail(cmd, &err);
    fputs(text, stdout);
    free(text);
    return KT_EXIT_OK;
}
