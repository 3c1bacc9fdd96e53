/* Simulator: creating, loading and configuring a simulator directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "katana_tee/hex.h"
#include "sim/sim_internal.h"
#include "util/error.h"
#include "util/fileio.h"

#define CERT_MAX (64 * 1024)

/* ---- file names ---- */

static const char *ca_base(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "asvk" : "ask";
}

static const char *leaf_base(kt_sim_signer s) {
    return s == KT_SIM_SIGNER_VLEK ? "vlek" : "vcek";
}

static char *file_path(const char *dir, const char *base, const char *ext) {
    char name[32];
    snprintf(name, sizeof name, "%s%s", base, ext);
    return kt_sim_path(dir, name);
}

/* ---- seed derivations ---- */

/* SHA-512(label || 0 || seed): independent values from one seed. */
static kt_status derive(const char *label, const uint8_t *seed, size_t seed_len,
                        uint8_t out[64], kt_error *err) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha512(), NULL) == 1 &&
              EVP_DigestUpdate(md, label, strlen(label) + 1) == 1 &&
              EVP_DigestUpdate(md, seed, seed_len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1;
    EVP_MD_CTX_free(md);
    if (!ok || n != 64)
        return kt_fail(err, KT_E_INTERNAL, "simulator: SHA-512 failed");
    return KT_OK;
}

static kt_status random_bytes(uint8_t *out, size_t len, kt_error *err) {
    if (RAND_bytes(out, (int)len) != 1) {
        ERR_clear_error();
        return kt_fail(err, KT_E_INTERNAL, "simulator: random number generator failed");
    }
    return KT_OK;
}

/* ---- keys and certificates on disk ---- */

static kt_status check_key_type(const char *path, EVP_PKEY *k, bool rsa, kt_error *err) {
    if (rsa) {
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) != 4096)
            return kt_fail(err, KT_E_CERT_FORMAT, "%s is not an RSA-4096 key", path);
    } else {
        char group[32] = "";
        size_t glen = 0;
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
            !EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &glen) ||
            strcmp(group, "secp384r1") != 0) {
            ERR_clear_error();
            return kt_fail(err, KT_E_CERT_FORMAT, "%s is not an ECDSA P-384 key", path);
        }
    }
    return KT_OK;
}

typedef enum { KEY_LOAD, KEY_LOAD_OR_NEW, KEY_NEW } key_mode;

/* Load the key at dir/base.key, or generate (and store) a new one. */
static kt_status get_key(const char *dir, const char *base, bool rsa, key_mode mode,
                         EVP_PKEY **out, kt_error *err) {
    char *path = file_path(dir, base, ".key");
    if (!path)
        return kt_fail_oom(err);
    kt_status st;
    if (mode == KEY_LOAD || (mode == KEY_LOAD_OR_NEW && access(path, F_OK) == 0)) {
        st = kt_sim_read_key(path, out, err);
        if (st == KT_OK && (st = check_key_type(path, *out, rsa, err)) != KT_OK) {
            EVP_PKEY_free(*out);
            *out = NULL;
        }
    } else {
        st = rsa ? kt_sim_gen_rsa4096(out, err) : kt_sim_gen_p384(out, err);
        if (st == KT_OK && (st = kt_sim_write_key(path, *out, err)) != KT_OK) {
            EVP_PKEY_free(*out);
            *out = NULL;
        }
    }
    free(path);
    return st;
}

