/* The policy file: JSON, every field optional, unknown keys rejected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "azure/azure_internal.h"
#include "katana_tee/hex.h"
#include "util/error.h"
#include "verify/internal.h"

static kt_status want_bool(json_t *v, const char *key, const char *what, bool *out,
                           kt_error *err) {
    if (!json_is_boolean(v))
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be true or false", what, key);
    *out = json_is_true(v);
    return KT_OK;
}

static kt_status want_uint(json_t *v, const char *key, const char *what, json_int_t max,
                           json_int_t *out, kt_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be an integer from 0 to %lld", what, key,
                       (long long)max);
    *out = json_integer_value(v);
    return KT_OK;
}

static kt_status want_hex(json_t *v, const char *key, const char *what, uint8_t *out,
                          size_t len, kt_error *err) {
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be a hex string of %zu bytes", what, key,
                       len);
    char name[96];
    snprintf(name, sizeof name, "%s: \"%s\"", what, key);
    return kt_hex_decode_exact(json_string_value(v), json_string_length(v), out, len, name, err);
}

static kt_status want_tcb(json_t *v, const char *key, const char *what, kt_tcb_min *out,
                          kt_error *err) {
    if (!json_is_object(v))
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be an object of TCB components", what,
                       key);
    if (json_object_size(v) == 0)
        return kt_fail(err, KT_E_PARSE,
                       "%s: \"%s\" is empty: it would constrain nothing (leave the key out)",
                       what, key);
    kt_tcb_min m = {-1, -1, -1, -1, -1};
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        int *slot = strcmp(k, "boot_loader") == 0 ? &m.boot_loader
                    : strcmp(k, "tee") == 0       ? &m.tee
                    : strcmp(k, "snp") == 0       ? &m.snp
                    : strcmp(k, "microcode") == 0 ? &m.microcode
                    : strcmp(k, "fmc") == 0       ? &m.fmc
                                                  : NULL;
        if (!slot)
            return kt_fail(err, KT_E_PARSE,
                           "%s: \"%s\" has unknown component \"%s\" (boot_loader, tee, snp, "
                           "microcode, fmc)",
                           what, key, k);
        json_int_t n = 0;
        kt_status st = want_uint(x, k, what, 255, &n, err);
        if (st != KT_OK)
            return st;
        *slot = (int)n;
    }
    *out = m;
    return KT_OK;
}

/* "1.55.29" (major.minor.build) or "1.51" (major.minor). */
static kt_status want_version(json_t *v, const char *key, const char *what, int parts,
                              uint8_t out[3], kt_error *err) {
    unsigned a = 0, b = 0, c = 0;
    int n = 0, used = 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s)
        n = parts == 3 ? sscanf(s, "%3u.%3u.%3u%n", &a, &b, &c, &used)
                       : sscanf(s, "%3u.%3u%n", &a, &b, &used);
    if (!s || n != parts || s[used] != '\0' || a > 255 || b > 255 || c > 255)
        return kt_fail(err, KT_E_PARSE, "%s: \"%s\" must be a string like \"%s\"", what, key,
                       parts == 3 ? "1.55.29" : "1.51");
    out[0] = (uint8_t)a;
    out[1] = (uint8_t)b;
    out[2] = (uint8_t)c;
    return KT_OK;
}

