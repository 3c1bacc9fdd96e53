/*
 * The simulator's sim.json: writing the configuration of a kt_sim and
 * reading it back, strictly (unknown members, out-of-range numbers and
 * malformed hex are refused with the member named). Keys and certificates
 * are not here: see sim.c (the lifecycle).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "katana_tee/hex.h"
#include "sim/sim_internal.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/jsonutil.h"

#define CONFIG_MAX (64 * 1024)

/* ---- sim.json ---- */

static json_t *u64_kt_json_hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    return json_string(buf);
}

kt_status kt_sim_config_write(const kt_sim *s, kt_error *err) {
    const kt_sim_report_cfg *r = &s->report;
    json_t *tcb = json_object();
    if (tcb && s->product == KT_PRODUCT_TURIN)
        json_object_set_new(tcb, "fmc", json_integer(s->tcb.fmc));
    if (tcb) {
        json_object_set_new(tcb, "bl", json_integer(s->tcb.boot_loader));
        json_object_set_new(tcb, "tee", json_integer(s->tcb.tee));
        json_object_set_new(tcb, "snp", json_integer(s->tcb.snp));
        json_object_set_new(tcb, "ucode", json_integer(s->tcb.microcode));
    }
    json_t *report = json_pack(
        "{s:i, s:o, s:i, s:i, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}",
        "version", (json_int_t)r->version, "policy", u64_kt_json_hex(r->policy), "vmpl",
        (json_int_t)r->vmpl, "guest_svn", (json_int_t)r->guest_svn, "platform_info",
        u64_kt_json_hex(r->platform_info), "author_key_en", r->author_key_en, "measurement",
        kt_json_hex(r->measurement, 48), "host_data", kt_json_hex(r->host_data, 32), "family_id",
        kt_json_hex(r->family_id, 16), "image_id", kt_json_hex(r->image_id, 16), "id_key_digest",
        kt_json_hex(r->id_key_digest, 48), "author_key_digest", kt_json_hex(r->author_key_digest, 48),
        "firmware", "major", (json_int_t)r->major, "minor", (json_int_t)r->minor, "build",
        (json_int_t)r->build, "cpuid", "family", (json_int_t)r->cpuid_fam, "model",
        (json_int_t)r->cpuid_mod, "stepping", (json_int_t)r->cpuid_step);
    json_t *o = (tcb && report)
                    ? json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:o}", "format", KT_SIM_FORMAT,
                                "product", kt_sim_product_path(s->product), "signer",
                                kt_sim_signer_name(s->signer), "chip_id",
                                kt_json_hex(s->chip_id, 64), "tcb", tcb, "not_before",
                                (json_int_t)s->not_before, "report", report)
                    : NULL;
    if (!o) {
        json_decref(tcb);
        json_decref(report);
        return kt_fail_oom(err);
    }
    if (s->signer == KT_SIM_SIGNER_VLEK)
        json_object_set_new(o, "csp_id", json_string(s->csp_id));
    if (s->seed_len)
        json_object_set_new(o, "seed", kt_json_hex(s->seed, s->seed_len));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return kt_fail_oom(err);
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room only for the NUL: rewrite it */
    char *path = kt_sim_path(s->dir, KT_SIM_CONFIG);
    kt_status st = path ? kt_file_write_atomic(path, text, n + 1, 0644, err) : kt_fail_oom(err);
    free(path);
    free(text);
    return st;
}

/* Readers for sim.json members; `what` names the member in errors. */
static kt_status cfg_uint(json_t *v, const char *what, uint64_t max, uint64_t *out,
                          kt_error *err) {
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || (uint64_t)i > max)
            return kt_fail(err, KT_E_RANGE, "sim.json: %s %lld is out of range (0..%llu)", what,
                           (long long)i, (unsigned long long)max);
        *out = (uint64_t)i;
        return KT_OK;
    }
    if (json_is_string(v)) {
        const char *t = json_string_value(v);
        errno = 0;
        char *end = NULL;
        unsigned long long u = strtoull(t, &end, 0);
        if (!t[0] || t[0] == '-' || errno || *end)
            return kt_fail(err, KT_E_PARSE, "sim.json: %s '%s' is not a number", what, t);
        if (u > max)
            return kt_fail(err, KT_E_RANGE, "sim.json: %s %s is out of range", what, t);
        *out = u;
        return KT_OK;
    }
    return kt_fail(err, KT_E_PARSE, "sim.json: %s must be a number", what);
}

static kt_status cfg_hex(json_t *v, const char *what, uint8_t *out, size_t len, kt_error *err) {
    if (!json_is_string(v))
        return kt_fail(err, KT_E_PARSE, "sim.json: %s must be a hex string", what);
    char label[48];
    snprintf(label, sizeof label, "sim.json %s", what);
    return kt_hex_decode_exact(json_string_value(v), json_string_length(v), out, len, label, err);
}

