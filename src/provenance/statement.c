/* The in-toto Statement v1 / SLSA provenance v1 checks of kt_prov_verify. */
#include "provenance/statement.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "katana_tee/hex.h"
#include "util/error.h"

kt_status kt_prov_reason_status(kt_prov_reason reason) {
    switch (reason) {
    case KT_PROV_OK: return KT_OK;
    case KT_PROV_ENVELOPE:
    case KT_PROV_BASE64:
    case KT_PROV_STATEMENT: return KT_E_PARSE;
    case KT_PROV_SIGNATURE:
    case KT_PROV_THRESHOLD: return KT_E_SIGNATURE;
    case KT_PROV_SUBJECT: return KT_E_BINDING;
    case KT_PROV_PAYLOAD_TYPE:
    case KT_PROV_PREDICATE_TYPE:
    case KT_PROV_COMMIT:
    case KT_PROV_BUILDER: return KT_E_POLICY;
    }
    return KT_E_INTERNAL;
}

static kt_status fail_reason(kt_prov_result *result, kt_prov_reason reason, kt_error *err,
                             const char *message) {
    result->reason = reason;
    return kt_fail(err, kt_prov_reason_status(reason), "%s: %s", kt_prov_reason_name(reason),
                   message);
}

static kt_status digest(const EVP_MD *md, const uint8_t *data, size_t len, char *hex, kt_error *err) {
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, d, &n, md, NULL) != 1)
        return kt_fail(err, KT_E_INTERNAL, "OpenSSL digest failed");
    kt_hex_encode(d, n, hex);
    return KT_OK;
}

kt_status kt_prov_digest_file(const uint8_t *data, size_t len, kt_prov_digests *out, kt_error *err) {
    kt_status st = digest(EVP_sha384(), data, len, out->sha384, err);
    if (st == KT_OK) st = digest(EVP_sha256(), data, len, out->sha256, err);
    return st;
}

/* Nested string member obj.a.b.c..., or NULL when any step is missing or not the right type. */
static const char *path_string(json_t *obj, const char *const *path, size_t n) {
    for (size_t i = 0; i < n && obj; i++) obj = json_is_object(obj) ? json_object_get(obj, path[i]) : NULL;
    return json_is_string(obj) ? json_string_value(obj) : NULL;
}

static void copy_field(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

/* 1 when every digest the subject carries of sha384/sha256 equals the file's and it carries one. */
static int subject_matches(json_t *subject, const kt_prov_digests *file) {
    json_t *set = json_object_get(subject, "digest");
    if (!json_is_object(set)) return 0;
    json_t *d384 = json_object_get(set, "sha384"), *d256 = json_object_get(set, "sha256");
    if (!d384 && !d256) return 0;
    if (d384 && (!json_is_string(d384) || strcmp(json_string_value(d384), file->sha384) != 0)) return 0;
    if (d256 && (!json_is_string(d256) || strcmp(json_string_value(d256), file->sha256) != 0)) return 0;
    return 1;
}

kt_status kt_prov_check_statement(const uint8_t *payload, size_t payload_len,
                                  const kt_prov_digests *file, const kt_prov_policy *policy,
                                  kt_prov_result *result, kt_error *err) {
    json_error_t jerr;
    json_t *st = json_loadb((const char *)payload, payload_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(st)) {
        json_decref(st);
        char msg[200];
        snprintf(msg, sizeof msg, "the payload is not a JSON object (%s)", st ? "other JSON" : jerr.text);
        return fail_reason(result, KT_PROV_STATEMENT, err, msg);
    }
    kt_status rc = KT_OK;
    const char *type = json_string_value(json_object_get(st, "_type"));
    json_t *subjects = json_object_get(st, "subject");
    const char *ptype = json_string_value(json_object_get(st, "predicateType"));
    json_t *predicate = json_object_get(st, "predicate");
    static const char *const commit_path[] = {"buildDefinition", "externalParameters", "source", "commit"};
    static const char *const builder_path[] = {"runDetails", "builder", "id"};
    copy_field(result->commit, sizeof result->commit, path_string(predicate, commit_path, 4));
    copy_field(result->builder, sizeof result->builder, path_string(predicate, builder_path, 3));

    if (!type || strcmp(type, KT_PROV_STATEMENT_TYPE_URI) != 0) {
        rc = fail_reason(result, KT_PROV_STATEMENT, err, "_type is not " KT_PROV_STATEMENT_TYPE_URI);
        goto out;
    }
    if (!json_is_array(subjects) || json_array_size(subjects) == 0) {
        rc = fail_reason(result, KT_PROV_STATEMENT, err, "the statement has no subject array");
        goto out;
    }
    if (!ptype || strcmp(ptype, KT_PROV_PREDICATE_TYPE_URI) != 0) {
        rc = fail_reason(result, KT_PROV_PREDICATE_TYPE, err, "predicateType is not " KT_PROV_PREDICATE_TYPE_URI);
        goto out;
    }
    if (!json_is_object(predicate)) {
        rc = fail_reason(result, KT_PROV_STATEMENT, err, "the statement has no predicate object");
        goto out;
    }
    size_t i;
    json_t *subject;
    int found = 0;
    json_array_foreach(subjects, i, subject) {
        if (json_is_object(subject) && subject_matches(subject, file)) {
            copy_field(result->subject_name, sizeof result->subject_name,
                       json_string_value(json_object_get(subject, "name")));
            found = 1;
            break;
        }
    }
    if (!found) {
        char msg[220];
        snprintf(msg, sizeof msg, "no subject has the file's digest (sha384 %.16s...)", file->sha384);
        rc = fail_reason(result, KT_PROV_SUBJECT, err, msg);
        goto out;
    }
    if (policy && policy->commit && strcasecmp(result->commit, policy->commit) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "the source commit is '%s', not %s", result->commit, policy->commit);
        rc = fail_reason(result, KT_PROV_COMMIT, err, msg);
        goto out;
    }
    if (policy && policy->builder && strcmp(result->builder, policy->builder) != 0) {
        char msg[420];
        snprintf(msg, sizeof msg, "builder.id is '%.180s', not %.180s", result->builder, policy->builder);
        rc = fail_reason(result, KT_PROV_BUILDER, err, msg);
        goto out;
    }
    result->reason = KT_PROV_OK;
out:
    json_decref(st);
    return rc;
}
