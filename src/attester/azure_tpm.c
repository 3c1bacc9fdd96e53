/*
 * The azure attester: an Azure SEV-SNP confidential VM through its vTPM
 * (tpm2-tss ESAPI; built only with KATANA_TEE_AZURE).
 *
 * The guest cannot ask for an SNP report itself: the paravisor at VMPL 0
 * does, and keeps it, wrapped in an HCL report, in NV 0x01400001, with
 * REPORT_DATA = SHA-256(runtime claims). Our 64 bytes reach the claims'
 * "user-data" only through NV 0x01400002, which the paravisor reads when it
 * regenerates the report (on a read of 0x01400001 at offset 0, at most once
 * every 2 s). So: write, read, and check the echo; re-read after the
 * regeneration period a bounded number of times; never return a report
 * whose user-data is not what we wrote. Callers are serialised by a lock
 * file, because the NV index is one shared mailbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "attester/attester_internal.h"
#include "azure/azure_internal.h"
#include "util/error.h"

#define NV_HCL_REPORT 0x01400001u
#define NV_USER_DATA 0x01400002u
#define AK_HANDLE 0x81000003u
#define DEFAULT_TCTI "device:/dev/tpmrm0"
#define DEFAULT_LOCK "/run/lock/katana-tee-azure.lock"
#define DEFAULT_RETRIES 3
#define DEFAULT_RETRY_MS 2100

typedef struct azure_ctx {
    char *tcti;
    char *lock_path;
    char *thim_url; /* NULL: no certificates */
    bool with_quote;
    int retries;
    unsigned retry_ms;
} azure_ctx;

typedef struct tpm {
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
} tpm;

static kt_status tss_fail(kt_error *err, TSS2_RC rc, const char *what) {
    return kt_fail(err, KT_E_DEVICE, "vTPM: %s failed: %s (0x%x)", what, Tss2_RC_Decode(rc),
                   (unsigned)rc);
}

static kt_status tpm_open(const char *tcti, tpm *t, kt_error *err) {
    memset(t, 0, sizeof *t);
    TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
    if (rc != TSS2_RC_SUCCESS)
        return kt_fail(err, KT_E_NO_DEVICE, "vTPM: cannot open TCTI \"%s\": %s", tcti,
                       Tss2_RC_Decode(rc));
    rc = Esys_Initialize(&t->esys, t->tcti, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        Tss2_TctiLdr_Finalize(&t->tcti);
        return tss_fail(err, rc, "Esys_Initialize");
    }
    return KT_OK;
}

static void tpm_close(tpm *t) {
    if (t->esys)
        Esys_Finalize(&t->esys);
    if (t->tcti)
        Tss2_TctiLdr_Finalize(&t->tcti);
}

/* An NV index's ESYS handle and data size; KT_E_NOT_FOUND when undefined. */
static kt_status nv_lookup(tpm *t, uint32_t index, ESYS_TR *nv, uint16_t *size, kt_error *err) {
    TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       nv);
    if (rc != TSS2_RC_SUCCESS)
        return kt_fail(err, KT_E_NOT_FOUND, "vTPM: NV index 0x%08x is not defined (%s)",
                       (unsigned)index, Tss2_RC_Decode(rc));
    TPM2B_NV_PUBLIC *pub = NULL;
    rc = Esys_NV_ReadPublic(t->esys, *nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
    if (rc != TSS2_RC_SUCCESS)
        return tss_fail(err, rc, "NV_ReadPublic");
    *size = pub->nvPublic.dataSize;
    Esys_Free(pub);
    return KT_OK;
}

