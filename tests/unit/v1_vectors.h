/* Helpers for the schema-v1 tests: felts and lists out of katana-v1.json. */
#ifndef KT_TEST_V1_VECTORS_H
#define KT_TEST_V1_VECTORS_H

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "katana_tee/felt.h"

static inline kt_felt v1_felt(const char *s) {
    kt_felt f = {{0, 0, 0, 0}};
    kt_error err = {0};
    if (!s || kt_felt_parse(s, strlen(s), &f, "vector felt", &err) != KT_OK)
        fail_msg("bad vector felt %s: %s", s ? s : "(null)", err.message);
    return f;
}

static inline kt_felt v1_key(json_t *obj, const char *key) {
    return v1_felt(json_string_value(json_object_get(obj, key)));
}

/* an array of felt strings -> calloc'd felts (one extra slot, never NULL) */
static inline kt_felt *v1_list(json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    kt_felt *xs = calloc(*n + 1, sizeof *xs);
    assert_non_null(xs);
    for (size_t i = 0; i < *n; i++)
        xs[i] = v1_felt(json_string_value(json_array_get(arr, i)));
    return xs;
}

static inline void v1_expect(const kt_felt *got, const char *want, const char *name) {
    char hex[KT_FELT_HEX_MAX];
    kt_felt_to_hex(got, hex);
    if (!want || strcmp(hex, want) != 0)
        fail_msg("%s: got %s, want %s", name, hex, want ? want : "(null)");
}

static inline const char *v1_name(json_t *c) {
    const char *n = json_string_value(json_object_get(c, "name"));
    return n ? n : "(unnamed)";
}

/* The section of katana-v1.json, checking its case count. */
static inline json_t *v1_section(json_t *doc, const char *name, size_t count) {
    json_t *s = json_object_get(doc, name);
    if (json_array_size(s) != count)
        fail_msg("section %s: %zu cases, expected %zu", name, json_array_size(s), count);
    return s;
}

#endif