static kt_status write_cert(const char *dir, const char *base, X509 *cert, char **pem_out,
                            kt_error *err) {
    uint8_t *der = NULL;
    size_t der_len = 0;
    char *pem = NULL;
    size_t pem_len = 0;
    char *dpath = file_path(dir, base, ".der");
    char *ppath = file_path(dir, base, ".pem");
    kt_status st = (dpath && ppath) ? KT_OK : kt_fail_oom(err);
    if (st == KT_OK)
        st = kt_sim_cert_der(cert, &der, &der_len, err);
    if (st == KT_OK)
        st = kt_sim_cert_pem(cert, &pem, &pem_len, err);
    if (st == KT_OK)
        st = kt_file_write_atomic(dpath, der, der_len, 0644, err);
    if (st == KT_OK)
        st = kt_file_write_atomic(ppath, pem, pem_len, 0644, err);
    free(der);
    free(dpath);
    free(ppath);
    if (st == KT_OK && pem_out)
        *pem_out = pem;
    else
        free(pem);
    return st;
}

static kt_status read_cert(const char *dir, const char *base, X509 **cert, uint8_t **der,
                           size_t *der_len, kt_error *err) {
    char *path = file_path(dir, base, ".der");
    if (!path)
        return kt_fail_oom(err);
    kt_status st = kt_file_read(path, CERT_MAX, der, der_len, err);
    if (st == KT_OK) {
        const unsigned char *p = *der;
        *cert = d2i_X509(NULL, &p, (long)*der_len);
        if (!*cert || p != *der + *der_len) {
            ERR_clear_error();
            X509_free(*cert);
            *cert = NULL;
            st = kt_fail(err, KT_E_PARSE, "%s is not a DER certificate", path);
        }
    }
    free(path);
    return st;
}

/* Is dir missing (created then), empty, or a previous simulator dir? */
static kt_status prepare_dir(const char *dir, bool reuse, bool *was_sim, kt_error *err) {
    *was_sim = false;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            return kt_fail(err, KT_E_IO, "cannot open %s: %s", dir, strerror(errno));
        if (mkdir(dir, 0700) != 0)
            return kt_fail(err, KT_E_IO, "cannot create %s: %s", dir, strerror(errno));
        return KT_OK;
    }
    bool empty = true;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    closedir(d);
    if (empty)
        return KT_OK;
    char *cfg = kt_sim_path(dir, KT_SIM_CONFIG);
    if (!cfg)
        return kt_fail_oom(err);
    bool has_cfg = access(cfg, F_OK) == 0;
    free(cfg);
    if (reuse && has_cfg) {
        *was_sim = true;
        return KT_OK;
    }
    if (has_cfg)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "%s is already a simulator directory (reuse its keys with --reuse-keys, "
                       "or choose an empty directory)",
                       dir);
    return kt_fail(err, KT_E_INVALID_ARG, "%s exists and is not empty", dir);
}

static void free_sim_parts(kt_sim *s) {
    EVP_PKEY_free(s->ark_key);
    EVP_PKEY_free(s->ca_key);
    EVP_PKEY_free(s->leaf_key);
    X509_free(s->ark);
    X509_free(s->ca);
    X509_free(s->leaf);
    free(s->ark_der);
    free(s->ca_der);
    free(s->leaf_der);
    free(s->dir);
    kt_wipe(s, sizeof *s);
}