/* NV 0x01400002: 64 bytes, owner read/write, defined (or redefined) as needed. */
static kt_status ensure_user_data_index(tpm *t, ESYS_TR *nv, kt_error *err) {
    uint16_t size = 0;
    kt_error lookup = {0};
    kt_status st = nv_lookup(t, NV_USER_DATA, nv, &size, &lookup);
    if (st == KT_OK && size == 64)
        return KT_OK;
    if (st != KT_OK && st != KT_E_NOT_FOUND) {
        *err = lookup;
        return st;
    }
    TSS2_RC rc;
    if (st == KT_OK) { /* defined with another size: replace it */
        rc = Esys_NV_UndefineSpace(t->esys, ESYS_TR_RH_OWNER, *nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE);
        if (rc != TSS2_RC_SUCCESS)
            return tss_fail(err, rc, "NV_UndefineSpace(0x01400002)");
    }
    TPM2B_AUTH auth = {.size = 0};
    TPM2B_NV_PUBLIC pub = {
        .size = 0,
        .nvPublic = {.nvIndex = NV_USER_DATA,
                     .nameAlg = TPM2_ALG_SHA256,
                     .attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD,
                     .authPolicy = {.size = 0},
                     .dataSize = 64},
    };
    rc = Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                             ESYS_TR_NONE, &auth, &pub, nv);
    if (rc != TSS2_RC_SUCCESS)
        return tss_fail(err, rc, "NV_DefineSpace(0x01400002, 64 bytes, owner read/write)");
    return KT_OK;
}

static uint32_t nv_buffer_max(tpm *t) {
    TPMS_CAPABILITY_DATA *cap = NULL;
    uint32_t max = 512; /* the smallest any TPM offers */
    TSS2_RC rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, NULL, &cap);
    if (rc == TSS2_RC_SUCCESS && cap->data.tpmProperties.count == 1 &&
        cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX &&
        cap->data.tpmProperties.tpmProperty[0].value > 0)
        max = cap->data.tpmProperties.tpmProperty[0].value;
    Esys_Free(cap);
    return max > TPM2_MAX_NV_BUFFER_SIZE ? TPM2_MAX_NV_BUFFER_SIZE : max;
}

/* The whole of an NV index, in chunks the TPM accepts. *out malloc'd. */
static kt_status nv_read_all(tpm *t, uint32_t index, uint8_t **out, size_t *out_len,
                             kt_error *err) {
    ESYS_TR nv;
    uint16_t size = 0;
    kt_status st = nv_lookup(t, index, &nv, &size, err);
    if (st != KT_OK)
        return st;
    if (size == 0)
        return kt_fail(err, KT_E_DEVICE, "vTPM: NV index 0x%08x is empty", (unsigned)index);
    uint8_t *buf = malloc(size);
    if (!buf)
        return kt_fail_oom(err);
    uint32_t chunk = nv_buffer_max(t);
    for (uint32_t off = 0; off < size;) {
        uint16_t n = (uint16_t)(size - off < chunk ? size - off : chunk);
        TPM2B_MAX_NV_BUFFER *data = NULL;
        TSS2_RC rc = Esys_NV_Read(t->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, n, (uint16_t)off, &data);
        if (rc != TSS2_RC_SUCCESS || data->size != n) {
            Esys_Free(data);
            free(buf);
            return rc != TSS2_RC_SUCCESS ? tss_fail(err, rc, "NV_Read")
                                         : kt_fail(err, KT_E_DEVICE, "vTPM: short NV_Read");
        }
        memcpy(buf + off, data->buffer, n);
        Esys_Free(data);
        off += n;
    }
    *out = buf;
    *out_len = size;
    return KT_OK;
}

