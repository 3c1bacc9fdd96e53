/* Strict JSON readers and writers shared by the v1 answers (see v1_json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit/v1_json.h"
#include "util/error.h"

kt_status kt_v1j_load(const char *text, size_t len, const char *what, json_t **doc,
                      const json_t **result, kt_error *err) {
    *doc = NULL;
    *result = NULL;
    if (!text)
        return kt_fail(err, KT_E_INVALID_ARG, "%s: missing text", what);
    if (len > KT_V1J_MAX_TEXT)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu bytes of JSON is more than the %zu allowed",
                       what, len, KT_V1J_MAX_TEXT);
    json_error_t je;
    json_t *d = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!d)
        return kt_fail(err, KT_E_PARSE, "%s: not JSON (line %d: %s)", what, je.line, je.text);
    if (!json_is_object(d)) {
        json_decref(d);
        return kt_fail(err, KT_E_PARSE, "%s: not a JSON object", what);
    }
    *doc = d;
    if (!json_object_get(d, "jsonrpc")) {
        *result = d;
        return KT_OK;
    }
    /* a whole JSON-RPC response */
    static const char *const envelope[] = {"jsonrpc", "id", "result", "error"};
    static const char *const need[] = {"jsonrpc", "id"};
    kt_status st = kt_v1j_keys(d, what, envelope, 4, need, 2, err);
    if (st != KT_OK)
        return st;
    const json_t *e = json_object_get(d, "error");
    const json_t *r = json_object_get(d, "result");
    if (e && r)
        return kt_fail(err, KT_E_PARSE, "%s: JSON-RPC response has both result and error", what);
    if (e) {
        const char *msg = json_string_value(json_object_get(e, "message"));
        const json_t *code = json_object_get(e, "code");
        return kt_fail(err, KT_E_HTTP, "%s: the node answered error %lld: %.200s", what,
                       json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
                       msg ? msg : "(no message)");
    }
    if (!json_is_object(r))
        return kt_fail(err, KT_E_PARSE, "%s: JSON-RPC response has no result object", what);
    *result = r;
    return KT_OK;
}

kt_status kt_v1j_parse(const char *text, size_t len, const char *what, kt_v1j_reader read,
                       void *out, kt_error *err) {
    json_t *doc;
    const json_t *result;
    kt_status st = kt_v1j_load(text, len, what, &doc, &result, err);
    if (st == KT_OK)
        st = read(result, out, err);
    json_decref(doc);
    return st;
}

kt_status kt_v1j_keys(const json_t *obj, const char *what, const char *const *allowed,
                      size_t n_allowed, const char *const *required, size_t n_required,
                      kt_error *err) {
    if (!json_is_object(obj))
        return kt_fail(err, KT_E_PARSE, "%s: not a JSON object", what);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        bool known = false;
        for (size_t i = 0; i < n_allowed && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return kt_fail(err, KT_E_PARSE, "%s: unknown key \"%.64s\"", what, key);
    }
    for (size_t i = 0; i < n_required; i++)
        if (!json_object_get(obj, required[i]))
            return kt_fail(err, KT_E_PARSE, "%s: missing key \"%s\"", what, required[i]);
    return KT_OK;
}

kt_status kt_v1j_felt(const json_t *value, const char *what, kt_felt *out, kt_error *err) {
    const char *s = json_string_value(value);
    if (!s)
        return kt_fail(err, KT_E_PARSE, "%s: expected a 0x-hex felt string", what);
    size_t len = json_string_length(value);
    if (len < 3 || s[0] != '0' || s[1] != 'x')
        return kt_fail(err, KT_E_PARSE, "%s: \"%.80s\" is not 0x-prefixed hex", what, s);
    if (len > 66)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu hex digits is more than a felt", what,
                       len - 2);
    for (size_t i = 2; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return kt_fail(err, KT_E_PARSE,
                           "%s: \"%.80s\" is not canonical (lowercase hex digits only)", what, s);
    if (s[2] == '0' && len > 3)
        return kt_fail(err, KT_E_PARSE, "%s: \"%.80s\" is not canonical (leading zero)", what, s);
    return kt_felt_parse(s, len, out, what, err);
}

kt_status kt_v1j_felt_key(const json_t *obj, const char *key, const char *where, kt_felt *out,
                          kt_error *err) {
    char what[128];
    snprintf(what, sizeof what, "%s.%s", where, key);
    return kt_v1j_felt(json_object_get(obj, key), what, out, err);
}

kt_status kt_v1j_felt_list(const json_t *value, const char *what, kt_felt **out, size_t *n,
                           kt_error *err) {
    *out = NULL;
    *n = 0;
    if (!json_is_array(value))
        return kt_fail(err, KT_E_PARSE, "%s: expected an array of felts", what);
    size_t count = json_array_size(value);
    if (count > KT_V1J_MAX_LIST)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu items is more than the %zu allowed", what,
                       count, KT_V1J_MAX_LIST);
    if (count == 0)
        return KT_OK;
    kt_felt *xs = calloc(count, sizeof *xs);
    if (!xs)
        return kt_fail_oom(err);
    for (size_t i = 0; i < count; i++) {
        char item[160];
        snprintf(item, sizeof item, "%s[%zu]", what, i);
        kt_status st = kt_v1j_felt(json_array_get(value, i), item, &xs[i], err);
        if (st != KT_OK) {
            free(xs);
            return st;
        }
    }
    *out = xs;
    *n = count;
    return KT_OK;
}

kt_status kt_v1j_uint(const json_t *value, const char *what, uint64_t max, uint64_t *out,
                      kt_error *err) {
    if (!json_is_integer(value))
        return kt_fail(err, KT_E_PARSE, "%s: expected a JSON integer", what);
    json_int_t v = json_integer_value(value);
    if (v < 0 || (uint64_t)v > max)
        return kt_fail(err, KT_E_RANGE, "%s: %lld is outside 0..%llu", what, (long long)v,
                       (unsigned long long)max);
    *out = (uint64_t)v;
    return KT_OK;
}

json_t *kt_v1j_felt_value(const kt_felt *f) {
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(f, hex);
    return json_string(hex);
}

json_t *kt_v1j_felt_array(const kt_felt *xs, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, kt_v1j_felt_value(&xs[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

bool kt_v1j_set(json_t *obj, const char *key, json_t *value) {
    return value && json_object_set_new(obj, key, value) == 0;
}

kt_status kt_v1j_dump(json_t *value, char **out, kt_error *err) {
    *out = value ? json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    return *out ? KT_OK : kt_fail_oom(err);
}
