/* Simulator: a KDS-shaped folder tree for a static HTTP server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "katana_tee/hex.h"
#include "sim/sim_internal.h"
#include "util/error.h"
#include "util/fileio.h"

#define CRL_DAYS 30

void kt_sim_kds_vcek_name(kt_product product, const kt_tcb *tcb, char out[64]) {
    if (product == KT_PRODUCT_TURIN)
        snprintf(out, 64, "fmc%u_bl%u_tee%u_snp%u_ucode%u.der", tcb->fmc, tcb->boot_loader,
                 tcb->tee, tcb->snp, tcb->microcode);
    else
        snprintf(out, 64, "bl%u_tee%u_snp%u_ucode%u.der", tcb->boot_loader, tcb->tee, tcb->snp,
                 tcb->microcode);
}

/* mkdir -p for the directory part of root/rel. */
static kt_status make_parents(const char *root, const char *rel, kt_error *err) {
    char *path = kt_sim_path(root, rel);
    if (!path)
        return kt_fail_oom(err);
    char *slash = strrchr(path, '/');
    kt_status st = KT_OK;
    if (slash && (size_t)(slash - path) > strlen(root)) {
        *slash = '\0';
        st = kt_mkdirs(path, 0755, err);
    }
    free(path);
    return st;
}

static kt_status put(const char *root, const char *rel, const void *data, size_t len,
                     json_t *index, const char *url_path, json_t *query, const char *type,
                     kt_error *err) {
    kt_status st = make_parents(root, rel, err);
    char *path = st == KT_OK ? kt_sim_path(root, rel) : NULL;
    if (st == KT_OK && !path)
        st = kt_fail_oom(err);
    if (st == KT_OK)
        st = kt_file_write_atomic(path, data, len, 0644, err);
    free(path);
    json_t *e = json_pack("{s:s, s:o, s:s, s:s}", "path", url_path, "query",
                          query ? query : json_null(), "file", rel, "content_type", type);
    if (st == KT_OK && (!e || json_array_append_new(index, e) != 0)) {
        e = NULL;
        st = kt_fail_oom(err);
    } else if (st != KT_OK) {
        json_decref(e);
    }
    return st;
}

kt_status kt_sim_write_kds_tree(const kt_sim *sim, const char *out_dir, kt_error *err) {
    if (!sim || !out_dir || !*out_dir)
        return kt_fail(err, KT_E_INVALID_ARG, "sim kds-tree: missing argument");
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST)
        return kt_fail(err, KT_E_IO, "cannot create %s: %s", out_dir, strerror(errno));
    const char *kind = sim->signer == KT_SIM_SIGNER_VLEK ? "vlek" : "vcek";
    const char *prod = kt_sim_product_path(sim->product);
    json_t *index = json_array();
    if (!index)
        return kt_fail_oom(err);

    char *ark_pem = NULL, *ca_pem = NULL, *chain = NULL;
    size_t ark_len = 0, ca_len = 0;
    uint8_t *crl = NULL;
    size_t crl_len = 0;
    kt_status st = kt_sim_cert_pem(sim->ark, &ark_pem, &ark_len, err);
    if (st == KT_OK)
        st = kt_sim_cert_pem(sim->ca, &ca_pem, &ca_len, err);
    if (st == KT_OK && !(chain = malloc(ark_len + ca_len + 1)))
        st = kt_fail_oom(err);
    char rel[256], url[260];
    if (st == KT_OK) {
        memcpy(chain, ca_pem, ca_len); /* ASK/ASVK first, then ARK, as KDS */
        memcpy(chain + ca_len, ark_pem, ark_len + 1);
        snprintf(rel, sizeof rel, "%s/v1/%s/cert_chain", kind, prod);
        snprintf(url, sizeof url, "/%s", rel);
        st = put(out_dir, rel, chain, ca_len + ark_len, index, url, NULL, "application/x-pem-file",
                 err);
    }
    if (st == KT_OK) {
        int64_t now = (int64_t)time(NULL);
        st = kt_sim_make_crl(sim, NULL, 0, now, now + CRL_DAYS * 86400LL, &crl, &crl_len, err);
    }
    if (st == KT_OK) {
        snprintf(rel, sizeof rel, "%s/v1/%s/crl", kind, prod);
        snprintf(url, sizeof url, "/%s", rel);
        st = put(out_dir, rel, crl, crl_len, index, url, NULL, "application/pkix-crl", err);
    }
    if (st == KT_OK && sim->signer == KT_SIM_SIGNER_VCEK) {
        /* KDS: /vcek/v1/{P}/{hwid}?[fmcSPL=..&]blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=.. */
        char hwid[129], name[64];
        kt_hex_encode(sim->chip_id, kt_sim_hwid_len(sim->product), hwid);
        kt_sim_kds_vcek_name(sim->product, &sim->tcb, name);
        snprintf(rel, sizeof rel, "vcek/v1/%s/%s/%s", prod, hwid, name);
        snprintf(url, sizeof url, "/vcek/v1/%s/%s", prod, hwid);
        json_t *q = json_object();
        if (q && sim->product == KT_PRODUCT_TURIN)
            json_object_set_new(q, "fmcSPL", json_integer(sim->tcb.fmc));
        if (q) {
            json_object_set_new(q, "blSPL", json_integer(sim->tcb.boot_loader));
            json_object_set_new(q, "teeSPL", json_integer(sim->tcb.tee));
            json_object_set_new(q, "snpSPL", json_integer(sim->tcb.snp));
            json_object_set_new(q, "ucodeSPL", json_integer(sim->tcb.microcode));
        }
        st = q ? put(out_dir, rel, sim->leaf_der, sim->leaf_der_len, index, url, q,
                     "application/x-x509-ca-cert", err)
               : kt_fail_oom(err);
    }
    if (st == KT_OK) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:O}", "format", "katana-tee-sim-kds/1",
                                "product", prod, "signer", kind, "entries", index);
        char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(doc);
        if (!text) {
            st = kt_fail_oom(err);
        } else {
            char *path = kt_sim_path(out_dir, "index.json");
            st = path ? kt_file_write_atomic(path, text, strlen(text), 0644, err)
                      : kt_fail_oom(err);
            free(path);
            free(text);
        }
    }
    json_decref(index);
    free(ark_pem);
    free(ca_pem);
    free(chain);
    free(crl);
    return st;
}
