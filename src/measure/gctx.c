/*
 * The launch-digest chain the AMD secure processor keeps while the VMM adds
 * pages (SNP firmware ABI, "PAGE_INFO"): for each page,
 *   ld = SHA-384(ld[48] || contents[48] || u16 0x70 || u8 page_type ||
 *                u8 is_imi=0 || u8 vmpl3/2/1 perms = 0 || u8 0 || u64 gpa)
 * where contents is SHA-384 of the page for normal and VMSA pages and zero
 * otherwise. One EVP context is reused for every hash: a launch has ~1000
 * firmware pages, each needing two SHA-384s, and context setup would
 * otherwise cost as much as the small PAGE_INFO hash itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/measure_internal.h"
#include "util/cursor.h"
#include "util/error.h"

#define PAGE_INFO_LEN 0x70u
/* The VMSA page is recorded at GPA 2^64-1, page-aligned, bits above 51 cleared. */
#define VMSA_GPA 0xFFFFFFFFF000ull

kt_status kt_gctx_init(kt_gctx *g, const uint8_t *seed, kt_error *err) {
    memset(g, 0, sizeof *g);
    if (seed)
        memcpy(g->ld, seed, sizeof g->ld);
    g->md = EVP_MD_fetch(NULL, "SHA384", NULL);
    g->ctx = EVP_MD_CTX_new();
    if (!g->md || !g->ctx) {
        kt_gctx_free(g);
        return kt_fail(err, KT_E_INTERNAL, "OpenSSL has no SHA-384");
    }
    return KT_OK;
}

void kt_gctx_free(kt_gctx *g) {
    EVP_MD_CTX_free(g->ctx);
    EVP_MD_free(g->md);
    g->ctx = NULL;
    g->md = NULL;
}

static bool sha384(kt_gctx *g, const uint8_t *data, size_t len, uint8_t out[48]) {
    unsigned int n = 0;
    return EVP_DigestInit_ex2(g->ctx, g->md, NULL) == 1 &&
           EVP_DigestUpdate(g->ctx, data, len) == 1 && EVP_DigestFinal_ex(g->ctx, out, &n) == 1 &&
           n == 48;
}

static kt_status update(kt_gctx *g, uint8_t type, uint64_t gpa, const uint8_t contents[48],
                        kt_error *err) {
    uint8_t info[PAGE_INFO_LEN];
    memcpy(info, g->ld, 48);
    if (contents)
        memcpy(info + 48, contents, 48);
    else
        memset(info + 48, 0, 48);
    info[96] = (uint8_t)PAGE_INFO_LEN;
    info[97] = 0;
    info[98] = type;
    memset(info + 99, 0, 5); /* is_imi, vmpl3, vmpl2, vmpl1 permissions, reserved */
    kt_put_u64le(info + 104, gpa);
    if (!sha384(g, info, sizeof info, g->ld))
        return kt_fail(err, KT_E_INTERNAL, "SHA-384 failed");
    return KT_OK;
}

/*
 * Page hashes are independent; only the chain is sequential. For a large
 * image (a 4 MiB OVMF is 1024 pages) the per-page SHA-384s are computed on
 * up to MAX_THREADS threads first, then chained in order. The result does
 * not depend on the thread count; if a thread cannot be started, the
 * caller's thread does its share.
 */
#define PARALLEL_MIN_PAGES 256u
#define MAX_THREADS 4

typedef struct page_job {
    const uint8_t *data;
    size_t first, count; /* pages */
    uint8_t *hashes;     /* 48 bytes per page, indexed from page 0 */
    bool ok;
} page_job;

static void hash_pages(page_job *j) {
    j->ok = false;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA384", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = md && ctx;
    for (size_t i = j->first; ok && i < j->first + j->count; i++) {
        unsigned int n = 0;
        ok = EVP_DigestInit_ex2(ctx, md, NULL) == 1 &&
             EVP_DigestUpdate(ctx, j->data + i * KT_PAGE_SIZE, KT_PAGE_SIZE) == 1 &&
             EVP_DigestFinal_ex(ctx, j->hashes + i * 48, &n) == 1 && n == 48;
    }
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    j->ok = ok;
}

static void *hash_pages_thread(void *arg) {
    hash_pages(arg);
    return NULL;
}

static size_t thread_count(size_t pages) {
    if (pages < PARALLEL_MIN_PAGES)
        return 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus < 1 ? 1 : (size_t)cpus;
    return n > MAX_THREADS ? MAX_THREADS : n;
}

static kt_status parallel_normal_pages(kt_gctx *g, uint64_t gpa, const uint8_t *data,
                                       size_t pages, size_t nthreads, kt_error *err) {
    uint8_t *hashes = malloc(pages * 48);
    if (!hashes)
        return kt_fail_oom(err);
    page_job jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    size_t per = pages / nthreads, extra = pages % nthreads, next = 0;
    for (size_t t = 0; t < nthreads; t++) {
        jobs[t] = (page_job){data, next, per + (t < extra ? 1 : 0), hashes, false};
        next += jobs[t].count;
    }
    /* Job 0 runs here; the others on threads (or here, if a thread fails to start). */
    for (size_t t = 1; t < nthreads; t++)
        started[t] = pthread_create(&tids[t], NULL, hash_pages_thread, &jobs[t]) == 0;
    hash_pages(&jobs[0]);
    bool ok = jobs[0].ok;
    for (size_t t = 1; t < nthreads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            hash_pages(&jobs[t]);
        ok = ok && jobs[t].ok;
    }
    kt_status st = ok ? KT_OK : kt_fail(err, KT_E_INTERNAL, "SHA-384 failed");
    for (size_t i = 0; i < pages && st == KT_OK; i++)
        st = update(g, KT_PAGE_NORMAL, gpa + i * KT_PAGE_SIZE, hashes + i * 48, err);
    free(hashes);
    return st;
}

kt_status kt_gctx_normal_pages(kt_gctx *g, uint64_t gpa, const uint8_t *data, size_t len,
                               kt_error *err) {
    if (len % KT_PAGE_SIZE != 0)
        return kt_fail(err, KT_E_INTERNAL, "normal pages of %zu bytes are not whole pages", len);
    size_t pages = len / KT_PAGE_SIZE;
    size_t nthreads = thread_count(pages);
    if (nthreads > 1)
        return parallel_normal_pages(g, gpa, data, pages, nthreads, err);
    uint8_t h[48];
    for (size_t off = 0; off < len; off += KT_PAGE_SIZE) {
        if (!sha384(g, data + off, KT_PAGE_SIZE, h))
            return kt_fail(err, KT_E_INTERNAL, "SHA-384 failed");
        kt_status st = update(g, KT_PAGE_NORMAL, gpa + off, h, err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

kt_status kt_gctx_empty_pages(kt_gctx *g, uint8_t type, uint64_t gpa, uint64_t len,
                              kt_error *err) {
    for (uint64_t off = 0; off < len; off += KT_PAGE_SIZE) {
        kt_status st = update(g, type, gpa + off, NULL, err);
        if (st != KT_OK)
            return st;
    }
    return KT_OK;
}

kt_status kt_gctx_vmsa_page(kt_gctx *g, const uint8_t page[KT_PAGE_SIZE], kt_error *err) {
    uint8_t h[48];
    if (!sha384(g, page, KT_PAGE_SIZE, h))
        return kt_fail(err, KT_E_INTERNAL, "SHA-384 failed");
    return update(g, KT_PAGE_VMSA, VMSA_GPA, h, err);
}
