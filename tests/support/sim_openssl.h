/*
 * Test support for the simulator programs (tests/unit/test_sim_*.c): checks
 * written with plain OpenSSL, never with the project's verifier, so that the
 * simulator's reports and certificates are judged by code it does not share.
 * Every helper fails the test (cmocka) on malformed input.
 */
#ifndef KT_TEST_SIM_OPENSSL_H
#define KT_TEST_SIM_OPENSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "katana_tee/sim.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."

/* A certificate from DER that must be exactly one certificate. */
X509 *der_x509(const uint8_t *der, size_t len);
/* <dir>/<name> as a DER certificate. */
X509 *read_cert(const char *dir, const char *name);
/* A DER certificate under ../shared. */
X509 *shared_cert(const char *rel);

/* The value of an extension by dotted OID; NULL when absent. */
const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid);
/* An extension holding a DER INTEGER; -1 when absent. */
long ext_int(X509 *x, const char *oid);
/* An extension holding a DER IA5String, copied to out; false when absent. */
bool ext_ia5(X509 *x, const char *oid, char *out, size_t cap);

/* The report's ECDSA P-384 signature checked with the leaf's key: 1 good, 0 bad, -1 error. */
int verify_report_sig(const uint8_t *report, X509 *leaf);
/* X509_verify_cert with the ARK as the only anchor at `when` (CRL checked on the
 * target when given); returns the X509_V_ code. */
int verify_chain(X509 *ark, X509 *ca, X509 *leaf, long long when, X509_CRL *crl);

/* The simulator folder's file names of the CA (ASK/ASVK) and leaf (VCEK/VLEK). */
const char *ca_file(kt_sim_signer s);
const char *leaf_file(kt_sim_signer s);

#endif
