/*
 * sev-snp attester: configfs-tsm (<root>/<entry>/{inblob,outblob,...}).
 *
 * One entry per request, named katana-tee-<pid>-<counter>, removed on every
 * path. Generation rule: the kernel bumps `generation` once per accepted
 * write to the entry. We read it right after mkdir (g0), write privlevel and
 * inblob, and require g0 + 2 afterwards (g1); after reading the blobs it
 * must still be g1. Anything else means another writer touched the entry,
 * or the kernel did not take one of our writes (a configfs binary attribute
 * reports write errors only through this counter) — KT_E_RACE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attester/snp_internal.h"
#include "katana_tee/report.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fileio.h"

#define TSM_PATH_MAX 4096
#define TSM_ENTRY_MAX (TSM_PATH_MAX - 64) /* room for "/<attribute>" */
#define TSM_OUR_WRITES 2 /* privlevel, inblob */

static atomic_uint entry_counter;

kt_status kt_snp_tsm_errno(const char *op, const char *path, int e, bool *busy, kt_error *err) {
    *busy = false;
    switch (e) {
    case EACCES:
    case EPERM:
        return kt_fail(err, KT_E_PERMISSION,
                       "permission denied to %s %s: run as root or grant access", op, path);
    case EBUSY:
    case EAGAIN:
        *busy = true;
        return kt_fail(err, KT_E_BUSY, "cannot %s %s: the device is busy; try again later", op,
                       path);
    case ETIMEDOUT:
        return kt_fail(err, KT_E_BUSY,
                       "cannot %s %s: the host kept throttling guest requests until the driver "
                       "gave up (ETIMEDOUT); try again later",
                       op, path);
    case EFBIG:
        return kt_fail(err, KT_E_DEVICE,
                       "cannot %s %s: the report exceeds configfs-tsm's size limits (EFBIG); the "
                       "kernel, guest driver and this tool do not match",
                       op, path);
    case ENOTTY:
        return kt_fail(err, KT_E_DEVICE,
                       "cannot %s %s: the guest driver disabled its VMPCK key after an earlier "
                       "firmware error (ENOTTY)",
                       op, path);
    case EIO:
        return kt_fail(err, KT_E_DEVICE,
                       "cannot %s %s: the guest request to the firmware failed (EIO)", op, path);
    case EINVAL:
        return kt_fail(err, KT_E_DEVICE,
                       "cannot %s %s: the request was rejected (EINVAL: firmware reported "
                       "invalid parameters or key, or a value is out of range)",
                       op, path);
    case ENXIO:
        return kt_fail(err, KT_E_DEVICE,
                       "cannot %s %s: the TSM provider is gone or the firmware returned an error "
                       "status (ENXIO)",
                       op, path);
    default:
        return kt_fail(err, KT_E_DEVICE, "cannot %s %s: %s", op, path, strerror(e));
    }
}

#define READ_TOO_BIG KT_READ_TOO_BIG

/* Read all of path into b (at most max bytes). Returns 0, an errno, or
 * READ_TOO_BIG when the file holds more than max bytes. */
static int read_all(const char *path, size_t max, kt_buf *b) {
    kt_buf_init(b, max);
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    int rc = kt_read_fd(fd, b);
    close(fd);
    if (rc)
        kt_buf_free(b);
    return rc;
}

/* Write exactly len bytes to an existing attribute file. Returns 0 or errno. */
static int write_all(const char *path, const void *data, size_t len) {
    int fd;
    do
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    int e = kt_write_all(fd, data, len);
    if (e != 0) {
        close(fd);
        return e;
    }
    /* configfs commits a binary attribute on close */
    if (close(fd) != 0 && errno != EINTR)
        return errno;
    return 0;
}

static bool attr_path(char *out, const char *entry, const char *name) {
    int n = snprintf(out, TSM_PATH_MAX, "%s/%s", entry, name);
    return n > 0 && n < TSM_PATH_MAX;
}

/* Read a small text attribute, trailing whitespace removed. */
static kt_status read_text(const char *entry, const char *name, char *out, size_t cap,
                           bool *busy, kt_error *err) {
    char path[TSM_PATH_MAX];
    if (!attr_path(path, entry, name))
        return kt_fail(err, KT_E_INVALID_ARG, "configfs-tsm path under %s is too long", entry);
    kt_buf b;
    int e = read_all(path, cap - 1, &b);
    if (e == READ_TOO_BIG)
        return kt_fail(err, KT_E_DEVICE, "%s holds more than %zu bytes", path, cap - 1);
    if (e)
        return kt_snp_tsm_errno("read", path, e, busy, err);
    size_t n = b.len;
    if (n)
        memcpy(out, b.data, n);
    kt_buf_free(&b);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' || out[n - 1] == '\r' ||
                     out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    if (memchr(out, '\0', n))
        return kt_fail(err, KT_E_DEVICE, "%s holds binary data, expected text", path);
    return KT_OK;
}

