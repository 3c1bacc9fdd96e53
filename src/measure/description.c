/*
 * Launch descriptions: a JSON object with the CLI's options, so that a
 * verifier can keep "what launch do I expect" in one file next to the
 * images it names.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "measure/measure_internal.h"
#include "util/error.h"
#include "util/fileio.h"

#define MAX_DESCRIPTION (1u << 20)

enum kind { K_STRING, K_INT, K_AUTO_INT };

struct key {
    const char *name;
    enum kind kind;
    size_t str_off;  /* offsetof the const char * field (K_STRING) */
    size_t int_off;  /* offsetof the uint64_t field */
    size_t has_off;  /* offsetof the bool field */
    uint64_t max;
};

#define S(n, f) {n, K_STRING, offsetof(kt_measure_args, f), 0, 0, 0}
#define I(n, f, h, kind, max) {n, kind, 0, offsetof(kt_measure_args, f), offsetof(kt_measure_args, h), max}

static const struct key KEYS[] = {
    S("mode", mode),
    I("vcpus", vcpus, has_vcpus, K_INT, UINT32_MAX),
    S("vcpu_type", vcpu_type),
    I("vcpu_sig", vcpu_sig, has_vcpu_sig, K_AUTO_INT, UINT32_MAX),
    I("vcpu_family", family, has_family, K_INT, UINT32_MAX),
    I("vcpu_model", model, has_model, K_INT, UINT32_MAX),
    I("vcpu_stepping", stepping, has_stepping, K_INT, UINT32_MAX),
    S("vmm_type", vmm_type),
    S("ovmf", ovmf),
    S("kernel", kernel),
    S("initrd", initrd),
    S("append", append),
    I("guest_features", guest_features, has_guest_features, K_AUTO_INT, UINT64_MAX),
    S("snp_ovmf_hash", snp_ovmf_hash),
    S("svsm", svsm),
    I("vars_size", vars_size, has_vars_size, K_INT, UINT64_MAX),
    S("vars_file", vars_file),
};

static kt_status set_key(const struct key *k, json_t *v, kt_measure_args *a, const char *path,
                         kt_error *err) {
    char *base = (char *)a;
    if (k->kind == K_STRING) {
        if (!json_is_string(v))
            return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be a string", path, k->name);
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v))
            return kt_fail(err, KT_E_PARSE, "%s: \"%s\" contains a NUL character", path, k->name);
        memcpy(base + k->str_off, &s, sizeof s);
        return KT_OK;
    }
    uint64_t value;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || (uint64_t)n > k->max)
            return kt_fail(err, KT_E_RANGE, "%s: \"%s\" = %lld is out of range", path, k->name,
                           (long long)n);
        value = (uint64_t)n;
    } else if (json_is_string(v)) {
        char what[96];
        snprintf(what, sizeof what, "%s: \"%s\"", path, k->name);
        kt_status st = kt_measure_parse_int(json_string_value(v), k->kind == K_AUTO_INT, k->max,
                                            &value, what, err);
        if (st != KT_OK)
            return st;
    } else {
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be an integer or a string", path,
                       k->name);
    }
    memcpy(base + k->int_off, &value, sizeof value);
    bool yes = true;
    memcpy(base + k->has_off, &yes, sizeof yes);
    return KT_OK;
}

kt_status kt_measure_from_description(const char *path, uint8_t digest[KT_MEASURE_DIGEST_SIZE],
                                      kt_error *err) {
    if (!path || !digest)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_measure_from_description: missing argument");
    uint8_t *text = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(path, MAX_DESCRIPTION, &text, &len, err);
    if (st != KT_OK)
        return st;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!root)
        return kt_fail(err, KT_E_PARSE, "%s: line %d column %d: %s", path, jerr.line, jerr.column,
                       jerr.text);
    char *dir = NULL;
    kt_measure_args a;
    memset(&a, 0, sizeof a);
    a.mode = "snp";
    a.opt_prefix = "";
    if (!json_is_object(root)) {
        st = kt_fail(err, KT_E_PARSE, "%s: a launch description is a JSON object", path);
        goto out;
    }
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v) {
        const struct key *k = NULL;
        for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
            if (strcmp(name, KEYS[i].name) == 0)
                k = &KEYS[i];
        if (!k) {
            st = kt_fail(err, KT_E_PARSE, "%s: unknown key \"%s\"", path, name);
            goto out;
        }
        if ((st = set_key(k, v, &a, path, err)) != KT_OK)
            goto out;
    }
    kt_measure_mode mode;
    if ((st = kt_measure_mode_parse(a.mode, &mode, err)) != KT_OK) {
        kt_fail_context(err, st, "%s", path);
        goto out;
    }
    if (mode != KT_MEASURE_SNP && mode != KT_MEASURE_SNP_SVSM) {
        st = kt_fail(err, KT_E_UNSUPPORTED,
                     "%s: mode \"%s\" does not give an SNP launch measurement (use snp or "
                     "snp:svsm)",
                     path, a.mode);
        goto out;
    }
    /* Paths are relative to the description's folder. */
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        dir = malloc(n + 2);
        if (!dir) {
            st = kt_fail_oom(err);
            goto out;
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (n == 0)
            strcpy(dir, "/");
        a.base_dir = dir;
    }
    kt_measure_launch l;
    if ((st = kt_measure_launch_prepare(&a, &l, err)) != KT_OK) {
        kt_fail_context(err, st, "%s", path);
        goto out;
    }
    uint8_t out[KT_MEASURE_DIGEST_SIZE];
    size_t n = 0;
    st = kt_measure(&l.opts, out, &n, err);
    kt_measure_launch_free(&l);
    if (st != KT_OK) {
        kt_fail_context(err, st, "%s", path);
        goto out;
    }
    memcpy(digest, out, KT_MEASURE_DIGEST_SIZE);
out:
    free(dir);
    json_decref(root);
    return st;
}