/* Whether an HCL report carries `want` as its claims' user-data. */
static bool echoes(const uint8_t *hcl, size_t len, const uint8_t want[64], char *why,
                   size_t why_cap) {
    kt_hcl_report h;
    kt_azure_claims c;
    kt_error e = {0};
    if (kt_hcl_parse(hcl, len, &h, &e) != KT_OK ||
        kt_azure_claims_parse(h.claims, h.claims_len, &c, &e) != KT_OK) {
        snprintf(why, why_cap, "%.200s", e.message);
        return false;
    }
    if (c.user_data_state != KT_USER_DATA_OK) {
        snprintf(why, why_cap, "the claims' user-data is %s",
                 c.user_data_state == KT_USER_DATA_ABSENT ? "absent" : "malformed");
        return false;
    }
    if (memcmp(c.user_data, want, 64) != 0) {
        snprintf(why, why_cap, "the claims' user-data is not what was written (a stale report)");
        return false;
    }
    return true;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static kt_status take_quote(tpm *t, const uint8_t nonce[64], kt_azure_evidence *ev,
                            kt_error *err) {
    ESYS_TR ak;
    TSS2_RC rc = Esys_TR_FromTPMPublic(t->esys, AK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       ESYS_TR_NONE, &ak);
    if (rc != TSS2_RC_SUCCESS)
        return kt_fail(err, KT_E_NO_DEVICE, "vTPM: no attestation key at 0x81000003 (%s)",
                       Tss2_RC_Decode(rc));
    TPM2B_DATA qualifying = {.size = 64};
    memcpy(qualifying.buffer, nonce, 64);
    TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
    TPML_PCR_SELECTION sel = {.count = 1};
    sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel.pcrSelections[0].sizeofSelect = 3;
    memset(sel.pcrSelections[0].pcrSelect, 0xFF, 3);
    TPM2B_ATTEST *quoted = NULL;
    TPMT_SIGNATURE *sig = NULL;
    rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                    &scheme, &sel, &quoted, &sig);
    if (rc != TSS2_RC_SUCCESS)
        return tss_fail(err, rc, "Quote with the AK 0x81000003");
    kt_status st = KT_OK;
    uint8_t sig_buf[sizeof(TPMT_SIGNATURE)];
    size_t sig_len = 0;
    if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sig_buf, sizeof sig_buf, &sig_len) != TSS2_RC_SUCCESS)
        st = kt_fail(err, KT_E_INTERNAL, "vTPM: cannot marshal the quote signature");
    if (st == KT_OK && (!(ev->quote_msg = malloc(quoted->size)) || !(ev->quote_sig = malloc(sig_len))))
        st = kt_fail_oom(err);
    if (st == KT_OK) {
        memcpy(ev->quote_msg, quoted->attestationData, quoted->size);
        ev->quote_msg_len = quoted->size;
        memcpy(ev->quote_sig, sig_buf, sig_len);
        ev->quote_sig_len = sig_len;
    }
    Esys_Free(quoted);
    Esys_Free(sig);
    /* PCR values: a TPML_DIGEST holds at most 8, so read until all 24 are in */
    while (st == KT_OK && ev->pcr_mask != 0xFFFFFFu) {
        uint32_t want = 0xFFFFFFu & ~ev->pcr_mask;
        TPML_PCR_SELECTION in = {.count = 1}, *out = NULL;
        in.pcrSelections[0].hash = TPM2_ALG_SHA256;
        in.pcrSelections[0].sizeofSelect = 3;
        for (int b = 0; b < 3; b++)
            in.pcrSelections[0].pcrSelect[b] = (uint8_t)(want >> (8 * b));
        TPML_DIGEST *values = NULL;
        rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, NULL, &out,
                           &values);
        if (rc != TSS2_RC_SUCCESS) {
            st = tss_fail(err, rc, "PCR_Read");
            break;
        }
        uint32_t got = 0;
        if (out->count == 1 && out->pcrSelections[0].hash == TPM2_ALG_SHA256)
            for (int b = 0; b < 3 && b < out->pcrSelections[0].sizeofSelect; b++)
                got |= (uint32_t)out->pcrSelections[0].pcrSelect[b] << (8 * b);
        uint32_t k = 0;
        for (int i = 0; i < KT_TPM_PCR_COUNT && st == KT_OK; i++) {
            if (!(got & (1u << i)))
                continue;
            if (k >= values->count || values->digests[k].size != 32)
                st = kt_fail(err, KT_E_DEVICE, "vTPM: PCR_Read answered inconsistently");
            else
                memcpy(ev->pcrs[i], values->digests[k++].buffer, 32);
        }
        Esys_Free(out);
        Esys_Free(values);
        if (st == KT_OK && (got == 0 || (got & ~want)))
            st = kt_fail(err, KT_E_DEVICE, "vTPM: PCR_Read returned no new SHA-256 PCRs");
        ev->pcr_mask |= got;
    }
    return st;
}

