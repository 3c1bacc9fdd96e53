/*
 * Test support for the sev-snp attester programs: a fake configfs-tsm tree in
 * a temporary directory, populated through the transport's tsm_step hook the
 * way the kernel populates the real one (provider, generation counting our
 * writes, outblob and auxblob from the request). SEV-SNP builds only.
 */
#ifndef KT_TEST_SNP_FAKE_TSM_H
#define KT_TEST_SNP_FAKE_TSM_H

#include "snp_fake_device.h"

#ifdef KT_HAVE_SNP

typedef struct fake_tsm {
    const char *provider;   /* NULL = "sev_guest" */
    const char *generation; /* NULL = "0" (initial content) */
    int gen_extra_written;  /* a foreign write between ours and the reads */
    int gen_extra_read;     /* a foreign write while we read the blobs */
    bool no_outblob;
    size_t outblob_len;     /* 0 = full report */
    bool ignore_inblob;     /* answer with the base report's REPORT_DATA */
    bool write_auxblob;
    const uint8_t *aux;
    size_t aux_len;
    kt_snp_tsm_step inject_step; /* return inject_errno at this step ... */
    int inject_errno;
    int inject_times;            /* ... this many times (0 = always) */
    /* observed */
    int steps[5];
    int injected;
    size_t entries;
    char entry[8][600];
    char privlevel[32];
    uint8_t inblob[128];
    size_t inblob_len;
    unsigned sleeps[16];
    size_t nsleeps;
} fake_tsm;

/* Entries in a folder, "." and ".." not counted. */
size_t count_entries(const char *dir);

/* kt_snp_transport callbacks over a fake_tsm (ctx): the kernel's part of configfs-tsm. */
int tsm_step(void *ctx, const char *entry, kt_snp_tsm_step s);
void tsm_sleep(void *ctx, unsigned ms);

/* A quote through the fake configfs-tsm t under fx->tsm_root (made if absent);
 * every entry must be gone afterwards, on success and on failure. */
kt_status tsm_quote(fixture *fx, fake_tsm *t, int vmpl, bool with_certs, const uint8_t rd[64],
                    uint8_t **q, size_t *qlen, kt_error *err);

#endif /* KT_HAVE_SNP */
#endif
