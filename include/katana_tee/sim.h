/*
 * katana-tee — a software AMD secure processor (SEV-SNP simulator).
 *
 * The simulator owns a key chain shaped like AMD's: an RSA-4096 ARK
 * (self-signed), an RSA-4096 ASK (or ASVK, for VLEK signing) issued by it,
 * and an ECDSA P-384 leaf (VCEK or VLEK) issued by the ASK/ASVK and carrying
 * the 1.3.6.1.4.1.3704.1.* extensions for the configured chip id and TCB.
 * Names, serial numbers, validity periods, extensions and the RSASSA-PSS
 * (SHA-384, MGF1-SHA-384, salt 48) signatures mirror AMD's certificates.
 *
 * Its quotes are 1184-byte ATTESTATION_REPORTs of a real version (2..5),
 * really signed by the leaf key exactly as firmware signs them. A verifier
 * can tell them from hardware only by the root of trust: the simulator's ARK
 * is never one of AMD's, and nothing in katana-tee trusts it unless told to
 * (`katana-tee verify --trust-root DIR/ark.pem`). Never use a simulator
 * quote as evidence of anything but the simulator.
 *
 * Files in a simulator directory (made by kt_sim_init):
 *   sim.json                  configuration (product, signer, chip id, TCB,
 *                             report defaults); edit it to change defaults
 *   ark.key  ask.key|asvk.key  vcek.key|vlek.key
 *                             private keys, PEM (PKCS#8), mode 0600
 *   ark.pem/.der  ask.pem/.der|asvk.pem/.der  vcek.pem/.der|vlek.pem/.der
 *   cert_chain.pem            ASK (or ASVK) then ARK, as KDS serves it
 *
 * What this module does not do: it does not verify anything, and it does
 * not pretend keys are protected — they are plain files.
 *
 * Where it lives: in the katana-tee-sim library (test and demo builds: the
 * katana-tee program, the tests), never in libkatana-tee, and this header is
 * not installed. kt_sim_sign_report() signs any bytes with a chip-shaped
 * key; a production verifier process has no business linking it.
 */
