/*
 * Rendering a decoded report: readable text and the JSON of
 * docs/report-json.md. Both read only the decoded fields, so a report that
 * was re-decoded with kt_report_set_product renders with its new layout.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "katana_tee/report.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/jsonutil.h"

#define TEXT_MAX (256u * 1024u) /* a rendering is a few KB; this is a safety cap */

/* ---- shared wording ---------------------------------------------------------------- */

static const char *layout_name(const kt_tcb *t) {
    return t->has_fmc ? "Turin" : "Milan/Genoa";
}

static const char *product_source_name(kt_product_source src) {
    switch (src) {
    case KT_PRODUCT_FROM_CPUID: return "cpuid";
    case KT_PRODUCT_FROM_CHIP_ID: return "chip_id";
    case KT_PRODUCT_FROM_CALLER: return "caller";
    case KT_PRODUCT_FROM_NONE:
    default: return "none";
    }
}

/* R and S are stored little-endian; people compare them as big-endian integers. */
static void sig_be_hex(const uint8_t le[72], char out[2 * 48 + 1]) {
    uint8_t be[48];
    for (size_t i = 0; i < 48; i++)
        be[i] = le[47 - i];
    kt_hex_encode(be, sizeof be, out);
}

/* ---- text ---------------------------------------------------------------------------- */

typedef struct textbuf {
    kt_buf b;
    bool failed;
} textbuf;