static kt_status azure_quote(void *ctx, const uint8_t report_data[64], uint8_t **quote,
                             size_t *quote_len, kt_error *err) {
    azure_ctx *c = ctx;
    /* one caller at a time: NV 0x01400002 is a single mailbox */
    int lock = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return kt_fail(err, KT_E_IO, "cannot open the lock file %s", c->lock_path);
    while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
    tpm t;
    kt_azure_evidence ev;
    memset(&ev, 0, sizeof ev);
    ev.layout = KT_AZURE_LAYOUT_KATANA;
    kt_status st = tpm_open(c->tcti, &t, err);
    ESYS_TR nv;
    if (st == KT_OK)
        st = ensure_user_data_index(&t, &nv, err);
    if (st == KT_OK) {
        TPM2B_MAX_NV_BUFFER data = {.size = 64};
        memcpy(data.buffer, report_data, 64);
        TSS2_RC rc = Esys_NV_Write(t.esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE, &data, 0);
        if (rc != TSS2_RC_SUCCESS)
            st = tss_fail(err, rc, "NV_Write(0x01400002)");
    }
    char why[256] = "";
    int tries = 1 + (c->retries > 0 ? c->retries : 0);
    for (int i = 0; st == KT_OK; i++) {
        if ((st = nv_read_all(&t, NV_HCL_REPORT, &ev.hcl, &ev.hcl_len, err)) != KT_OK)
            break;
        if (ev.hcl_len < 4 || memcmp(ev.hcl, "HCLA", 4) != 0) {
            st = kt_fail(err, KT_E_NO_DEVICE,
                         "vTPM: NV 0x01400001 does not hold an HCL report: not an Azure "
                         "confidential VM");
            break;
        }
        if (echoes(ev.hcl, ev.hcl_len, report_data, why, sizeof why))
            break;
        free(ev.hcl);
        ev.hcl = NULL;
        if (i + 1 >= tries) {
            st = kt_fail(err, KT_E_BUSY,
                         "vTPM: the HCL report was not regenerated with our data after %d "
                         "read%s: %s",
                         tries, tries == 1 ? "" : "s", why);
            break;
        }
        sleep_ms(c->retry_ms); /* past the paravisor's regeneration period */
    }
    if (st == KT_OK && c->with_quote)
        st = take_quote(&t, report_data, &ev, err);
    if (t.esys || t.tcti)
        tpm_close(&t);
    flock(lock, LOCK_UN);
    close(lock);
    if (st == KT_OK && c->thim_url) /* asked for certificates: the host's cache must give them */
        st = kt_azure_thim_fetch(c->thim_url, &ev, err);
    if (st == KT_OK)
        st = kt_azure_evidence_encode(&ev, quote, quote_len, err);
    free(ev.hcl);
    free(ev.quote_msg);
    free(ev.quote_sig);
    for (size_t i = 0; i < ev.cert_count; i++)
        free(ev.certs[i]);
    return st;
}

static void azure_free(void *ctx) {
    azure_ctx *c = ctx;
    if (!c)
        return;
    free(c->tcti);
    free(c->lock_path);
    free(c->thim_url);
    free(c);
}

static const kt_attester_ops azure_ops = {"azure", azure_quote, azure_free};

kt_status kt_attester_azure_open(const kt_attester_opts *opts, const kt_attester_ops **ops,
                                 void **ctx, kt_error *err) {
    const char *tcti = opts->tpm_tcti ? opts->tpm_tcti : DEFAULT_TCTI;
    /* Not Azure when the SEV-SNP guest device is there (only checked for the real TPM) */
    struct stat sb;
    if (!opts->tpm_tcti && stat("/dev/sev-guest", &sb) == 0)
        return kt_fail(err, KT_E_NO_DEVICE,
                       "attester 'azure': /dev/sev-guest exists, so this is not an Azure "
                       "confidential VM (use the sev-snp attester)");
    azure_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return kt_fail_oom(err);
    c->tcti = strdup(tcti);
    c->lock_path = strdup(opts->azure_lock ? opts->azure_lock : DEFAULT_LOCK);
    c->with_quote = !opts->azure_no_quote;
    c->retries = opts->azure_retries == 0 ? DEFAULT_RETRIES : opts->azure_retries;
    c->retry_ms = opts->azure_retry_ms ? opts->azure_retry_ms : DEFAULT_RETRY_MS;
    if (opts->with_certs)
        c->thim_url = strdup(opts->azure_thim_url ? opts->azure_thim_url : KT_AZURE_THIM_URL);
    if (!c->tcti || !c->lock_path || (opts->with_certs && !c->thim_url)) {
        azure_free(c);
        return kt_fail_oom(err);
    }
    *ops = &azure_ops;
    *ctx = c;
    return KT_OK;
}