kt_status kt_sim_init(const char *dir, const kt_sim_init_opts *opts, kt_error *err) {
    if (!dir || !*dir || !opts)
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: missing directory or options");
    kt_sim s;
    memset(&s, 0, sizeof s);
    s.product = opts->product == KT_PRODUCT_UNKNOWN ? KT_PRODUCT_MILAN : opts->product;
    if (s.product != KT_PRODUCT_MILAN && s.product != KT_PRODUCT_GENOA &&
        s.product != KT_PRODUCT_TURIN)
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: unknown product %d", (int)opts->product);
    if (opts->signer != KT_SIM_SIGNER_VCEK && opts->signer != KT_SIM_SIGNER_VLEK)
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: unknown signer %d", (int)opts->signer);
    s.signer = opts->signer;
    if (opts->seed_len > sizeof s.seed || (opts->seed_len && !opts->seed))
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: the seed must be 1..64 bytes");
    if (opts->report_version &&
        (opts->report_version < KT_REPORT_MIN_VERSION || opts->report_version > KT_REPORT_MAX_VERSION))
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: report version %u is not 2..5",
                       opts->report_version);
    if (opts->has_chip_id && s.product == KT_PRODUCT_TURIN) {
        for (size_t i = 8; i < 64; i++)
            if (opts->chip_id[i])
                return kt_fail(err, KT_E_INVALID_ARG,
                               "sim init: a Turin chip id is 8 bytes (bytes 8..63 must be zero)");
    }
    if (opts->has_tcb && s.product != KT_PRODUCT_TURIN && opts->tcb.fmc)
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: fmc exists only on Turin");
    const char *csp = opts->csp_id ? opts->csp_id : KT_SIM_DEFAULT_CSP_ID;
    if (!*csp || strlen(csp) >= KT_SIM_CSP_ID_MAX)
        return kt_fail(err, KT_E_INVALID_ARG, "sim init: cspID must be 1..%d characters",
                       KT_SIM_CSP_ID_MAX - 1);
    for (const char *c = csp; *c; c++)
        if ((unsigned char)*c > 0x7e || (unsigned char)*c < 0x20)
            return kt_fail(err, KT_E_INVALID_ARG, "sim init: cspID must be printable ASCII");

    bool was_sim = false;
    kt_status st = prepare_dir(dir, opts->reuse_keys, &was_sim, err);
    if (st != KT_OK)
        return st;
    s.dir = strdup(dir);
    if (!s.dir)
        return kt_fail_oom(err);
    strcpy(s.csp_id, csp);

    /* chip id: given, kept from the previous sim dir, seeded, or random */
    bool have_chip = false;
    if (opts->has_chip_id) {
        memcpy(s.chip_id, opts->chip_id, 64);
        have_chip = true;
    } else if (was_sim) {
        kt_sim old;
        memset(&old, 0, sizeof old);
        old.dir = s.dir;
        if (kt_sim_config_load(&old, NULL) == KT_OK && old.product == s.product) {
            memcpy(s.chip_id, old.chip_id, 64);
            have_chip = true;
        }
        old.dir = NULL;
        kt_wipe(&old, sizeof old);
    }
    if (opts->seed_len) {
        memcpy(s.seed, opts->seed, opts->seed_len);
        s.seed_len = opts->seed_len;
    }
    if (!have_chip) {
        st = s.seed_len ? derive("katana-tee sim chip-id", s.seed, s.seed_len, s.chip_id, err)
                        : random_bytes(s.chip_id, 64, err);
        if (st != KT_OK)
            goto done;
    }
    if (s.product == KT_PRODUCT_TURIN)
        memset(s.chip_id + 8, 0, 56);

    s.tcb = opts->has_tcb ? opts->tcb : kt_sim_default_tcb(s.product);
    kt_sim_tcb_fix(&s.tcb, s.product);
    s.not_before = opts->has_not_before ? opts->not_before : (int64_t)time(NULL);
    kt_sim_report_cfg_default(s.product, &s.report);
    if (opts->report_version)
        s.report.version = opts->report_version;
    if (opts->has_policy)
        s.report.policy = opts->policy;
    if (opts->measurement)
        memcpy(s.report.measurement, opts->measurement, 48);
    if (opts->host_data)
        memcpy(s.report.host_data, opts->host_data, 32);

    /* keys, then the chain, then sim.json last: it marks the dir complete */
    key_mode km = was_sim ? KEY_LOAD_OR_NEW : KEY_NEW;
    if ((st = get_key(dir, "ark", true, km, &s.ark_key, err)) != KT_OK ||
        (st = get_key(dir, ca_base(s.signer), true, km, &s.ca_key, err)) != KT_OK ||
        (st = get_key(dir, leaf_base(s.signer), false, km, &s.leaf_key, err)) != KT_OK)
        goto done;
    if ((st = kt_sim_make_ark(s.product, s.ark_key, s.not_before, &s.ark, err)) != KT_OK ||
        (st = kt_sim_make_ca(s.product, s.signer, s.ark, s.ark_key, s.ca_key, s.not_before, &s.ca,
                             err)) != KT_OK ||
        (st = kt_sim_make_leaf(s.product, s.signer, s.ca, s.ca_key, s.leaf_key, s.chip_id, &s.tcb,
                               s.csp_id, s.not_before,
                               kt_sim_add_years(s.not_before, kt_sim_leaf_years(s.signer)),
                               &s.leaf, err)) != KT_OK)
        goto done;
    if (was_sim) {
        /* a re-issue may switch signer: drop the other signer's certificates */
        const char *stale[] = {"ask.pem", "ask.der", "vcek.pem", "vcek.der",
                               "asvk.pem", "asvk.der", "vlek.pem", "vlek.der"};
        size_t first = s.signer == KT_SIM_SIGNER_VLEK ? 0 : 4;
        for (size_t i = first; i < first + 4; i++) {
            char *p = kt_sim_path(dir, stale[i]);
            if (p)
                unlink(p);
            free(p);
        }
    }
    char *ark_pem = NULL, *ca_pem = NULL;
    if ((st = write_cert(dir, "ark", s.ark, &ark_pem, err)) == KT_OK &&
        (st = write_cert(dir, ca_base(s.signer), s.ca, &ca_pem, err)) == KT_OK &&
        (st = write_cert(dir, leaf_base(s.signer), s.leaf, NULL, err)) == KT_OK) {
        size_t a = strlen(ca_pem), b = strlen(ark_pem);
        char *chain = malloc(a + b + 1);
        char *path = kt_sim_path(dir, "cert_chain.pem");
        if (chain && path) {
            memcpy(chain, ca_pem, a);
            memcpy(chain + a, ark_pem, b + 1);
            st = kt_file_write_atomic(path, chain, a + b, 0644, err);
        } else {
            st = kt_fail_oom(err);
        }
        free(chain);
        free(path);
    }
    free(ark_pem);
    free(ca_pem);
    if (st == KT_OK)
        st = kt_sim_config_write(&s, err);