static kt_status read_generation(const char *entry, unsigned long long *gen, bool *busy,
                                 kt_error *err) {
    char text[32];
    kt_status st = read_text(entry, "generation", text, sizeof text, busy, err);
    if (st != KT_OK)
        return st;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!text[0] || text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0')
        return kt_fail(err, KT_E_DEVICE, "%s/generation holds '%s', not a number", entry, text);
    *gen = v;
    return KT_OK;
}

static kt_status write_attr(const char *entry, const char *name, const void *data, size_t len,
                            bool *busy, kt_error *err) {
    char path[TSM_PATH_MAX];
    if (!attr_path(path, entry, name))
        return kt_fail(err, KT_E_INVALID_ARG, "configfs-tsm path under %s is too long", entry);
    int e = write_all(path, data, len);
    return e ? kt_snp_tsm_errno("write", path, e, busy, err) : KT_OK;
}

static kt_status read_blob(const char *entry, const char *name, size_t max, kt_buf *b, bool *busy,
                           kt_error *err) {
    char path[TSM_PATH_MAX];
    if (!attr_path(path, entry, name))
        return kt_fail(err, KT_E_INVALID_ARG, "configfs-tsm path under %s is too long", entry);
    int e = read_all(path, max, b);
    if (e == READ_TOO_BIG)
        return kt_fail(err, KT_E_DEVICE, "%s holds more than %zu bytes", path, max);
    return e ? kt_snp_tsm_errno("read", path, e, busy, err) : KT_OK;
}

static int step(const kt_snp_cfg *cfg, const char *entry, kt_snp_tsm_step s) {
    /* the seam speaks the kernel's -errno (snp_transport.h); this file, positive errno */
    int rc = cfg->tr.tsm_step ? cfg->tr.tsm_step(cfg->tr.ctx, entry, s) : 0;
    return rc < 0 ? -rc : rc > 0 ? EIO : 0;
}

static kt_status race(const char *entry, const char *when, unsigned long long expected,
                      unsigned long long got, kt_error *err) {
    return kt_fail(err, KT_E_RACE,
                   "configfs-tsm entry %s changed under us: generation %llu %s, expected %llu "
                   "(another writer used the entry, or the kernel did not take a write)",
                   entry, got, when, expected);
}

/* The requests on a created entry, up to reading the blobs. */
static kt_status tsm_body(const kt_snp_cfg *cfg, const char *entry, const uint8_t report_data[64],
                          kt_buf *out, kt_buf *aux, bool *busy, kt_error *err) {
    char provider[64];
    kt_status st = read_text(entry, "provider", provider, sizeof provider, busy, err);
    if (st != KT_OK)
        return st;
    if (strcmp(provider, "sev_guest") != 0)
        return kt_fail(err, KT_E_NO_DEVICE,
                       "configfs-tsm provider at %s is '%s', not sev_guest: this is not an "
                       "SEV-SNP guest",
                       entry, provider);

    unsigned long long g0, g1, g2;
    if ((st = read_generation(entry, &g0, busy, err)) != KT_OK)
        return st;

    char level[16];
    int n = snprintf(level, sizeof level, "%u\n", cfg->vmpl);
    char path[TSM_PATH_MAX];
    if (!attr_path(path, entry, "privlevel"))
        return kt_fail(err, KT_E_INVALID_ARG, "configfs-tsm path under %s is too long", entry);
    int e = write_all(path, level, (size_t)n);
    if (e == EINVAL) {
        char floor[32];
        kt_error ferr = {0};
        bool fbusy;
        if (read_text(entry, "privlevel_floor", floor, sizeof floor, &fbusy, &ferr) != KT_OK)
            snprintf(floor, sizeof floor, "unknown");
        return kt_fail(err, KT_E_DEVICE,
                       "%s refused VMPL %u (EINVAL): this guest may request VMPL %s..3 "
                       "(privlevel_floor); pass --vmpl accordingly",
                       path, cfg->vmpl, floor);
    }
    if (e)
        return kt_snp_tsm_errno("write", path, e, busy, err);
    if ((st = write_attr(entry, "inblob", report_data, KT_SNP_USER_DATA_SIZE, busy, err)) != KT_OK)
        return st;
    if ((e = step(cfg, entry, KT_SNP_TSM_WRITTEN)) != 0) {
        attr_path(path, entry, "inblob");
        return kt_snp_tsm_errno("write", path, e, busy, err);
    }

    if ((st = read_generation(entry, &g1, busy, err)) != KT_OK)
        return st;
    if (g1 != g0 + TSM_OUR_WRITES)
        return race(entry, "after our 2 writes", g0 + TSM_OUR_WRITES, g1, err);

    if ((st = read_blob(entry, "outblob", KT_SNP_OUTBLOB_MAX, out, busy, err)) != KT_OK)
        return st;
    if (cfg->with_certs &&
        (st = read_blob(entry, "auxblob", KT_SNP_CERTS_MAX, aux, busy, err)) != KT_OK)
        return st;
    if ((e = step(cfg, entry, KT_SNP_TSM_READ)) != 0) {
        attr_path(path, entry, "outblob");
        return kt_snp_tsm_errno("read", path, e, busy, err);
    }

    if ((st = read_generation(entry, &g2, busy, err)) != KT_OK)
        return st;
    if (g2 != g1)
        return race(entry, "after reading the report", g1, g2, err);
    return KT_OK;
}