static kt_status cfg_u8(json_t *v, const char *what, uint8_t *out, kt_error *err) {
    uint64_t u;
    kt_status st = cfg_uint(v, what, 255, &u, err);
    if (st == KT_OK)
        *out = (uint8_t)u;
    return st;
}

static kt_status cfg_u32(json_t *v, const char *what, uint32_t max, uint32_t *out,
                         kt_error *err) {
    uint64_t u;
    kt_status st = cfg_uint(v, what, max, &u, err);
    if (st == KT_OK)
        *out = (uint32_t)u;
    return st;
}

static kt_status load_triple(json_t *o, const char *what, const char *const names[3],
                             uint8_t *const dst[3], kt_error *err) {
    if (!json_is_object(o))
        return kt_fail(err, KT_E_PARSE, "sim.json: report.%s must be an object", what);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < 3 && strcmp(key, names[i]) != 0)
            i++;
        if (i == 3)
            return kt_fail(err, KT_E_PARSE, "sim.json: unknown member report.%s.%s", what, key);
        char label[48];
        snprintf(label, sizeof label, "report.%s.%s", what, key);
        kt_status st = cfg_u8(v, label, dst[i], err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

static kt_status load_report_cfg(json_t *o, kt_sim_report_cfg *r, kt_error *err) {
    if (!json_is_object(o))
        return kt_fail(err, KT_E_PARSE, "sim.json: report must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        kt_status st;
        if (strcmp(key, "version") == 0) {
            st = cfg_u32(v, "report.version", KT_REPORT_MAX_VERSION, &r->version, err);
            if (st == KT_OK && r->version < KT_REPORT_MIN_VERSION)
                st = kt_fail(err, KT_E_RANGE, "sim.json: report.version %u is below 2",
                             r->version);
        } else if (strcmp(key, "policy") == 0)
            st = cfg_uint(v, "report.policy", UINT64_MAX, &r->policy, err);
        else if (strcmp(key, "vmpl") == 0)
            st = cfg_u32(v, "report.vmpl", 3, &r->vmpl, err);
        else if (strcmp(key, "guest_svn") == 0)
            st = cfg_u32(v, "report.guest_svn", UINT32_MAX, &r->guest_svn, err);
        else if (strcmp(key, "platform_info") == 0)
            st = cfg_uint(v, "report.platform_info", UINT64_MAX, &r->platform_info, err);
        else if (strcmp(key, "author_key_en") == 0) {
            st = json_is_boolean(v) ? KT_OK
                                    : kt_fail(err, KT_E_PARSE,
                                              "sim.json: report.author_key_en must be a boolean");
            r->author_key_en = json_is_true(v);
        } else if (strcmp(key, "measurement") == 0)
            st = cfg_hex(v, "report.measurement", r->measurement, 48, err);
        else if (strcmp(key, "host_data") == 0)
            st = cfg_hex(v, "report.host_data", r->host_data, 32, err);
        else if (strcmp(key, "family_id") == 0)
            st = cfg_hex(v, "report.family_id", r->family_id, 16, err);
        else if (strcmp(key, "image_id") == 0)
            st = cfg_hex(v, "report.image_id", r->image_id, 16, err);
        else if (strcmp(key, "id_key_digest") == 0)
            st = cfg_hex(v, "report.id_key_digest", r->id_key_digest, 48, err);
        else if (strcmp(key, "author_key_digest") == 0)
            st = cfg_hex(v, "report.author_key_digest", r->author_key_digest, 48, err);
        else if (strcmp(key, "firmware") == 0) {
            static const char *const names[3] = {"major", "minor", "build"};
            uint8_t *const dst[3] = {&r->major, &r->minor, &r->build};
            st = load_triple(v, "firmware", names, dst, err);
        } else if (strcmp(key, "cpuid") == 0) {
            static const char *const names[3] = {"family", "model", "stepping"};
            uint8_t *const dst[3] = {&r->cpuid_fam, &r->cpuid_mod, &r->cpuid_step};
            st = load_triple(v, "cpuid", names, dst, err);
        } else
            st = kt_fail(err, KT_E_PARSE, "sim.json: unknown member report.%s", key);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

static kt_status load_tcb(json_t *o, kt_product product, kt_tcb *tcb, kt_error *err) {
    if (!json_is_object(o))
        return kt_fail(err, KT_E_PARSE, "sim.json: tcb must be an object");
    memset(tcb, 0, sizeof *tcb);
    bool seen[5] = {false};
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        uint8_t *dst;
        int idx;
        if (strcmp(key, "bl") == 0)
            dst = &tcb->boot_loader, idx = 0;
        else if (strcmp(key, "tee") == 0)
            dst = &tcb->tee, idx = 1;
        else if (strcmp(key, "snp") == 0)
            dst = &tcb->snp, idx = 2;
        else if (strcmp(key, "ucode") == 0)
            dst = &tcb->microcode, idx = 3;
        else if (strcmp(key, "fmc") == 0 && product == KT_PRODUCT_TURIN)
            dst = &tcb->fmc, idx = 4;
        else
            return kt_fail(err, KT_E_PARSE, "sim.json: unknown member tcb.%s for %s", key,
                           kt_sim_product_path(product));
        char label[16];
        snprintf(label, sizeof label, "tcb.%s", key);
        kt_status st = cfg_u8(v, label, dst, err);
        if (st != KT_OK)
            return st;
        seen[idx] = true;
    }
    if (!seen[0] || !seen[1] || !seen[2] || !seen[3] ||
        (product == KT_PRODUCT_TURIN && !seen[4]))
        return kt_fail(err, KT_E_PARSE, "sim.json: tcb must give bl, tee, snp, ucode%s",
                       product == KT_PRODUCT_TURIN ? " and fmc" : "");
    kt_sim_tcb_fix(tcb, product);
    return KT_OK;
}

/* Parse sim.json into s (everything but keys and certificates). */
kt_status kt_sim_config_load(kt_sim *s, kt_error *err) {
    char *path = kt_sim_path(s->dir, KT_SIM_CONFIG);
    if (!path)
        return kt_fail_oom(err);
    uint8_t *text = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(path, CONFIG_MAX, &text, &len, err);
    free(path);
    if (st != KT_OK)
        return st;
    json_error_t jerr;
    json_t *o = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!o)
        return kt_fail(err, KT_E_PARSE, "sim.json: line %d: %s", jerr.line, jerr.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return kt_fail(err, KT_E_PARSE, "sim.json: not a JSON object");
    }
    static const char *const required[] = {"format", "product", "signer", "chip_id", "tcb",
                                           "not_before"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!json_object_get(o, required[i])) {
            json_decref(o);
            return kt_fail(err, KT_E_PARSE, "sim.json: member %s is missing", required[i]);
        }
    }
    const char *key;
    json_t *v;
    st = KT_OK;
    /* product first: the tcb and report defaults depend on it */
    json_t *pv = json_object_get(o, "product");
    if (!json_is_string(pv) || kt_product_parse(json_string_value(pv), &s->product, err) != KT_OK)
        st = kt_fail(err, KT_E_PARSE, "sim.json: product must be Milan, Genoa or Turin");
    if (st == KT_OK)
        kt_sim_report_cfg_default(s->product, &s->report);
    strcpy(s->csp_id, KT_SIM_DEFAULT_CSP_ID);
    json_object_foreach(o, key, v) {
        if (st != KT_OK)
            break;
        if (strcmp(key, "format") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), KT_SIM_FORMAT) != 0)
                st = kt_fail(err, KT_E_UNSUPPORTED, "sim.json: format is not %s",
                             KT_SIM_FORMAT);
        } else if (strcmp(key, "product") == 0) {
            /* done above */
        } else if (strcmp(key, "signer") == 0) {
            const char *t = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(t, "vcek") == 0)
                s->signer = KT_SIM_SIGNER_VCEK;
            else if (strcmp(t, "vlek") == 0)
                s->signer = KT_SIM_SIGNER_VLEK;
            else
                st = kt_fail(err, KT_E_PARSE, "sim.json: signer must be vcek or vlek");
        } else if (strcmp(key, "chip_id") == 0) {
            st = cfg_hex(v, "chip_id", s->chip_id, 64, err);
        } else if (strcmp(key, "tcb") == 0) {
            st = load_tcb(v, s->product, &s->tcb, err);
        } else if (strcmp(key, "not_before") == 0) {
            if (!json_is_integer(v))
                st = kt_fail(err, KT_E_PARSE, "sim.json: not_before must be Unix seconds");
            else
                s->not_before = (int64_t)json_integer_value(v);
        } else if (strcmp(key, "seed") == 0) {
            size_t n = json_is_string(v) ? json_string_length(v) : 0;
            if (n == 0 || n % 2 || n > 128)
                st = kt_fail(err, KT_E_PARSE, "sim.json: seed must be 1..64 bytes of hex");
            else
                st = cfg_hex(v, "seed", s->seed, n / 2, err);
            s->seed_len = st == KT_OK ? n / 2 : 0;
        } else if (strcmp(key, "csp_id") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) >= KT_SIM_CSP_ID_MAX)
                st = kt_fail(err, KT_E_PARSE, "sim.json: csp_id must be a short string");
            else
                strcpy(s->csp_id, json_string_value(v));
        } else if (strcmp(key, "report") == 0) {
            st = load_report_cfg(v, &s->report, err);
        } else {
            st = kt_fail(err, KT_E_PARSE, "sim.json: unknown member %s", key);
        }
    }
    json_decref(o);
    if (st == KT_OK && s->product == KT_PRODUCT_TURIN) {
        for (size_t i = 8; i < 64; i++)
            if (s->chip_id[i])
                return kt_fail(err, KT_E_PARSE,
                               "sim.json: Turin chip_id has non-zero bytes after the first 8");
    }
    return st;
}

