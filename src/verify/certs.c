/* kt_certs: the certificates gathered for one verification, by role. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "katana_tee/verify.h"
#include "util/error.h"
#include "util/amdname.h"
#include "util/fileio.h"
#include "verify/internal.h"
#include "verify/x509util.h"

#define ROLE_SLOTS 7 /* indexed by kt_cert_role; slot 0 (auto) unused */
#define CERT_FILE_MAX (256 * 1024)

typedef struct cert_slot {
    uint8_t *der;
    size_t len;
    char origin[160];
} cert_slot;

struct kt_certs {
    cert_slot slot[ROLE_SLOTS];
};

const char *kt_cert_role_name(kt_cert_role role) {
    switch (role) {
    case KT_ROLE_ARK: return "ARK";
    case KT_ROLE_ASK: return "ASK";
    case KT_ROLE_ASVK: return "ASVK";
    case KT_ROLE_VCEK: return "VCEK";
    case KT_ROLE_VLEK: return "VLEK";
    case KT_ROLE_CRL: return "CRL";
    case KT_ROLE_AUTO: break;
    }
    return "auto";
}

kt_status kt_certs_new(kt_certs **out, kt_error *err) {
    if (!out)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_certs_new: no output pointer");
    *out = calloc(1, sizeof **out);
    return *out ? KT_OK : kt_fail_oom(err);
}

void kt_certs_free(kt_certs **certs) {
    if (!certs || !*certs)
        return;
    for (int i = 0; i < ROLE_SLOTS; i++)
        free((*certs)->slot[i].der);
    free(*certs);
    *certs = NULL;
}

bool kt_certs_has(const kt_certs *certs, kt_cert_role role) {
    return certs && role > 0 && role < ROLE_SLOTS && certs->slot[role].der != NULL;
}

const char *kt_certs_origin(const kt_certs *certs, kt_cert_role role) {
    return kt_certs_has(certs, role) ? certs->slot[role].origin : NULL;
}

