/*
 * Internal: X.509 helpers for AMD's certificate profile (OpenSSL 3), shared by
 * the verifier (src/verify) and the KDS client's object checks (src/kds), so
 * neither reaches into the other's private files.
 */
#ifndef KT_X509_X509UTIL_H
#define KT_X509_X509UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "katana_tee/report.h"
#include "katana_tee/status.h"

/* Copy a name's CN into out; false if there is none, it does not fit or holds a NUL. */
bool kt_x509_name_cn(const X509_NAME *name, char *out, size_t cap);

/* The subject CN (kt_x509_name_cn of the subject). */
bool kt_x509_subject_cn(const X509 *cert, char *out, size_t cap);

/*
 * Walk the PEM blocks of a text in order: fn receives each block's type
 * ("CERTIFICATE", "X509 CRL", ...), its DER bytes and its index; a non-OK
 * status from fn stops the walk and is returned. *count (may be NULL)
 * receives the number of blocks seen. Text after the last block is ignored.
 */
typedef kt_status (*kt_pem_block_fn)(void *ctx, const char *type, const uint8_t *der, size_t len,
                                     int index, kt_error *err);
kt_status kt_pem_foreach(const uint8_t *pem, size_t len, kt_pem_block_fn fn, void *ctx,
                         int *count, kt_error *err);

/*
 * Whether bytes look like PEM text rather than DER: a "-----BEGIN " line
 * starts within the first 4096 bytes (text such as `openssl x509 -text`
 * output may precede it). DER never starts that way (its first byte is a
 * tag), so a DER object is never taken for PEM unless its own content
 * holds the marker; either reading then checks the object fully.
 */
bool kt_pem_detect(const uint8_t *bytes, size_t len);

/* Product named by an AMD CA CN suffix ("ARK-Milan", "SEV-Genoa", "SEV-VLEK-Turin"). */
kt_product kt_x509_product_from_cn(const char *cn);

/*
 * Check a signature AlgorithmIdentifier is RSASSA-PSS with SHA-384,
 * MGF1-SHA-384, salt length 48 and trailer field 1, as AMD signs everything.
 * `what` names the object in the message.
 */
kt_status kt_x509_check_pss_sha384(const X509_ALGOR *alg, const char *what, kt_error *err);

/* The key of an AMD CA certificate must be RSA with 4096 bits. */
kt_status kt_x509_check_rsa4096(EVP_PKEY *key, const char *what, kt_error *err);

/* The key of a VCEK/VLEK must be EC on secp384r1. */
kt_status kt_x509_check_p384(EVP_PKEY *key, const char *what, kt_error *err);

/* notBefore / notAfter as time_t (UTC). */
bool kt_x509_validity(const X509 *cert, time_t *not_before, time_t *not_after);
bool kt_asn1_time_to_time_t(const ASN1_TIME *t, time_t *out);

/* Values of the VCEK/VLEK extensions (OID arc 1.3.6.1.4.1.3704.1). */
typedef struct kt_amd_ext {
    bool has_struct_version;
    long struct_version;
    char product_name[64]; /* "" when absent */
    bool has_bl, has_tee, has_snp, has_ucode, has_fmc;
    uint8_t bl, tee, snp, ucode, fmc;
    size_t hwid_len; /* 0 when absent; 64 (Milan/Genoa) or 8 (Turin) */
    uint8_t hwid[64];
    char csp_id[128]; /* VLEK: cspID; "" when absent */
    bool has_csp_id;
} kt_amd_ext;

/* Decode the AMD extensions of a leaf certificate strictly. */
kt_status kt_x509_amd_extensions(const X509 *cert, const char *what, kt_amd_ext *out,
                                 kt_error *err);

/* kt_format_time, kt_parse_time: moved to util/timeutil.h. */
#include "util/timeutil.h"

#endif