done:
    free_sim_parts(&s);
    return st;
}

/* ---- loading ---- */

static kt_status check_pair(const char *dir, const char *what, X509 *cert, EVP_PKEY *key,
                            kt_error *err) {
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        return kt_fail(err, KT_E_CERT_FORMAT, "%s: the %s key does not match its certificate",
                       dir, what);
    }
    return KT_OK;
}

static kt_status check_issued(const char *dir, const char *what, X509 *cert, X509 *issuer,
                              kt_error *err) {
    EVP_PKEY *pub = X509_get0_pubkey(issuer);
    if (!pub || X509_verify(cert, pub) != 1 ||
        X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0) {
        ERR_clear_error();
        return kt_fail(err, KT_E_CHAIN, "%s: the %s certificate is not issued by its parent", dir,
                       what);
    }
    return KT_OK;
}

kt_status kt_sim_open(const char *dir, kt_sim **out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, "sim: missing output");
    *out = NULL;
    if (!dir || !*dir)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "sim: no simulator directory given (make one with 'katana-tee sim init')");
    kt_sim *s = calloc(1, sizeof *s);
    if (!s)
        return kt_fail_oom(err);
    s->dir = strdup(dir);
    if (!s->dir) {
        free(s);
        return kt_fail_oom(err);
    }
    kt_status st = kt_sim_config_load(s, err);
    const char *cab = ca_base(s->signer), *lfb = leaf_base(s->signer);
    if (st == KT_OK)
        st = get_key(dir, "ark", true, KEY_LOAD, &s->ark_key, err);
    if (st == KT_OK)
        st = get_key(dir, cab, true, KEY_LOAD, &s->ca_key, err);
    if (st == KT_OK)
        st = get_key(dir, lfb, false, KEY_LOAD, &s->leaf_key, err);
    if (st == KT_OK)
        st = read_cert(dir, "ark", &s->ark, &s->ark_der, &s->ark_der_len, err);
    if (st == KT_OK)
        st = read_cert(dir, cab, &s->ca, &s->ca_der, &s->ca_der_len, err);
    if (st == KT_OK)
        st = read_cert(dir, lfb, &s->leaf, &s->leaf_der, &s->leaf_der_len, err);
    if (st == KT_OK)
        st = check_pair(dir, "ARK", s->ark, s->ark_key, err);
    if (st == KT_OK)
        st = check_pair(dir, cab, s->ca, s->ca_key, err);
    if (st == KT_OK)
        st = check_pair(dir, lfb, s->leaf, s->leaf_key, err);
    if (st == KT_OK)
        st = check_issued(dir, "ARK", s->ark, s->ark, err);
    if (st == KT_OK)
        st = check_issued(dir, cab, s->ca, s->ark, err);
    if (st == KT_OK)
        st = check_issued(dir, lfb, s->leaf, s->ca, err);
    if (st == KT_OK) {
        uint8_t id[64];
        st = s->seed_len ? derive("katana-tee sim report-id", s->seed, s->seed_len, id, err)
                         : random_bytes(id, 32, err);
        memcpy(s->report_id, id, 32);
    }
    if (st != KT_OK) {
        free_sim_parts(s);
        free(s);
        return kt_fail_context(err, st, "sim %s", dir);
    }
    *out = s;
    return KT_OK;
}