/* One attempt: create an entry, run the requests, remove the entry. */
static kt_status tsm_once(const kt_snp_cfg *cfg, const uint8_t report_data[64], kt_buf *out,
                          kt_buf *aux, bool *busy, bool *no_provider, kt_error *err) {
    char entry[TSM_ENTRY_MAX];
    bool created = false;
    int e = 0;
    for (int tries = 0; tries < 16 && !created; tries++) {
        unsigned k = atomic_fetch_add(&entry_counter, 1u);
        int n = snprintf(entry, sizeof entry, "%s/katana-tee-%ld-%u", cfg->configfs_root,
                         (long)getpid(), k);
        if (n < 0 || n >= (int)sizeof entry)
            return kt_fail(err, KT_E_INVALID_ARG, "configfs-tsm root path %s is too long",
                           cfg->configfs_root);
        if (mkdir(entry, 0700) == 0)
            created = true;
        else if ((e = errno) != EEXIST)
            break;
    }
    if (!created && e == EEXIST)
        return kt_fail(err, KT_E_DEVICE, "cannot create a report entry under %s: every name "
                       "tried exists", cfg->configfs_root);
    kt_status st = KT_OK;
    if (created)
        e = step(cfg, entry, KT_SNP_TSM_CREATED);
    if (e == ENXIO || e == ENODEV) {
        *no_provider = true;
        st = kt_fail(err, KT_E_NO_DEVICE, "configfs-tsm at %s has no provider registered",
                     cfg->configfs_root);
    } else if (e) {
        st = kt_snp_tsm_errno("create", entry, e, busy, err);
    } else {
        st = tsm_body(cfg, entry, report_data, out, aux, busy, err);
    }
    if (created) {
        step(cfg, entry, KT_SNP_TSM_REMOVING);
        rmdir(entry); /* the report is valid even if this fails; nothing to report it to */
    }
    return st;
}

kt_status kt_snp_quote_tsm(const kt_snp_cfg *cfg, const uint8_t report_data[64], uint8_t **quote,
                           size_t *quote_len, bool *no_provider, kt_error *err) {
    *no_provider = false;
    kt_buf out = {0}, aux = {0};
    kt_status st;
    for (unsigned attempt = 1;; attempt++) {
        bool busy = false;
        kt_buf_free(&out);
        kt_buf_free(&aux);
        kt_buf_init(&out, 0);
        kt_buf_init(&aux, 0);
        st = tsm_once(cfg, report_data, &out, &aux, &busy, no_provider, err);
        if (st == KT_OK || !busy)
            break;
        if (attempt >= KT_SNP_MAX_ATTEMPTS) {
            st = kt_fail_context(err, KT_E_BUSY, "still busy after %u attempts", attempt);
            break;
        }
        cfg->tr.sleep_ms(cfg->tr.ctx, kt_snp_backoff_ms(attempt));
    }
    const char *source = "configfs-tsm outblob";
    if (st == KT_OK)
        st = kt_snp_check_report(out.data, out.len, report_data, cfg->vmpl, source, err);
    size_t aux_used = 0;
    if (st == KT_OK && aux.len)
        st = kt_snp_cert_table_extent(aux.data, aux.len, &aux_used, "configfs-tsm auxblob", err);
    if (st == KT_OK)
        st = kt_snp_assemble(out.data, aux.data, aux_used, "configfs-tsm auxblob", quote,
                             quote_len, err);
    kt_buf_free(&out);
    kt_buf_free(&aux);
    return st;
}