#ifndef KATANA_TEE_SIM_H
#define KATANA_TEE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "katana_tee/report.h"
#include "katana_tee/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Add the "sim" backend to kt_attester_new() (kt_attester_register_backend).
 * Idempotent. Its options: sim_dir (required), sim_params (NULL: the
 * directory's defaults), vmpl (>= 0 overrides), with_certs.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_attester_register(kt_error *err);

typedef struct kt_sim kt_sim;

typedef enum kt_sim_signer {
    KT_SIM_SIGNER_VCEK = 0, /* SIGNING_KEY 0: chip-specific key, ASK issues it */
    KT_SIM_SIGNER_VLEK = 1, /* SIGNING_KEY 1: cloud-provider key, ASVK issues it */
} kt_sim_signer;

/* "vcek" / "vlek". */
KT_API const char *kt_sim_signer_name(kt_sim_signer signer);

/* Length of the hwID / significant chip id: 64 (Milan, Genoa) or 8 (Turin). */
KT_API size_t kt_sim_hwid_len(kt_product product);

/* ---- creating a simulator directory -------------------------------------- */

typedef struct kt_sim_init_opts {
    kt_product product;   /* KT_PRODUCT_UNKNOWN (0) = Milan */
    kt_sim_signer signer; /* default VCEK */

    bool has_chip_id;     /* else: derived from the seed, or random */
    uint8_t chip_id[64];  /* Turin: bytes 8..63 must be zero */

    bool has_tcb;         /* else: the product's default TCB (see docs/simulator.md) */
    kt_tcb tcb;           /* components are used (raw is recomputed); fmc only for Turin */

    bool has_not_before;  /* else: now */
    int64_t not_before;   /* Unix seconds; start of every certificate's validity */

    const uint8_t *seed;  /* optional, 1..64 bytes: report ids (and chip id if not
                             given) derive from it; keys stay random */
    size_t seed_len;

    bool reuse_keys;      /* dir may be an existing simulator dir: keep its private
                             keys (missing ones are generated), re-issue everything
                             else; the chip id is kept unless has_chip_id */

    const char *csp_id;   /* VLEK cspID; NULL = "CN=sim.katana-tee.invalid" */

    /* report defaults recorded in sim.json (0 / NULL = product default) */
    uint32_t report_version;          /* 2..5 */
    bool has_policy;
    uint64_t policy;
    const uint8_t *measurement;       /* 48 bytes */
    const uint8_t *host_data;         /* 32 bytes */
} kt_sim_init_opts;

/*
 * Create a simulator directory: generate keys, issue the chain, write the
 * files listed above. The directory is created if missing. Fails with
 * KT_E_INVALID_ARG when dir exists and is not empty (unless reuse_keys and
 * it holds a sim.json), or on bad options (unknown product, Turin chip id
 * with non-zero bytes 8..63, fmc on Milan/Genoa, seed longer than 64 bytes,
 * report version outside 2..5); KT_E_IO when files cannot be written;
 * KT_E_INTERNAL when OpenSSL fails. RSA-4096 key generation takes about a
 * second per key.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_init(const char *dir, const kt_sim_init_opts *opts,
                                           kt_error *err);

/* ---- a loaded simulator -------------------------------------------------- */

/*
 * Load a simulator directory: sim.json, the three private keys and
 * certificates. Checks that each key matches its certificate, that the
 * leaf's issuer is the ASK/ASVK and the ASK/ASVK's is the ARK (by
 * signature), and that sim.json is well-formed. The simulated VM's
 * REPORT_ID is drawn here: random, or derived from the seed recorded in
 * sim.json, so it is stable across quotes of one kt_sim. Free with
 * kt_sim_free (which wipes the key material).
 */
KT_API KT_MUST_CHECK kt_status kt_sim_open(const char *dir, kt_sim **out, kt_error *err);

/* Free a simulator, wiping the keys it holds. NULL and *sim == NULL allowed. */
KT_API void kt_sim_free(kt_sim **sim);

/* What a loaded simulator is. Pointers borrow from the kt_sim. */
typedef struct kt_sim_info {
    kt_product product;
    kt_sim_signer signer;
    uint8_t chip_id[64];   /* the chain's chip id (VCEK hwID; Turin: first 8 bytes) */
    kt_tcb tcb;            /* the leaf's TCB, decoded with the product's layout */
    const uint8_t *ark_der;  size_t ark_der_len;
    const uint8_t *ca_der;   size_t ca_der_len;   /* ASK or ASVK */
    const uint8_t *leaf_der; size_t leaf_der_len; /* VCEK or VLEK */
    uint64_t ark_serial;
    uint64_t ca_serial;
    uint8_t report_id[32]; /* this simulated VM's REPORT_ID */
} kt_sim_info;

KT_API void kt_sim_get_info(const kt_sim *sim, kt_sim_info *out);

/* ---- report contents ----------------------------------------------------- */

/*
 * Everything a simulated report says, except REPORT_DATA (per quote),
 * REPORT_ID (per kt_sim) and the signature. Fill with kt_sim_params_default
 * and change what the test or demo needs.
 */
typedef struct kt_sim_params {
    uint32_t version;        /* 2..5 */
    uint32_t guest_svn;
    uint64_t policy;         /* default 0x30000 */
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;           /* 0..3 */
    uint64_t platform_info;
    bool author_key_en;
    bool mask_chip_key;       /* CHIP_ID all zero and MASK_CHIP_KEY set */
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id_ma[32]; /* default all 0xFF (no migration agent) */
    uint64_t current_tcb;    /* raw TCB_VERSION values; all default to the chain's TCB */
    uint64_t reported_tcb;
    uint64_t committed_tcb;
    uint64_t launch_tcb;
    uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step; /* v3+; product defaults */
    uint8_t chip_id[64];     /* default: the chain's (VCEK), zero (VLEK) */
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_mit_vector;  /* v5 */
    uint64_t current_mit_vector; /* v5 */
} kt_sim_params;

/*
 * The simulator's defaults: sim.json's "report" section over the product's
 * defaults (Milan v3, Genoa v3, Turin v5), TCBs from the chain, chip id from
 * the chain for VCEK and zero for VLEK. The reported TCB and chip id then
 * agree with the leaf certificate, as on real hardware; changing them makes
 * a report that a correct verifier must reject.
 */
KT_API void kt_sim_params_default(const kt_sim *sim, kt_sim_params *out);

/*
 * Produce a signed report over report_data: build it from params (NULL =
 * defaults) with kt_report_serialize, set SIGNING_KEY (0 VCEK, 1 VLEK),
 * SIGNATURE_ALGO 1 and this VM's REPORT_ID, sign bytes 0x000..0x29F with the
 * leaf key (ECDSA P-384, SHA-384), store r and s little-endian, zero-extended
 * to 72 bytes, at 0x2A0 and 0x2E8, and re-parse the result strictly. When
 * with_certs, the extended-report certificate table (leaf, ASK/ASVK, ARK as
 * DER) follows the 1184 bytes. *out is malloc'd (free with kt_bytes_free).
 * Refuses (KT_E_INVALID_ARG) what firmware would never produce: version
 * outside 2..5, VMPL above 3, policy bit 17 clear, a Turin chip id with
 * bytes 8..63 set.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_quote(const kt_sim *sim, const kt_sim_params *params,
                                            const uint8_t report_data[64], uint8_t **out,
                                            size_t *out_len, bool with_certs, kt_error *err);

/*
 * Re-sign arbitrary report bytes in place with the leaf key (signature over
 * bytes 0x000..0x29F written at 0x2A0/0x2E8; 0x330..0x49F zeroed). Nothing
 * is checked: this exists so tests can make validly signed reports with
 * malformed or hostile contents.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_sign_report(const kt_sim *sim,
                                                  uint8_t report[KT_REPORT_SIZE], kt_error *err);

/* ---- certificates for negative tests and for serving -------------------- */

/*
 * Issue an extra leaf (VCEK or VLEK, as the simulator's) with the
 * simulator's leaf key, signed by its ASK/ASVK: for another chip (chip_id,
 * NULL = the chain's; ignored for VLEK), another TCB (tcb components, NULL =
 * the chain's), another validity window (not_before/not_after Unix seconds;
 * 0 = the chain's start / start + 7 years VCEK, 1 year VLEK). Because the
 * key is the same, a report from this simulator still verifies against it,
 * so only the changed attribute can make a verifier reject. DER in *der
 * (free with kt_bytes_free). KT_E_INVALID_ARG when not_after <= not_before.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_issue_leaf(const kt_sim *sim, const uint8_t *chip_id,
                                                 const kt_tcb *tcb, int64_t not_before,
                                                 int64_t not_after, uint8_t **der,
                                                 size_t *der_len, kt_error *err);

/*
 * A DER X.509 v2 CRL signed by the simulator's ARK with RSASSA-PSS SHA-384
 * (like AMD's): issuer = ARK subject, thisUpdate/nextUpdate as given (Unix
 * seconds), extensions Authority Key Identifier and CRL Number (=
 * this_update), one entry per serial (revocation date = this_update).
 * serials may be NULL when count is 0. KT_E_INVALID_ARG when next_update <=
 * this_update.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_make_crl(const kt_sim *sim, const uint64_t *serials,
                                               size_t count, int64_t this_update,
                                               int64_t next_update, uint8_t **der,
                                               size_t *der_len, kt_error *err);

/*
 * Write a folder tree a static HTTP server can serve under KDS's URL paths
 * (see docs/simulator.md for the mapping of the VCEK query string):
 *   VCEK: vcek/v1/{P}/cert_chain, vcek/v1/{P}/crl,
 *         vcek/v1/{P}/{hwid}/{query-key}.der (the VCEK for that TCB)
 *   VLEK: vlek/v1/{P}/cert_chain, vlek/v1/{P}/crl
 *   index.json: every URL path (+ query) and the file that answers it.
 * The CRL is empty, thisUpdate now, nextUpdate now + 30 days. out_dir is
 * created if missing; existing files in it are replaced.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_write_kds_tree(const kt_sim *sim, const char *out_dir,
                                                     kt_error *err);

/*
 * The file name (no directory) kds-tree uses for a VCEK of this TCB:
 * "bl{N}_tee{N}_snp{N}_ucode{N}.der", Turin "fmc{N}_bl{N}_tee{N}_snp{N}_ucode{N}.der",
 * decimal without padding. out must hold 64 bytes.
 */
KT_API void kt_sim_kds_vcek_name(kt_product product, const kt_tcb *tcb, char out[64]);

/* ---- helpers ---------------------------------------------------------------- */

/*
 * Parse "bl=N,tee=N,snp=N,ucode=N[,fmc=N]" (any subset, any order, each
 * 0..255) over *tcb's current components. fmc is refused unless product is
 * Turin. tcb->raw is recomputed for the product.
 */
KT_API KT_MUST_CHECK kt_status kt_sim_tcb_parse(const char *text, kt_product product,
                                                kt_tcb *tcb, kt_error *err);

/* The default TCB of a product's simulated chain (components and raw). */
KT_API kt_tcb kt_sim_default_tcb(kt_product product);

#ifdef __cplusplus
}
#endif

#endif
