/* Bundle encoding helpers: canonical JSON text, its digest, strict base64. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bundle/bundle_internal.h"
#include "katana_tee/hex.h"
#include "util/error.h"

char *kt_bundle_canonical(const json_t *doc) {
    char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

kt_status kt_bundle_digest(const json_t *doc, char hex[65], kt_error *err) {
    json_t *copy = json_copy((json_t *)doc); /* shallow: members shared, the object is new */
    if (!copy)
        return kt_fail_oom(err);
    json_object_del(copy, "content_sha256");
    char *text = kt_bundle_canonical(copy);
    json_decref(copy);
    if (!text)
        return kt_fail_oom(err);
    uint8_t md[32];
    unsigned mdlen = 0;
    int ok = EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
    free(text);
    if (!ok || mdlen != 32)
        return kt_fail(err, KT_E_INTERNAL, "SHA-256 failed");
    kt_hex_encode(md, 32, hex);
    return KT_OK;
}

char *kt_bundle_b64(const uint8_t *bytes, size_t len) {
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, bytes, (int)len);
    return out;
}

kt_status kt_bundle_unb64(const char *text, const char *what, uint8_t **out, size_t *len,
                          kt_error *err) {
    *out = NULL;
    *len = 0;
    size_t n = strlen(text);
    if (n % 4 != 0 || n > (size_t)INT32_MAX / 2)
        return kt_fail(err, KT_E_PARSE, "%s: base64 length %zu is not a multiple of 4", what, n);
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/';
        if (c == '=' && i >= n - 2) {
            pad++;
            continue;
        }
        if (!alpha || pad)
            return kt_fail(err, KT_E_PARSE, "%s: not canonical base64 at offset %zu", what, i);
    }
    uint8_t *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return kt_fail_oom(err);
    int got = n ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n) : 0;
    if (got < 0 || (size_t)got < pad) {
        free(buf);
        return kt_fail(err, KT_E_PARSE, "%s: invalid base64", what);
    }
    size_t m = (size_t)got - pad;
    /* Canonical: re-encoding gives the same text (no stray bits in the last group). */
    char *again = kt_bundle_b64(buf, m);
    bool same = again && strcmp(again, text) == 0;
    free(again);
    if (!same) {
        free(buf);
        return kt_fail(err, KT_E_PARSE, "%s: base64 is not in canonical form", what);
    }
    *out = buf;
    *len = m;
    return KT_OK;
}

/* A TCB minimum as an object of the components that are set. */
static json_t *tcb_min_json(const kt_tcb_min *m) {
    json_t *o = json_object();
    const int vals[5] = {m->boot_loader, m->tee, m->snp, m->microcode, m->fmc};
    static const char *const names[5] = {"boot_loader", "tee", "snp", "microcode", "fmc"};
    for (int i = 0; o && i < 5; i++)
        if (vals[i] >= 0)
            json_object_set_new(o, names[i], json_integer(vals[i]));
    return o;
}

static void set_hex(json_t *o, const char *key, const uint8_t *bytes, size_t n) {
    char hex[129];
    kt_hex_encode(bytes, n, hex);
    json_object_set_new(o, key, json_string(hex));
}

