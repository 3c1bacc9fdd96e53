/*
 * The node URL as clients may see it. A node URL often carries an API key (in the
 * path, the query or the user info); only scheme, host and port ever leave the server
 * or reach an info-level log.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rpc/server_impl.h"

kt_status kt_rpc_node_origin(const char *url, char *out, size_t cap, kt_error *err) {
    if (cap)
        out[0] = '\0';
    const char *scheme_end = strstr(url, "://");
    size_t slen = scheme_end ? (size_t)(scheme_end - url) : 0;
    bool http = slen == 4 && strncasecmp(url, "http", 4) == 0;
    bool https = slen == 5 && strncasecmp(url, "https", 5) == 0;
    if (!http && !https)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "--node URL must start with http:// or https:// (scheme '%.*s' is not served)",
                       (int)(slen < 16 ? slen : 16), scheme_end ? url : "");
    const char *auth = scheme_end + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p; /* the last '@' ends the user info */
    const char *host = at ? at + 1 : auth;
    size_t hlen = (size_t)(auth + alen - host);
    const char *port = NULL;
    if (hlen && host[0] == '[') {
        const char *close = memchr(host, ']', hlen);
        if (!close)
            return kt_fail(err, KT_E_INVALID_ARG, "--node URL: IPv6 host has no closing ']'");
        if (close + 1 < host + hlen) {
            if (close[1] != ':')
                return kt_fail(err, KT_E_INVALID_ARG, "--node URL: junk after the IPv6 host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(host, ':', hlen);
        if (colon)
            port = colon + 1;
    }
    size_t name_len = port ? (size_t)(port - 1 - host) : hlen;
    if (name_len == 0 || (host[0] == '[' && name_len <= 2))
        return kt_fail(err, KT_E_INVALID_ARG, "--node URL has no host");
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= 0x20 || c == 0x7f || c == '\\' || c == '%')
            return kt_fail(err, KT_E_INVALID_ARG, "--node URL: the host has a bad character");
    }
    if (port) {
        size_t plen = (size_t)(host + hlen - port);
        unsigned long v = 0;
        if (plen == 0 || plen > 5)
            return kt_fail(err, KT_E_INVALID_ARG, "--node URL: the port is not 1..65535");
        for (size_t i = 0; i < plen; i++) {
            if (port[i] < '0' || port[i] > '9')
                return kt_fail(err, KT_E_INVALID_ARG, "--node URL: the port is not 1..65535");
            v = v * 10 + (unsigned long)(port[i] - '0');
        }
        if (v == 0 || v > 65535)
            return kt_fail(err, KT_E_INVALID_ARG, "--node URL: the port is not 1..65535");
    }
    int n = snprintf(out, cap, "%.*s://%.*s", (int)slen, url, (int)hlen, host);
    if (n < 0 || (size_t)n >= cap)
        return kt_fail(err, KT_E_INVALID_ARG, "--node URL: the host is too long");
    for (char *p = out; *p && p < out + slen; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return KT_OK;
}

void kt_rpc_scrub(kt_error *err, const char *secret, const char *shown) {
    if (!err || !secret || !secret[0])
        return;
    size_t sl = strlen(secret), hl = strlen(shown);
    char out[sizeof err->message];
    size_t j = 0;
    for (const char *p = err->message; *p && j + 1 < sizeof out;) {
        size_t left = strlen(p);
        /* a message cut short at its end may hold only the start of the secret */
        if (strncmp(p, secret, left < sl ? left : sl) == 0 && (left >= sl || left > 8)) {
            size_t n = hl < sizeof out - 1 - j ? hl : sizeof out - 1 - j;
            memcpy(out + j, shown, n);
            j += n;
            p += left < sl ? left : sl;
        } else {
            out[j++] = *p++;
        }
    }
    out[j] = '\0';
    memcpy(err->message, out, j + 1);
}
