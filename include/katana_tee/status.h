/*
 * katana-tee — status codes and the error record.
 *
 * Every fallible library function returns a kt_status and, when the caller
 * passes a non-NULL kt_error, fills it with a one-line human message naming
 * the input that was wrong. The library never prints and never exits.
 *
 * Codes are grouped by layer in ranges (an append-only list: values never
 * change once released). kt_status_category() folds a code into the few
 * classes that decide a CLI exit status or a verdict rejection code.
 */
#ifndef KATANA_TEE_STATUS_H
#define KATANA_TEE_STATUS_H

#include <stddef.h>

#include "katana_tee/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kt_status {
    KT_OK = 0,

    /* 100..199: bad input (caller's arguments, malformed bytes, text) */
    KT_E_INVALID_ARG = 100, /* an argument is NULL, out of range or contradictory */
    KT_E_PARSE = 101,       /* input bytes or text do not follow their format */
    KT_E_LENGTH = 102,      /* input has the wrong length */
    KT_E_RANGE = 103,       /* a value is outside its allowed range (e.g. felt >= p) */
    KT_E_UNSUPPORTED = 104, /* well-formed, but a version/kind this build does not handle */
    KT_E_TOO_LARGE = 105,   /* input exceeds a hard size limit */
    KT_E_RESERVED = 106,    /* a reserved (must-be-zero) field is not zero */
    KT_E_NOT_FOUND = 107,   /* a named thing (attester, file role, GUID) does not exist */

    /* 200..299: certificate chain */
    KT_E_CHAIN = 200,          /* chain does not verify */
    KT_E_UNTRUSTED_ROOT = 201, /* chain ends at a root that is not trusted */
    KT_E_CERT_EXPIRED = 202,   /* a certificate is outside its validity period */
    KT_E_CERT_FORMAT = 203,    /* a certificate has the wrong key/algorithm/extension */
    KT_E_REVOKED = 204,        /* a certificate is listed in a CRL */
    KT_E_CRL = 205,            /* a CRL is missing, stale or not signed by the root */
    KT_E_CERT_MISSING = 206,   /* a certificate the check needs is not available */

    /* 300..399: report signature and binding */
    KT_E_SIGNATURE = 300, /* the report signature does not verify */
    KT_E_BINDING = 301,   /* report and certificate disagree (TCB, chip id, signer) */

    /* 400..499: policy and state */
    KT_E_POLICY = 400,        /* the report violates the verifier's policy */
    KT_E_REPORT_DATA = 401,   /* report data is not the expected commitment */
    KT_E_MEASUREMENT = 402,   /* measurement is not one of the expected values */
    KT_E_UNTRUSTED_QUOTE = 403, /* quote carries no hardware trust (mock) */

    /* 500..599: network and KDS */
    KT_E_NETWORK = 500,   /* connection, DNS, TLS or timeout */
    KT_E_HTTP = 501,      /* the server answered with an error status */
    KT_E_OFFLINE = 502,   /* the object is not cached and the network is off */
    KT_E_RATE_LIMIT = 503, /* the server kept refusing with 429/503 */

    /* 600..699: attestation device and platform */
    KT_E_NO_DEVICE = 600,     /* no SEV-SNP guest interface on this machine */
    KT_E_DEVICE = 601,        /* the device or firmware returned an error */
    KT_E_BUSY = 602,          /* the device stayed busy/throttled after retries */
    KT_E_PERMISSION = 603,    /* access to the device was denied */
    KT_E_NOT_BUILT = 604,     /* the feature was not compiled into this build */
    KT_E_RACE = 605,          /* a concurrent writer changed the request under us */

    /* 700..799: local I/O */
    KT_E_IO = 700, /* reading or writing a file failed */

    /* 900..999: internal */
    KT_E_NOMEM = 900,    /* allocation failed */
    KT_E_INTERNAL = 901, /* a library call failed unexpectedly (e.g. OpenSSL) */
} kt_status;

/* The class of a status: what kind of failure it is for the caller. */
typedef enum kt_status_category {
    KT_CAT_OK = 0,
    KT_CAT_INPUT,    /* caller's input was bad: fix the input */
    KT_CAT_VERIFY,   /* verification said no: chain, signature, binding, policy */
    KT_CAT_PLATFORM, /* environment failed: device, network, I/O, memory */
} kt_status_category;

/* Maximum length of an error message including the terminating NUL. */
#define KT_ERROR_MSG_MAX 512

/* One error: the code and a one-line message. Zero-initialise before use. */
typedef struct kt_error {
    kt_status status;
    char message[KT_ERROR_MSG_MAX];
} kt_error;

/* Short stable name of a status, e.g. "KT_E_PARSE". Never NULL. */
KT_API const char *kt_status_name(kt_status status);

/* A short English phrase for a status, e.g. "malformed input". Never NULL. */
KT_API const char *kt_status_str(kt_status status);

/*
 * Which class a status falls in, by the code's hundreds (the ranges above are
 * the contract, so a code a newer library adds is classed correctly by an
 * older caller): 0 KT_CAT_OK; 100..199 KT_CAT_INPUT; 200..499 KT_CAT_VERIFY
 * (chain, signature, binding, policy), whether or not the code is defined;
 * everything else (500..999 and codes outside every range) KT_CAT_PLATFORM.
 */
KT_API kt_status_category kt_status_category_of(kt_status status);

/* Clear an error record (status KT_OK, empty message). NULL is allowed. */
KT_API void kt_error_clear(kt_error *err);

#ifdef __cplusplus
}
#endif

#endif