static kt_status want_platform_bits(json_t *v, const char *key, const char *what, uint64_t *out,
                                    kt_error *err) {
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = (uint64_t)json_integer_value(v);
        return KT_OK;
    }
    if (json_is_integer(v) || (json_is_array(v) && json_array_size(v) == 0))
        return kt_fail(err, KT_E_PARSE,
                       "%s: \"%s\" names no bit: it would constrain nothing (leave the key out)",
                       what, key);
    if (!json_is_array(v))
        return kt_fail(err, KT_E_PARSE,
                       "%s: \"%s\" must be a list of PLATFORM_INFO bit names or a number", what,
                       key);
    uint64_t bits = 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        const char *name = json_string_value(x);
        /* AMD's ABI names bit 4 CIPHERTEXT_HIDING_DRAM_EN; the report decoder's short
         * name CIPHERTEXT_HIDING_EN is accepted as well. */
        if (name && strcmp(name, "CIPHERTEXT_HIDING_DRAM_EN") == 0)
            name = "CIPHERTEXT_HIDING_EN";
        const kt_bit_name *b = kt_platform_info_bit_names();
        while (b->name && (!name || strcmp(b->name, name) != 0))
            b++;
        if (!b->name)
            return kt_fail(err, KT_E_PARSE, "%s: \"%s\": unknown PLATFORM_INFO bit \"%s\"", what,
                           key, name ? name : "(not a string)");
        bits |= 1ULL << b->bit;
    }
    *out = bits;
    return KT_OK;
}