static void tprintf(textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tprintf(textbuf *t, const char *fmt, ...) {
    if (t->failed)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if ((size_t)n < sizeof line) {
        if (!kt_buf_append(&t->b, line, (size_t)n))
            t->failed = true;
        return;
    }
    /* a long line (e.g. a flag word with every bit set): format again on the heap */
    char *big = malloc((size_t)n + 1);
    if (!big) {
        t->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (!kt_buf_append(&t->b, big, (size_t)n))
        t->failed = true;
    free(big);
}

static void thex(textbuf *t, const char *label, const uint8_t *bytes, size_t len) {
    char hex[2 * 64 + 1];
    kt_hex_encode(bytes, len, hex); /* every field rendered this way is <= 64 bytes */
    tprintf(t, "  %-20s %s\n", label, hex);
}

/* "NAME, NAME, unknown bit N" for the set bits of a flag word. */
static void flag_list(uint64_t word, const kt_bit_name *names, uint64_t known, unsigned first,
                      char *out, size_t cap) {
    size_t used = 0;
    out[0] = '\0';
    for (unsigned bit = first; bit < 64; bit++) {
        if (!(word >> bit & 1))
            continue;
        const char *name = NULL;
        for (const kt_bit_name *n = names; n->name; n++)
            if (n->bit == bit && (known >> bit & 1))
                name = n->name;
        char one[48];
        if (name)
            snprintf(one, sizeof one, "%s", name);
        else
            snprintf(one, sizeof one, "unknown bit %u", bit);
        int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", one);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
    if (!used)
        snprintf(out, cap, "(none)");
}

static void text_tcb(textbuf *t, const char *label, const kt_tcb *tcb) {
    if (tcb->has_fmc)
        tprintf(t, "  %-20s 0x%016llx: fmc %u, boot_loader %u, tee %u, snp %u, microcode %u\n",
                label, (unsigned long long)tcb->raw, tcb->fmc, tcb->boot_loader, tcb->tee,
                tcb->snp, tcb->microcode);
    else
        tprintf(t, "  %-20s 0x%016llx: boot_loader %u, tee %u, snp %u, microcode %u\n", label,
                (unsigned long long)tcb->raw, tcb->boot_loader, tcb->tee, tcb->snp,
                tcb->microcode);
}

static void text_product(textbuf *t, const kt_report *r) {
    const char *name = kt_product_name(r->product);
    switch (r->product_source) {
    case KT_PRODUCT_FROM_CPUID:
        tprintf(t, "  %-20s %s (from CPUID family 0x%02x, model 0x%02x)\n", "product", name,
                r->cpuid_fam_id, r->cpuid_mod_id);
        break;
    case KT_PRODUCT_FROM_CHIP_ID:
        tprintf(t, "  %-20s %s (from CHIP_ID: only Turin leaves bytes 8..63 zero)\n", "product",
                name);
        break;
    case KT_PRODUCT_FROM_CALLER:
        tprintf(t, "  %-20s %s (given by the caller)\n", "product", name);
        break;
    case KT_PRODUCT_FROM_NONE:
    default:
        if (r->has_cpuid)
            tprintf(t, "  %-20s %s (CPUID family 0x%02x, model 0x%02x not recognised)\n",
                    "product", name, r->cpuid_fam_id, r->cpuid_mod_id);
        else
            tprintf(t, "  %-20s %s (a version %u report does not name it; give a product hint)\n",
                    "product", name, (unsigned)r->version);
        break;
    }
}

kt_status kt_report_to_text(const kt_report *r, const kt_report_anomalies *anomalies, char **out,
                            kt_error *err) {
    if (!r || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "report text: missing argument");
    *out = NULL;
    textbuf t;
    kt_buf_init(&t.b, TEXT_MAX);
    t.failed = false;
    char list[64 * 24]; /* room for all 64 bits named */

    tprintf(&t, "SEV-SNP attestation report, version %u\n", (unsigned)r->version);

    tprintf(&t, "\nIdentity\n");
    text_product(&t, r);
    tprintf(&t, "  %-20s %u\n", "guest SVN", (unsigned)r->guest_svn);
    tprintf(&t, "  %-20s %u\n", "VMPL", (unsigned)r->vmpl);
    thex(&t, "family ID", r->family_id, sizeof r->family_id);
    thex(&t, "image ID", r->image_id, sizeof r->image_id);
    thex(&t, "report ID", r->report_id, sizeof r->report_id);
    thex(&t, "report ID (MA)", r->report_id_ma, sizeof r->report_id_ma);
    thex(&t, "chip ID", r->chip_id, sizeof r->chip_id);
    if (r->has_cpuid)
        tprintf(&t, "  %-20s family 0x%02x, model 0x%02x, stepping 0x%02x\n", "CPUID",
                r->cpuid_fam_id, r->cpuid_mod_id, r->cpuid_step);
    else
        tprintf(&t, "  %-20s absent (version %u)\n", "CPUID", (unsigned)r->version);

    tprintf(&t, "\nPolicy\n");
    tprintf(&t, "  %-20s 0x%016llx\n", "raw", (unsigned long long)r->policy);
    tprintf(&t, "  %-20s %u.%u\n", "ABI minimum", KT_POLICY_ABI_MAJOR(r->policy),
            KT_POLICY_ABI_MINOR(r->policy));
    flag_list(r->policy, kt_policy_bit_names(), KT_POLICY_KNOWN_BITS, 16, list, sizeof list);
    tprintf(&t, "  %-20s %s\n", "flags", list);
    tprintf(&t, "  %-20s %s\n", "debug", (r->policy & KT_POLICY_DEBUG) ? "allowed" : "not allowed");
    tprintf(&t, "  %-20s %s\n", "migration agent",
            (r->policy & KT_POLICY_MIGRATE_MA) ? "allowed" : "not allowed");
    tprintf(&t, "  %-20s %s\n", "SMT", (r->policy & KT_POLICY_SMT) ? "allowed" : "not allowed");

    tprintf(&t, "\nTCB (layout %s%s)\n", layout_name(&r->reported_tcb),
            r->product == KT_PRODUCT_UNKNOWN ? ", assumed: product unknown" : "");
    text_tcb(&t, "current", &r->current_tcb);
    text_tcb(&t, "reported", &r->reported_tcb);
    text_tcb(&t, "committed", &r->committed_tcb);
    text_tcb(&t, "launch", &r->launch_tcb);

    tprintf(&t, "\nPlatform\n");
    flag_list(r->platform_info, kt_platform_info_bit_names(), KT_PLATFORM_KNOWN_BITS, 0, list,
              sizeof list);
    tprintf(&t, "  %-20s 0x%016llx: %s\n", "platform info", (unsigned long long)r->platform_info,
            list);
    tprintf(&t, "  %-20s %u.%u.%u\n", "firmware current", r->current_major, r->current_minor,
            r->current_build);
    tprintf(&t, "  %-20s %u.%u.%u\n", "firmware committed", r->committed_major,
            r->committed_minor, r->committed_build);
    if (r->has_mit_vector) {
        tprintf(&t, "  %-20s 0x%016llx\n", "launch mit. vector",
                (unsigned long long)r->launch_mit_vector);
        tprintf(&t, "  %-20s 0x%016llx\n", "current mit. vector",
                (unsigned long long)r->current_mit_vector);
    } else {
        tprintf(&t, "  %-20s absent (version %u)\n", "mitigation vectors", (unsigned)r->version);
    }

    tprintf(&t, "\nDigests\n");
    thex(&t, "measurement", r->measurement, sizeof r->measurement);
    thex(&t, "host data", r->host_data, sizeof r->host_data);
    thex(&t, "ID key digest", r->id_key_digest, sizeof r->id_key_digest);
    thex(&t, "author key digest", r->author_key_digest, sizeof r->author_key_digest);
    thex(&t, "report data", r->report_data, sizeof r->report_data);

    tprintf(&t, "\nSignature\n");
    tprintf(&t, "  %-20s %u%s\n", "algorithm", (unsigned)r->signature_algo,
            r->signature_algo == KT_SIG_ALGO_ECDSA_P384_SHA384 ? " (ECDSA P-384 with SHA-384)"
                                                               : " (unsupported)");
    tprintf(&t, "  %-20s %s (%u)\n", "signing key", kt_signing_key_name(r->signing_key),
            r->signing_key);
    tprintf(&t, "  %-20s %s\n", "author key", r->author_key_en ? "enabled" : "not enabled");
    tprintf(&t, "  %-20s %s\n", "chip key masked", r->mask_chip_key ? "yes" : "no");
    tprintf(&t, "  %-20s 0x%08x\n", "signer info", (unsigned)r->signer_info);
    char sig[2 * 48 + 1];
    sig_be_hex(r->signature_r, sig);
    tprintf(&t, "  %-20s %s\n", "r (big-endian)", sig);
    sig_be_hex(r->signature_s, sig);
    tprintf(&t, "  %-20s %s\n", "s (big-endian)", sig);

    if (anomalies && anomalies->count) {
        tprintf(&t, "\nAnomalies (%zu%s)\n", anomalies->count,
                anomalies->truncated ? ", more not listed" : "");
        for (size_t i = 0; i < anomalies->count && i < KT_REPORT_MAX_ANOMALIES; i++)
            tprintf(&t, "  - %s\n", anomalies->items[i].text);
    }

    if (t.failed || !kt_buf_terminate(&t.b)) {
        kt_buf_free(&t.b);
        return kt_fail_oom(err);
    }
    *out = (char *)t.b.data;
    return KT_OK;
}

/* ---- JSON ------------------------------------------------------------------------------- */

typedef struct jctx {
    bool ok;
} jctx;

static void jset(jctx *c, json_t *obj, const char *key, json_t *value) {
    if (!value || json_object_set_new(obj, key, value) != 0)
        c->ok = false; /* json_object_set_new releases value on failure */
}

static json_t *ju64(uint64_t v) {
    char s[2 + 16 + 1];
    snprintf(s, sizeof s, "0x%016llx", (unsigned long long)v);
    return json_string(s);
}

/* Lowercased table name as the snake_case key. */
static void lower_key(const char *name, char *out, size_t cap) {
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    out[i] = '\0';
}

/* Add one boolean per named bit, then "unknown_bits", to o (which may be NULL). */
static json_t *jflags(jctx *c, json_t *o, uint64_t word, const kt_bit_name *names,
                      uint64_t known, unsigned first) {
    if (!o) {
        c->ok = false;
        return NULL;
    }
    for (const kt_bit_name *n = names; n->name; n++) {
        char key[48];
        lower_key(n->name, key, sizeof key);
        jset(c, o, key, json_boolean(word >> n->bit & 1));
    }
    json_t *unknown = json_array();
    for (unsigned bit = first; bit < 64 && unknown; bit++)
        if ((word >> bit & 1) && !(known >> bit & 1))
            if (json_array_append_new(unknown, json_integer(bit)) != 0)
                c->ok = false;
    jset(c, o, "unknown_bits", unknown);
    return o;
}

static json_t *jtcb(jctx *c, const kt_tcb *t) {
    json_t *o = json_object();
    if (!o) {
        c->ok = false;
        return NULL;
    }
    jset(c, o, "raw", ju64(t->raw));
    jset(c, o, "layout", json_string(t->has_fmc ? "turin" : "milan_genoa"));
    if (t->has_fmc)
        jset(c, o, "fmc", json_integer(t->fmc));
    jset(c, o, "boot_loader", json_integer(t->boot_loader));
    jset(c, o, "tee", json_integer(t->tee));
    jset(c, o, "snp", json_integer(t->snp));
    jset(c, o, "microcode", json_integer(t->microcode));
    return o;
}

static json_t *jversion(jctx *c, uint8_t major, uint8_t minor, uint8_t build) {
    char s[16];
    snprintf(s, sizeof s, "%u.%u.%u", major, minor, build);
    json_t *o = json_pack("{s:i, s:i, s:i, s:s}", "major", (int)major, "minor", (int)minor,
                          "build", (int)build, "text", s);
    if (!o)
        c->ok = false;
    return o;
}

kt_status kt_report_to_json(const kt_report *r, const kt_report_anomalies *anomalies, char **out,
                            kt_error *err) {
    if (!r || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "report JSON: missing argument");
    *out = NULL;
    jctx c = {true};
    json_t *o = json_object();
    if (!o)
        return kt_fail_oom(err);

    jset(&c, o, "version", json_integer(r->version));
    jset(&c, o, "product", json_string(kt_product_name(r->product)));
    jset(&c, o, "product_source", json_string(product_source_name(r->product_source)));
    jset(&c, o, "guest_svn", json_integer(r->guest_svn));
    json_t *policy = json_object();
    if (policy) {
        jset(&c, policy, "raw", ju64(r->policy));
        jset(&c, policy, "abi_major", json_integer(KT_POLICY_ABI_MAJOR(r->policy)));
        jset(&c, policy, "abi_minor", json_integer(KT_POLICY_ABI_MINOR(r->policy)));
    }
    jset(&c, o, "policy",
         jflags(&c, policy, r->policy, kt_policy_bit_names(), KT_POLICY_KNOWN_BITS, 16));
    jset(&c, o, "family_id", kt_json_hex(r->family_id, sizeof r->family_id));
    jset(&c, o, "image_id", kt_json_hex(r->image_id, sizeof r->image_id));
    jset(&c, o, "vmpl", json_integer(r->vmpl));
    jset(&c, o, "signature_algo", json_integer(r->signature_algo));
    jset(&c, o, "current_tcb", jtcb(&c, &r->current_tcb));
    json_t *platform = json_object();
    if (platform)
        jset(&c, platform, "raw", ju64(r->platform_info));
    jset(&c, o, "platform_info",
         jflags(&c, platform, r->platform_info, kt_platform_info_bit_names(),
                KT_PLATFORM_KNOWN_BITS, 0));
    jset(&c, o, "signer_info",
         json_pack("{s:I, s:b, s:b, s:i, s:s}", "raw", (json_int_t)r->signer_info,
                   "author_key_en", (int)r->author_key_en, "mask_chip_key", (int)r->mask_chip_key,
                   "signing_key", (int)r->signing_key, "signing_key_name",
                   kt_signing_key_name(r->signing_key)));
    jset(&c, o, "report_data", kt_json_hex(r->report_data, sizeof r->report_data));
    jset(&c, o, "measurement", kt_json_hex(r->measurement, sizeof r->measurement));
    jset(&c, o, "host_data", kt_json_hex(r->host_data, sizeof r->host_data));
    jset(&c, o, "id_key_digest", kt_json_hex(r->id_key_digest, sizeof r->id_key_digest));
    jset(&c, o, "author_key_digest", kt_json_hex(r->author_key_digest, sizeof r->author_key_digest));
    jset(&c, o, "report_id", kt_json_hex(r->report_id, sizeof r->report_id));
    jset(&c, o, "report_id_ma", kt_json_hex(r->report_id_ma, sizeof r->report_id_ma));
    jset(&c, o, "reported_tcb", jtcb(&c, &r->reported_tcb));
    jset(&c, o, "cpuid",
         r->has_cpuid ? json_pack("{s:i, s:i, s:i}", "family", (int)r->cpuid_fam_id, "model",
                                  (int)r->cpuid_mod_id, "stepping", (int)r->cpuid_step)
                      : json_null());
    jset(&c, o, "chip_id", kt_json_hex(r->chip_id, sizeof r->chip_id));
    jset(&c, o, "committed_tcb", jtcb(&c, &r->committed_tcb));
    jset(&c, o, "current_version",
         jversion(&c, r->current_major, r->current_minor, r->current_build));
    jset(&c, o, "committed_version",
         jversion(&c, r->committed_major, r->committed_minor, r->committed_build));
    jset(&c, o, "launch_tcb", jtcb(&c, &r->launch_tcb));
    jset(&c, o, "launch_mit_vector", r->has_mit_vector ? ju64(r->launch_mit_vector) : json_null());
    jset(&c, o, "current_mit_vector",
         r->has_mit_vector ? ju64(r->current_mit_vector) : json_null());
    json_t *sig = json_object();
    if (sig) {
        jset(&c, sig, "algorithm", json_integer(r->signature_algo));
        jset(&c, sig, "r", kt_json_hex(r->signature_r, sizeof r->signature_r));
        jset(&c, sig, "s", kt_json_hex(r->signature_s, sizeof r->signature_s));
    }
    jset(&c, o, "signature", sig);
    json_t *list = json_array();
    if (list && anomalies) {
        for (size_t i = 0; i < anomalies->count && i < KT_REPORT_MAX_ANOMALIES; i++) {
            json_t *a = json_pack("{s:s, s:s}", "status", kt_status_name(anomalies->items[i].status),
                                  "message", anomalies->items[i].text);
            if (!a || json_array_append_new(list, a) != 0)
                c.ok = false;
        }
    }
    jset(&c, o, "anomalies", list);
    jset(&c, o, "anomalies_truncated", json_boolean(anomalies && anomalies->truncated));

    char *text = c.ok ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        return kt_fail_oom(err);
    *out = text;
    return KT_OK;
}

void kt_string_free(char *s) {
    free(s);
}