void kt_sim_free(kt_sim **sim) {
    if (!sim || !*sim)
        return;
    free_sim_parts(*sim);
    free(*sim);
    *sim = NULL;
}

void kt_sim_get_info(const kt_sim *sim, kt_sim_info *out) {
    memset(out, 0, sizeof *out);
    out->product = sim->product;
    out->signer = sim->signer;
    memcpy(out->chip_id, sim->chip_id, 64);
    out->tcb = sim->tcb;
    out->ark_der = sim->ark_der;
    out->ark_der_len = sim->ark_der_len;
    out->ca_der = sim->ca_der;
    out->ca_der_len = sim->ca_der_len;
    out->leaf_der = sim->leaf_der;
    out->leaf_der_len = sim->leaf_der_len;
    out->ark_serial = kt_sim_ark_serial(sim->product);
    out->ca_serial = kt_sim_ca_serial(sim->product, sim->signer);
    memcpy(out->report_id, sim->report_id, 32);
}

void kt_sim_params_default(const kt_sim *sim, kt_sim_params *out) {
    const kt_sim_report_cfg *r = &sim->report;
    memset(out, 0, sizeof *out);
    out->version = r->version;
    out->guest_svn = r->guest_svn;
    out->policy = r->policy;
    memcpy(out->family_id, r->family_id, 16);
    memcpy(out->image_id, r->image_id, 16);
    out->vmpl = r->vmpl;
    out->platform_info = r->platform_info;
    out->author_key_en = r->author_key_en;
    memcpy(out->measurement, r->measurement, 48);
    memcpy(out->host_data, r->host_data, 32);
    memcpy(out->id_key_digest, r->id_key_digest, 48);
    memcpy(out->author_key_digest, r->author_key_digest, 48);
    memset(out->report_id_ma, 0xFF, 32);
    out->current_tcb = out->reported_tcb = out->committed_tcb = out->launch_tcb = sim->tcb.raw;
    out->cpuid_fam_id = r->cpuid_fam;
    out->cpuid_mod_id = r->cpuid_mod;
    out->cpuid_step = r->cpuid_step;
    if (sim->signer == KT_SIM_SIGNER_VCEK)
        memcpy(out->chip_id, sim->chip_id, 64);
    out->current_build = out->committed_build = r->build;
    out->current_minor = out->committed_minor = r->minor;
    out->current_major = out->committed_major = r->major;
}
