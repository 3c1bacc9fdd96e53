/* Internal: the simulator's state and its certificate factory. */
#ifndef KT_SIM_INTERNAL_H
#define KT_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "katana_tee/sim.h"

#define KT_SIM_CONFIG "sim.json"
#define KT_SIM_FORMAT "katana-tee-sim/1"
#define KT_SIM_DEFAULT_CSP_ID "CN=sim.katana-tee.invalid"
#define KT_SIM_CSP_ID_MAX 128

/* Report defaults as recorded in sim.json (the product's if absent). */
typedef struct kt_sim_report_cfg {
    uint32_t version;
    uint64_t policy;
    uint32_t vmpl;
    uint32_t guest_svn;
    uint64_t platform_info;
    bool author_key_en;
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t build, minor, major;
    uint8_t cpuid_fam, cpuid_mod, cpuid_step;
} kt_sim_report_cfg;

struct kt_sim {
    char *dir;
    kt_product product;
    kt_sim_signer signer;
    uint8_t chip_id[64];
    kt_tcb tcb;
    int64_t not_before;
    char csp_id[KT_SIM_CSP_ID_MAX];
    uint8_t seed[64];
    size_t seed_len;
    uint8_t report_id[32];
    kt_sim_report_cfg report;

    EVP_PKEY *ark_key, *ca_key, *leaf_key;
    X509 *ark, *ca, *leaf;
    uint8_t *ark_der, *ca_der, *leaf_der;
    size_t ark_der_len, ca_der_len, leaf_der_len;
};

/* ---- product facts (sim_product.c) ---- */
void kt_sim_report_cfg_default(kt_product product, kt_sim_report_cfg *out);
/* "ARK-Milan" etc. are built from this; "Milan" / "Genoa" / "Turin". */
const char *kt_sim_product_path(kt_product product);
/* productName extension: "Milan-B0"/"Genoa"/"Turin" (VCEK), "Milan"/... (VLEK). */
const char *kt_sim_product_ext_name(kt_product product, kt_sim_signer signer);
uint64_t kt_sim_ark_serial(kt_product product);
uint64_t kt_sim_ca_serial(kt_product product, kt_sim_signer signer);
/* Unix time plus whole calendar years (Feb 29 becomes Feb 28). */
int64_t kt_sim_add_years(int64_t t, int years);
/* Recompute tcb->raw from the components for the product. */
void kt_sim_tcb_fix(kt_tcb *tcb, kt_product product);

/* ---- certificates (sim_cert.c) ---- */
kt_status kt_sim_gen_rsa4096(EVP_PKEY **out, kt_error *err);
kt_status kt_sim_gen_p384(EVP_PKEY **out, kt_error *err);
kt_status kt_sim_make_ark(kt_product product, EVP_PKEY *ark_key, int64_t not_before, X509 **out,
                          kt_error *err);
kt_status kt_sim_make_ca(kt_product product, kt_sim_signer signer, X509 *ark, EVP_PKEY *ark_key,
                         EVP_PKEY *ca_key, int64_t not_before, X509 **out, kt_error *err);
kt_status kt_sim_make_leaf(kt_product product, kt_sim_signer signer, X509 *ca, EVP_PKEY *ca_key,
                           EVP_PKEY *leaf_key, const uint8_t chip_id[64], const kt_tcb *tcb,
                           const char *csp_id, int64_t not_before, int64_t not_after, X509 **out,
                           kt_error *err);
kt_status kt_sim_build_crl(X509 *ark, EVP_PKEY *ark_key, const uint64_t *serials, size_t count,
                           int64_t this_update, int64_t next_update, uint8_t **der, size_t *len,
                           kt_error *err);
/* DER of a certificate, malloc'd. */
kt_status kt_sim_cert_der(X509 *cert, uint8_t **der, size_t *len, kt_error *err);
/* PEM of a certificate, malloc'd, NUL-terminated. */
kt_status kt_sim_cert_pem(X509 *cert, char **pem, size_t *len, kt_error *err);
/* Private key as PKCS#8 PEM written with mode 0600; the PEM text is wiped. */
kt_status kt_sim_write_key(const char *path, EVP_PKEY *key, kt_error *err);
kt_status kt_sim_read_key(const char *path, EVP_PKEY **out, kt_error *err);
/* Validity of leaves: 7 years (VCEK) or 1 year (VLEK). */
int kt_sim_leaf_years(kt_sim_signer signer);

/*
 * Parse a time: Unix seconds ("1700000000"), a date ("2025-01-31", midnight
 * UTC) or a UTC timestamp ("2025-01-31T12:00:00Z"). `what` names the input.
 */
kt_status kt_sim_parse_time(const char *text, const char *what, int64_t *out, kt_error *err);

/* ---- sim.json (sim_config.c) ---- */
/* Write s's configuration to DIR/sim.json (atomically). */
kt_status kt_sim_config_write(const kt_sim *s, kt_error *err);
/* Parse DIR/sim.json into s (everything but keys and certificates); s->dir must be set. */
kt_status kt_sim_config_load(kt_sim *s, kt_error *err);

/* "DIR/name", malloc'd. */
char *kt_sim_path(const char *dir, const char *name);

#endif
