#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

static const struct {
    kt_status status;
    const char *name;
    const char *text;
} status_table[] = {
    {KT_OK, "KT_OK", "success"},
    {KT_E_INVALID_ARG, "KT_E_INVALID_ARG", "invalid argument"},
    {KT_E_PARSE, "KT_E_PARSE", "malformed input"},
    {KT_E_LENGTH, "KT_E_LENGTH", "wrong length"},
    {KT_E_RANGE, "KT_E_RANGE", "value out of range"},
    {KT_E_UNSUPPORTED, "KT_E_UNSUPPORTED", "unsupported version or kind"},
    {KT_E_TOO_LARGE, "KT_E_TOO_LARGE", "input too large"},
    {KT_E_RESERVED, "KT_E_RESERVED", "reserved field not zero"},
    {KT_E_NOT_FOUND, "KT_E_NOT_FOUND", "not found"},
    {KT_E_CHAIN, "KT_E_CHAIN", "certificate chain does not verify"},
    {KT_E_UNTRUSTED_ROOT, "KT_E_UNTRUSTED_ROOT", "untrusted root certificate"},
    {KT_E_CERT_EXPIRED, "KT_E_CERT_EXPIRED", "certificate outside its validity period"},
    {KT_E_CERT_FORMAT, "KT_E_CERT_FORMAT", "certificate has the wrong format"},
    {KT_E_REVOKED, "KT_E_REVOKED", "certificate revoked"},
    {KT_E_CRL, "KT_E_CRL", "CRL missing, stale or invalid"},
    {KT_E_CERT_MISSING, "KT_E_CERT_MISSING", "certificate missing"},
    {KT_E_SIGNATURE, "KT_E_SIGNATURE", "report signature does not verify"},
    {KT_E_BINDING, "KT_E_BINDING", "report and certificate disagree"},
    {KT_E_POLICY, "KT_E_POLICY", "policy violated"},
    {KT_E_REPORT_DATA, "KT_E_REPORT_DATA", "report data does not match"},
    {KT_E_MEASUREMENT, "KT_E_MEASUREMENT", "measurement not expected"},
    {KT_E_UNTRUSTED_QUOTE, "KT_E_UNTRUSTED_QUOTE", "quote is not a hardware attestation"},
    {KT_E_NETWORK, "KT_E_NETWORK", "network failure"},
    {KT_E_HTTP, "KT_E_HTTP", "HTTP error status"},
    {KT_E_OFFLINE, "KT_E_OFFLINE", "not available offline"},
    {KT_E_RATE_LIMIT, "KT_E_RATE_LIMIT", "rate limited"},
    {KT_E_NO_DEVICE, "KT_E_NO_DEVICE", "no SEV-SNP guest device"},
    {KT_E_DEVICE, "KT_E_DEVICE", "device or firmware error"},
    {KT_E_BUSY, "KT_E_BUSY", "device busy"},
    {KT_E_PERMISSION, "KT_E_PERMISSION", "permission denied"},
    {KT_E_NOT_BUILT, "KT_E_NOT_BUILT", "feature not built"},
    {KT_E_RACE, "KT_E_RACE", "concurrent modification"},
    {KT_E_IO, "KT_E_IO", "I/O error"},
    {KT_E_NOMEM, "KT_E_NOMEM", "out of memory"},
    {KT_E_INTERNAL, "KT_E_INTERNAL", "internal error"},
};

#define STATUS_COUNT (sizeof status_table / sizeof status_table[0])

const char *kt_status_name(kt_status status) {
    for (size_t i = 0; i < STATUS_COUNT; i++)
        if (status_table[i].status == status)
            return status_table[i].name;
    return "KT_E_UNKNOWN";
}

const char *kt_status_str(kt_status status) {
    for (size_t i = 0; i < STATUS_COUNT; i++)
        if (status_table[i].status == status)
            return status_table[i].text;
    return "unknown status";
}

kt_status_category kt_status_category_of(kt_status status) {
    int code = (int)status;
    if (code == 0)
        return KT_CAT_OK;
    if (code >= 100 && code < 200)
        return KT_CAT_INPUT;
    if (code >= 200 && code < 500)
        return KT_CAT_VERIFY;
    return KT_CAT_PLATFORM;
}

void kt_error_clear(kt_error *err) {
    if (!err)
        return;
    err->status = KT_OK;
    err->message[0] = '\0';
}

kt_status kt_fail(kt_error *err, kt_status status, const char *fmt, ...) {
    if (!err)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

kt_status kt_fail_context(kt_error *err, kt_status status, const char *fmt, ...) {
    if (!err)
        return status;
    char prefix[KT_ERROR_MSG_MAX];
    char old[KT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    if (err->status == KT_OK)
        err->status = status;
    snprintf(err->message, sizeof err->message, "%.200s: %.300s", prefix, old);
    return err->status;
}

void kt_wipe(void *p, size_t len) {
    if (p && len)
        OPENSSL_cleanse(p, len);
}

kt_status kt_fail_oom(kt_error *err) {
    return kt_fail(err, KT_E_NOMEM, "out of memory");
}