static kt_status apply_key(kt_policy *p, const char *k, json_t *v, const char *what,
                           kt_error *err) {
    json_int_t n = 0;
    uint8_t ver[3] = {0, 0, 0};
    kt_status st;
    if (strcmp(k, "measurements") == 0) {
        if (!json_is_array(v) || json_array_size(v) > KT_POLICY_MAX_MEASUREMENTS)
            return kt_fail(err, KT_E_PARSE, "%s: \"measurements\" must be a list of at most %d "
                           "hex digests", what, KT_POLICY_MAX_MEASUREMENTS);
        if (json_array_size(v) == 0)
            return kt_fail(err, KT_E_PARSE,
                           "%s: \"measurements\" is an empty allow-list: no measurement could "
                           "pass (leave the key out to not check it)",
                           what);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            st = want_hex(x, "measurements", what, p->measurements[i], 48, err);
            if (st != KT_OK)
                return st;
        }
        p->measurement_count = json_array_size(v);
        return KT_OK;
    }
    if (strcmp(k, "allow_debug") == 0)
        return want_bool(v, k, what, &p->allow_debug, err);
    if (strcmp(k, "allow_migration_agent") == 0)
        return want_bool(v, k, what, &p->allow_migrate_ma, err);
    if (strcmp(k, "allow_smt") == 0)
        return want_bool(v, k, what, &p->allow_smt, err);
    if (strcmp(k, "allow_unknown_policy_bits") == 0)
        return want_bool(v, k, what, &p->allow_unknown_policy_bits, err);
    if (strcmp(k, "require_single_socket") == 0)
        return want_bool(v, k, what, &p->require_single_socket, err);
    if (strcmp(k, "require_crl") == 0)
        return want_bool(v, k, what, &p->require_crl, err);
    if (strcmp(k, "signer") == 0) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, "vcek") == 0)
            p->signer = KT_SIGNER_REQUIRE_VCEK;
        else if (s && strcmp(s, "vlek") == 0)
            p->signer = KT_SIGNER_REQUIRE_VLEK;
        else if (s && strcmp(s, "either") == 0)
            p->signer = KT_SIGNER_EITHER;
        else
            return kt_fail(err, KT_E_PARSE, "%s: \"signer\" must be \"vcek\", \"vlek\" or \"either\"",
                           what);
        return KT_OK;
    }
    struct {
        const char *key;
        bool *flag;
        uint8_t *dst;
        size_t len;
    } hexes[] = {
        {"host_data", &p->has_host_data, p->host_data, 32},
        {"id_key_digest", &p->has_id_key_digest, p->id_key_digest, 48},
        {"author_key_digest", &p->has_author_key_digest, p->author_key_digest, 48},
        {"family_id", &p->has_family_id, p->family_id, 16},
        {"image_id", &p->has_image_id, p->image_id, 16},
        {"report_id", &p->has_report_id, p->report_id, 32},
        {"chip_id", &p->has_chip_id, p->chip_id, 64},
    };
    for (size_t i = 0; i < sizeof hexes / sizeof hexes[0]; i++) {
        if (strcmp(k, hexes[i].key) == 0) {
            st = want_hex(v, k, what, hexes[i].dst, hexes[i].len, err);
            *hexes[i].flag = st == KT_OK;
            return st;
        }
    }
    if (strcmp(k, "min_guest_svn") == 0) {
        st = want_uint(v, k, what, 0xffffffffLL, &n, err);
        p->has_min_guest_svn = st == KT_OK;
        p->min_guest_svn = (uint32_t)n;
        return st;
    }
    if (strcmp(k, "min_tcb") == 0) {
        st = want_tcb(v, k, what, &p->min_tcb, err);
        p->has_min_tcb = st == KT_OK;
        return st;
    }
    if (strcmp(k, "min_launch_tcb") == 0) {
        st = want_tcb(v, k, what, &p->min_launch_tcb, err);
        p->has_min_launch_tcb = st == KT_OK;
        return st;
    }
    if (strcmp(k, "min_firmware") == 0) {
        st = want_version(v, k, what, 3, ver, err);
        p->has_min_firmware = st == KT_OK;
        p->min_fw_major = ver[0];
        p->min_fw_minor = ver[1];
        p->min_fw_build = ver[2];
        return st;
    }
    if (strcmp(k, "min_abi") == 0) {
        st = want_version(v, k, what, 2, ver, err);
        p->has_min_abi = st == KT_OK;
        p->min_abi_major = ver[0];
        p->min_abi_minor = ver[1];
        return st;
    }
    if (strcmp(k, "vmpl") == 0) {
        st = want_uint(v, k, what, 3, &n, err);
        p->has_vmpl_exact = st == KT_OK;
        p->vmpl_exact = (uint32_t)n;
        return st;
    }
    if (strcmp(k, "max_vmpl") == 0) {
        st = want_uint(v, k, what, 3, &n, err);
        p->has_vmpl_max = st == KT_OK;
        p->vmpl_max = (uint32_t)n;
        return st;
    }
    if (strcmp(k, "required_platform_info") == 0)
        return want_platform_bits(v, k, what, &p->required_platform_bits, err);
    if (strcmp(k, "forbidden_platform_info") == 0)
        return want_platform_bits(v, k, what, &p->forbidden_platform_bits, err);
    if (strcmp(k, "pcrs") == 0) /* Azure evidence: pinned vTPM PCR values */
        return kt_azure_policy_pcrs(v, p, err);
    if (strcmp(k, "max_report_age") == 0)
        return kt_fail(err, KT_E_UNSUPPORTED,
                       "%s: \"max_report_age\" cannot be checked: SEV-SNP reports carry no time "
                       "(bind freshness through the report data instead)",
                       what);
    return kt_fail(err, KT_E_PARSE, "%s: unknown policy key \"%s\" (see docs/verification.md)",
                   what, k);
}

kt_status kt_policy_parse_json(const char *text, size_t len, const char *what, kt_policy *policy,
                               kt_error *err) {
    if (!text || !policy)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_policy_parse_json: bad argument");
    if (!what)
        what = "policy";
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kt_fail(err, KT_E_PARSE, "%s: invalid JSON at line %d column %d: %s", what,
                       jerr.line, jerr.column, jerr.text);
    kt_policy p;
    kt_policy_init(&p);
    kt_status st = KT_OK;
    if (!json_is_object(root)) {
        st = kt_fail(err, KT_E_PARSE, "%s: a policy is a JSON object", what);
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
            st = apply_key(&p, k, v, what, err);
            if (st != KT_OK)
                break;
        }
    }
    json_decref(root);
    if (st == KT_OK && (st = kt_policy_validate(&p, KT_PRODUCT_UNKNOWN, err)) != KT_OK)
        kt_fail_context(err, st, "%s", what);
    if (st == KT_OK)
        *policy = p;
    return st;
}