json_t *kt_bundle_policy_json(const kt_policy *p) {
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "allow_debug", json_boolean(p->allow_debug));
    json_object_set_new(o, "allow_migration_agent", json_boolean(p->allow_migrate_ma));
    json_object_set_new(o, "allow_smt", json_boolean(p->allow_smt));
    json_object_set_new(o, "allow_unknown_policy_bits", json_boolean(p->allow_unknown_policy_bits));
    json_object_set_new(o, "require_single_socket", json_boolean(p->require_single_socket));
    json_object_set_new(o, "require_crl", json_boolean(p->require_crl));
    json_object_set_new(o, "signer", json_string(p->signer == KT_SIGNER_REQUIRE_VCEK   ? "vcek"
                                                 : p->signer == KT_SIGNER_REQUIRE_VLEK ? "vlek"
                                                                                       : "either"));
    /* Lists and bit sets appear only when they constrain something: the policy reader refuses
     * an empty one (it would constrain nothing), so the bundle must not write one. */
    if (p->measurement_count) {
        json_t *ms = json_array();
        for (size_t i = 0; ms && i < p->measurement_count && i < KT_POLICY_MAX_MEASUREMENTS;
             i++) {
            char hex[97];
            kt_hex_encode(p->measurements[i], 48, hex);
            json_array_append_new(ms, json_string(hex));
        }
        json_object_set_new(o, "measurements", ms);
    }
    if (p->has_host_data)
        set_hex(o, "host_data", p->host_data, 32);
    if (p->has_id_key_digest)
        set_hex(o, "id_key_digest", p->id_key_digest, 48);
    if (p->has_author_key_digest)
        set_hex(o, "author_key_digest", p->author_key_digest, 48);
    if (p->has_family_id)
        set_hex(o, "family_id", p->family_id, 16);
    if (p->has_image_id)
        set_hex(o, "image_id", p->image_id, 16);
    if (p->has_report_id)
        set_hex(o, "report_id", p->report_id, 32);
    if (p->has_chip_id)
        set_hex(o, "chip_id", p->chip_id, 64);
    if (p->has_min_guest_svn)
        json_object_set_new(o, "min_guest_svn", json_integer(p->min_guest_svn));
    if (p->has_min_tcb)
        json_object_set_new(o, "min_tcb", tcb_min_json(&p->min_tcb));
    if (p->has_min_launch_tcb)
        json_object_set_new(o, "min_launch_tcb", tcb_min_json(&p->min_launch_tcb));
    char v[16];
    if (p->has_min_firmware) {
        snprintf(v, sizeof v, "%u.%u.%u", p->min_fw_major, p->min_fw_minor, p->min_fw_build);
        json_object_set_new(o, "min_firmware", json_string(v));
    }
    if (p->has_min_abi) {
        snprintf(v, sizeof v, "%u.%u", p->min_abi_major, p->min_abi_minor);
        json_object_set_new(o, "min_abi", json_string(v));
    }
    if (p->has_vmpl_exact)
        json_object_set_new(o, "vmpl", json_integer(p->vmpl_exact));
    if (p->has_vmpl_max)
        json_object_set_new(o, "max_vmpl", json_integer(p->vmpl_max));
    if (p->required_platform_bits)
        json_object_set_new(o, "required_platform_info",
                            json_integer((json_int_t)p->required_platform_bits));
    if (p->forbidden_platform_bits)
        json_object_set_new(o, "forbidden_platform_info",
                            json_integer((json_int_t)p->forbidden_platform_bits));
    if (p->pcr_mask) { /* Azure evidence: pinned vTPM PCR values, as the policy file says them */
        json_t *pcrs = json_object();
        for (unsigned i = 0; pcrs && i < 24; i++) {
            if (!(p->pcr_mask & 1u << i))
                continue;
            char key[4], hex[65];
            snprintf(key, sizeof key, "%u", i);
            kt_hex_encode(p->pcr_values[i], 32, hex);
            json_object_set_new(pcrs, key, json_string(hex));
        }
        json_object_set_new(o, "pcrs", pcrs);
    }
    return o;
}

const char *kt_bundle_trust_name(kt_trust t) {
    return t == KT_TRUST_AMD ? "amd" : t == KT_TRUST_CALLER_ROOT ? "caller_root" : "none";
}

void kt_bundle_free_fields(kt_bundle *b) {
    free(b->report);
    kt_certs_free(&b->certs);
    for (size_t i = 0; i < b->root_count; i++) {
        free(b->root_bytes[i]);
        free(b->root_label[i]);
    }
    if (b->launch)
        json_decref(b->launch);
    kt_v1_attestation_free(&b->v1_att);
    kt_v1_attestation_free(&b->v1_prev);
}