const uint8_t *kt_certs_der(const kt_certs *certs, kt_cert_role role, size_t *len) {
    if (!kt_certs_has(certs, role)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = certs->slot[role].len;
    return certs->slot[role].der;
}

/* The role an AMD certificate plays, from its subject CN. */
static kt_status role_of_cert(X509 *cert, kt_cert_role *role, const char *origin,
                              kt_error *err) {
    char cn[128];
    if (!kt_x509_subject_cn(cert, cn, sizeof cn))
        return kt_fail(err, KT_E_PARSE, "%s: certificate has no subject common name",
                       origin);
    *role = kt_cert_role_from_cn(cn);
    if (*role == KT_ROLE_AUTO)
        return kt_fail(err, KT_E_PARSE,
                       "%s: certificate CN=%s is not an AMD SEV certificate "
                       "(expected ARK-*, SEV-*, SEV-VLEK-*, SEV-VCEK or SEV-VLEK)",
                       origin, cn);
    return KT_OK;
}

static kt_status put_slot(kt_certs *certs, kt_cert_role role, const uint8_t *der, size_t len,
                          const char *origin, bool replace, kt_error *err) {
    cert_slot *s = &certs->slot[role];
    if (s->der) {
        if (s->len == len && memcmp(s->der, der, len) == 0)
            return KT_OK; /* the same object from two places (e.g. ask.der and cert_chain.pem) */
        if (!replace)
            return kt_fail(err, KT_E_INVALID_ARG, "two different %s objects given: %s and %s",
                           kt_cert_role_name(role), s->origin, origin);
        free(s->der);
        s->der = NULL;
    }
    s->der = malloc(len);
    if (!s->der)
        return kt_fail_oom(err);
    memcpy(s->der, der, len);
    s->len = len;
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    return KT_OK;
}

/* Add one DER certificate or CRL. */
static kt_status add_der(kt_certs *certs, kt_cert_role role, const uint8_t *der, size_t len,
                         const char *origin, bool replace, kt_error *err) {
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (cert && p == der + len) {
        kt_cert_role found = KT_ROLE_AUTO;
        kt_status st = role_of_cert(cert, &found, origin, err);
        X509_free(cert);
        if (st != KT_OK)
            return st;
        if (role != KT_ROLE_AUTO && role != found)
            return kt_fail(err, KT_E_INVALID_ARG, "%s: given as the %s but it is the %s", origin,
                           kt_cert_role_name(role), kt_cert_role_name(found));
        return put_slot(certs, found, der, len, origin, replace, err);
    }
    X509_free(cert);
    p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    bool is_crl = crl && p == der + len;
    X509_CRL_free(crl);
    if (is_crl) {
        if (role != KT_ROLE_AUTO && role != KT_ROLE_CRL)
            return kt_fail(err, KT_E_INVALID_ARG, "%s: given as the %s but it is a CRL", origin,
                           kt_cert_role_name(role));
        return put_slot(certs, KT_ROLE_CRL, der, len, origin, replace, err);
    }
    return kt_fail(err, KT_E_PARSE,
                   "%s: not a DER X.509 certificate or CRL (%zu bytes)", origin, len);
}

/* Add every certificate / CRL of a PEM text (a bundle holds several). */
typedef struct pem_add {
    kt_certs *certs;
    kt_cert_role role;
    const char *origin;
    bool replace;
} pem_add;

static kt_status add_pem_block(void *ctx, const char *type, const uint8_t *der, size_t len,
                               int index, kt_error *err) {
    pem_add *a = ctx;
    if (strcmp(type, "CERTIFICATE") != 0 && strcmp(type, "X509 CRL") != 0 &&
        strcmp(type, "TRUSTED CERTIFICATE") != 0)
        return kt_fail(err, KT_E_PARSE, "%s: PEM block '%s' is not a certificate or CRL",
                       a->origin, type);
    char where[160];
    snprintf(where, sizeof where, index ? "%s (#%d)" : "%s", a->origin, index + 1);
    /* A bundle fills several roles, so a fixed role only applies to its first block. */
    return add_der(a->certs, index == 0 ? a->role : KT_ROLE_AUTO, der, len, where, a->replace,
                   err);
}

static kt_status add_pem(kt_certs *certs, kt_cert_role role, const uint8_t *pem, size_t len,
                         const char *origin, bool replace, kt_error *err) {
    pem_add a = {certs, role, origin, replace};
    int count = 0;
    kt_status st = kt_pem_foreach(pem, len, add_pem_block, &a, &count, err);
    if (st == KT_OK && count == 0)
        st = kt_fail(err, KT_E_PARSE, "%s: no PEM certificate or CRL found", origin);
    return st;
}

kt_status kt_certs_add(kt_certs *certs, kt_cert_role role, const uint8_t *bytes, size_t len,
                       const char *origin, bool replace, kt_error *err) {
    if (!certs || !bytes || (int)role < 0 || role >= ROLE_SLOTS)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_certs_add: bad argument");
    if (!origin)
        origin = "(memory)";
    if (len == 0)
        return kt_fail(err, KT_E_LENGTH, "%s: empty (0 bytes): not a certificate or CRL", origin);
    if (len > CERT_FILE_MAX)
        return kt_fail(err, KT_E_TOO_LARGE, "%s: %zu bytes is too large for a certificate",
                       origin, len);
    if (kt_pem_detect(bytes, len))
        return add_pem(certs, role, bytes, len, origin, replace, err);
    return add_der(certs, role, bytes, len, origin, replace, err);
}

kt_status kt_certs_add_file(kt_certs *certs, kt_cert_role role, const char *path,
                            kt_error *err) {
    uint8_t *data = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(path, CERT_FILE_MAX, &data, &len, err);
    if (st == KT_OK)
        st = kt_certs_add(certs, role, data, len, path, false, err);
    free(data);
    return st;
}

/* File names kt_certs_add_dir looks for, with the role each must hold. */
static const struct {
    const char *name;
    kt_cert_role role;
} dir_names[] = {
    {"ark.pem", KT_ROLE_ARK},   {"ark.der", KT_ROLE_ARK},   {"ask.pem", KT_ROLE_ASK},
    {"ask.der", KT_ROLE_ASK},   {"asvk.pem", KT_ROLE_ASVK}, {"asvk.der", KT_ROLE_ASVK},
    {"vcek.pem", KT_ROLE_VCEK}, {"vcek.der", KT_ROLE_VCEK}, {"vlek.pem", KT_ROLE_VLEK},
    {"vlek.der", KT_ROLE_VLEK}, {"crl.der", KT_ROLE_CRL},   {"crl.pem", KT_ROLE_CRL},
    {"cert_chain.pem", KT_ROLE_AUTO}, {"vlek_cert_chain.pem", KT_ROLE_AUTO},
    {"vcek_chain.pem", KT_ROLE_AUTO},
};

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

kt_status kt_certs_add_dir(kt_certs *certs, const char *dir, kt_error *err) {
    if (!certs || !dir)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_certs_add_dir: bad argument");
    DIR *d = opendir(dir);
    if (!d && errno == ENOTDIR)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "%s is a file, not a folder (give single certificates with --ark, --ask, "
                       "--vcek, ... or a folder with --certs)",
                       dir);
    if (!d)
        return kt_fail(err, KT_E_IO, "cannot open certificate folder %s: %s", dir,
                       errno == ENOENT ? "no such folder" : "not readable");
    closedir(d);
    char path[4096];
    int found = 0;
    for (size_t i = 0; i < sizeof dir_names / sizeof dir_names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dir_names[i].name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fclose(f);
        kt_status st = kt_certs_add_file(certs, dir_names[i].role, path, err);
        if (st != KT_OK)
            return st;
        found++;
    }
    /* CRLs under other names, as KDS and other tools save them (milan.crl.der, *.crl). */
    d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, "crl.der") == 0 || strcmp(e->d_name, "crl.pem") == 0)
            continue;
        if (!(ends_with(e->d_name, ".crl") || ends_with(e->d_name, ".crl.der") ||
              ends_with(e->d_name, ".crl.pem")))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        kt_status st = kt_certs_add_file(certs, KT_ROLE_CRL, path, err);
        if (st != KT_OK) {
            closedir(d);
            return st;
        }
        found++;
    }
    if (d)
        closedir(d);
    if (found == 0)
        return kt_fail(err, KT_E_NOT_FOUND,
                       "no certificates in %s (expected ark, ask/asvk, vcek/vlek as .pem or .der, "
                       "or cert_chain.pem)",
                       dir);
    return KT_OK;
}

kt_status kt_certs_add_cert_table(kt_certs *certs, const kt_cert_table *table,
                                  const char *origin, kt_error *err) {
    if (!certs || !table)
        return kt_fail(err, KT_E_INVALID_ARG, "kt_certs_add_cert_table: bad argument");
    for (size_t i = 0; i < table->count; i++) {
        const kt_cert_entry *e = &table->entries[i];
        kt_cert_role role;
        switch (e->kind) {
        case KT_CERT_VCEK: role = KT_ROLE_VCEK; break;
        case KT_CERT_VLEK: role = KT_ROLE_VLEK; break;
        case KT_CERT_ASK: role = KT_ROLE_AUTO; break; /* ASK or ASVK: decided by its CN */
        case KT_CERT_ARK: role = KT_ROLE_ARK; break;
        case KT_CERT_OTHER:
        default: continue; /* entries we do not use (e.g. vendor blobs) */
        }
        char where[160];
        snprintf(where, sizeof where, "%s %s entry%s", origin, kt_cert_kind_name(e->kind),
                 e->is_pem ? " (PEM)" : "");
        kt_status st = kt_certs_add(certs, role, e->data, e->len, where, false, err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}
