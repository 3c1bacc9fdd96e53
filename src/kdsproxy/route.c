/*
 * Request targets of the KDS proxy to objects. Everything a client sends is
 * checked here, before any cache or upstream work, so a malformed or hostile
 * request costs a string scan and never reaches AMD.
 */
#include <stdio.h>
#include <string.h>

#include "katana_tee/hex.h"
#include "kdsproxy/proxy.h"

static void set(kt_kdsproxy_route *r, kt_kdsproxy_route_kind kind, const char *why) {
    r->kind = kind;
    snprintf(r->why, sizeof r->why, "%s", why);
}

/* Copy segment i (0-based) of a path "/a/b/c" into out; false if absent or too long. */
static bool segment(const char *path, size_t path_len, int i, char *out, size_t cap) {
    size_t pos = 1; /* after the leading '/' */
    for (int k = 0; k < i; k++) {
        const char *slash = memchr(path + pos, '/', path_len - pos);
        if (!slash)
            return false;
        pos = (size_t)(slash - path) + 1;
    }
    const char *end = memchr(path + pos, '/', path_len - pos);
    size_t n = (end ? (size_t)(end - path) : path_len) - pos;
    if (n >= cap)
        return false;
    memcpy(out, path + pos, n);
    out[n] = '\0';
    return true;
}

static size_t count_segments(const char *path, size_t len) {
    size_t n = 1;
    for (size_t i = 1; i < len; i++)
        n += path[i] == '/';
    return n;
}

/* Parse "1".."255" (at most 3 digits, leading zeros allowed); false otherwise. */
static bool spl_value(const char *s, size_t n, unsigned *out) {
    if (n == 0 || n > 3)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 255)
        return false;
    *out = v;
    return true;
}

static const char *const SPL_KEYS[5] = {"fmcSPL", "blSPL", "teeSPL", "snpSPL", "ucodeSPL"};

/* The query of a VCEK request into the TCB components; false (and why) when malformed. */
static bool parse_spl_query(const char *q, bool turin, kt_tcb *tcb, char *why, size_t cap) {
    unsigned vals[5] = {0};
    bool seen[5] = {false};
    const char *p = q;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq) {
            snprintf(why, cap, "query parameter without a value");
            return false;
        }
        size_t klen = (size_t)(eq - p);
        int k = -1;
        for (int i = turin ? 0 : 1; i < 5; i++)
            if (strlen(SPL_KEYS[i]) == klen && memcmp(p, SPL_KEYS[i], klen) == 0)
                k = i;
        if (k < 0) {
            snprintf(why, cap, "unknown query parameter '%.*s'", (int)(klen > 32 ? 32 : klen), p);
            return false;
        }
        if (seen[k]) {
            snprintf(why, cap, "%s given twice", SPL_KEYS[k]);
            return false;
        }
        if (!spl_value(eq + 1, n - klen - 1, &vals[k])) {
            snprintf(why, cap, "%s must be a decimal number 0..255", SPL_KEYS[k]);
            return false;
        }
        seen[k] = true;
        p += n;
        if (*p == '&') {
            p++;
            if (!*p) {
                snprintf(why, cap, "query ends with '&'");
                return false;
            }
        }
    }
    for (int i = turin ? 0 : 1; i < 5; i++)
        if (!seen[i]) {
            snprintf(why, cap, "%s is missing", SPL_KEYS[i]);
            return false;
        }
    memset(tcb, 0, sizeof *tcb);
    tcb->has_fmc = turin;
    tcb->fmc = (uint8_t)vals[0];
    tcb->boot_loader = (uint8_t)vals[1];
    tcb->tee = (uint8_t)vals[2];
    tcb->snp = (uint8_t)vals[3];
    tcb->microcode = (uint8_t)vals[4];
    return true;
}

static bool parse_product(const char *s, kt_product *out) {
    if (strcmp(s, "Milan") == 0)
        *out = KT_PRODUCT_MILAN;
    else if (strcmp(s, "Genoa") == 0)
        *out = KT_PRODUCT_GENOA;
    else if (strcmp(s, "Turin") == 0)
        *out = KT_PRODUCT_TURIN;
    else
        return false;
    return true;
}

void kt_kdsproxy_route_target(const char *target, kt_kdsproxy_route *r) {
    memset(r, 0, sizeof *r);
    size_t tlen = target ? strlen(target) : 0;
    if (tlen == 0 || target[0] != '/' || tlen > KT_KDSPROXY_MAX_TARGET) {
        set(r, KT_ROUTE_BAD, "the request target must be an absolute path of at most 1024 bytes");
        return;
    }
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= 0x20 || c >= 0x7f || c == '%' || c == '#' || c == '\\') {
            set(r, KT_ROUTE_BAD, "the request target holds a byte KDS paths never use");
            return;
        }
    }
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : tlen;
    const char *query = q ? q + 1 : "";
    if (plen == 7 && memcmp(target, "/health", 7) == 0) {
        r->kind = KT_ROUTE_HEALTH;
        return;
    }
    if (plen == 8 && memcmp(target, "/metrics", 8) == 0) {
        r->kind = KT_ROUTE_METRICS;
        return;
    }
    if (strstr(target, "//") || strstr(target, "/./") || strstr(target, "/../") ||
        (plen >= 2 && target[plen - 1] == '.' && target[plen - 2] == '/') ||
        (plen >= 3 && memcmp(target + plen - 3, "/..", 3) == 0)) {
        set(r, KT_ROUTE_BAD, "empty or dot segments in the path");
        return;
    }
    char kind[8], ver[8], prod[16], leaf[160];
    if (count_segments(target, plen) != 4 || !segment(target, plen, 0, kind, sizeof kind) ||
        !segment(target, plen, 1, ver, sizeof ver) || !segment(target, plen, 2, prod, sizeof prod) ||
        !segment(target, plen, 3, leaf, sizeof leaf) ||
        (strcmp(kind, "vcek") != 0 && strcmp(kind, "vlek") != 0) || strcmp(ver, "v1") != 0) {
        set(r, KT_ROUTE_NOT_FOUND, "unknown path: KDS serves /vcek/v1/... and /vlek/v1/...");
        return;
    }
    kt_kds_object *o = &r->obj;
    if (!parse_product(prod, &o->product)) {
        set(r, KT_ROUTE_NOT_FOUND, "unknown product: KDS serves Milan, Genoa and Turin");
        return;
    }
    o->vlek = strcmp(kind, "vlek") == 0;
    if (strcmp(leaf, "cert_chain") == 0 || strcmp(leaf, "crl") == 0) {
        if (*query) {
            set(r, KT_ROUTE_BAD, "certificate chains and CRLs take no query");
            return;
        }
        o->kind = leaf[0] == 'c' && leaf[1] == 'e' ? KT_KDS_CHAIN : KT_KDS_CRL;
        r->kind = KT_ROUTE_OBJECT;
        return;
    }
    if (o->vlek) {
        set(r, KT_ROUTE_NOT_FOUND, "KDS does not publish VLEKs");
        return;
    }
    bool turin = o->product == KT_PRODUCT_TURIN;
    size_t want = turin ? 16 : 128;
    if (strlen(leaf) != want) {
        set(r, KT_ROUTE_BAD, turin ? "a Turin hwid is 16 hex digits" : "a hwid is 128 hex digits");
        return;
    }
    if (kt_hex_decode_exact(leaf, want, o->chip_id, want / 2, "hwid", NULL) != KT_OK) {
        set(r, KT_ROUTE_BAD, "the hwid is not hex");
        return;
    }
    bool zero = true;
    for (size_t i = 0; i < want / 2; i++)
        zero = zero && o->chip_id[i] == 0;
    if (zero) {
        set(r, KT_ROUTE_BAD, "the hwid is all zero (a masked chip id has no VCEK)");
        return;
    }
    if (!*query) {
        set(r, KT_ROUTE_BAD, "a VCEK request needs the SPL query");
        return;
    }
    if (!parse_spl_query(query, turin, &o->tcb, r->why, sizeof r->why)) {
        r->kind = KT_ROUTE_BAD;
        return;
    }
    o->tcb.raw = kt_tcb_encode(&o->tcb, o->product);
    o->kind = KT_KDS_VCEK;
    r->kind = KT_ROUTE_OBJECT;
}
