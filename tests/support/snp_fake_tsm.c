/* Test support: the fake configfs-tsm tree of the sev-snp attester tests. */
#include "snp_fake_tsm.h"

#ifdef KT_HAVE_SNP

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len)
        assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static size_t read_file(const char *dir, const char *name, void *out, size_t cap) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = fread(out, 1, cap, fp);
    fclose(fp);
    return n;
}

static void bump_generation(const char *entry, int by) {
    char text[32] = {0};
    read_file(entry, "generation", text, sizeof text - 1);
    long g = strtol(text, NULL, 10) + by;
    snprintf(text, sizeof text, "%ld\n", g);
    write_file(entry, "generation", text, strlen(text));
}

size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Plays the kernel's part of configfs-tsm on a plain directory. */
int tsm_step(void *ctx, const char *entry, kt_snp_tsm_step s) {
    fake_tsm *t = ctx;
    t->steps[s]++;
    switch (s) {
    case KT_SNP_TSM_CREATED: {
        assert_true(t->entries < 8);
        snprintf(t->entry[t->entries++], sizeof t->entry[0], "%s", entry);
        const char *p = t->provider ? t->provider : "sev_guest";
        char nl[64];
        snprintf(nl, sizeof nl, "%s\n", p);
        write_file(entry, "provider", nl, strlen(nl));
        const char *g = t->generation ? t->generation : "0\n";
        write_file(entry, "generation", g, strlen(g));
        write_file(entry, "privlevel", "", 0);
        write_file(entry, "privlevel_floor", "0\n", 2);
        write_file(entry, "inblob", "", 0);
        break;
    }
    case KT_SNP_TSM_WRITTEN: {
        memset(t->privlevel, 0, sizeof t->privlevel);
        read_file(entry, "privlevel", t->privlevel, sizeof t->privlevel - 1);
        t->inblob_len = read_file(entry, "inblob", t->inblob, sizeof t->inblob);
        bump_generation(entry, 2 + t->gen_extra_written); /* the kernel counts our writes */
        uint8_t report[KT_REPORT_SIZE];
        uint8_t user_data[64] = {0};
        memcpy(user_data, t->inblob, t->inblob_len < 64 ? t->inblob_len : 64);
        firmware_report(report, t->ignore_inblob ? g_report + 0x50 : user_data,
                        (uint32_t)strtoul(t->privlevel, NULL, 10));
        if (!t->no_outblob)
            write_file(entry, "outblob", report, t->outblob_len ? t->outblob_len : sizeof report);
        if (t->write_auxblob)
            write_file(entry, "auxblob", t->aux, t->aux_len);
        break;
    }
    case KT_SNP_TSM_READ:
        if (t->gen_extra_read)
            bump_generation(entry, t->gen_extra_read);
        break;
    case KT_SNP_TSM_REMOVING: {
        /* configfs removes attributes with the directory; a plain dir does not */
        DIR *d = opendir(entry);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                    continue;
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", entry, de->d_name);
                unlink(path);
            }
            closedir(d);
        }
        break;
    }
    }
    if (t->inject_errno && s == t->inject_step &&
        (t->inject_times == 0 || t->injected < t->inject_times)) {
        t->injected++;
        return -t->inject_errno;
    }
    return 0;
}

void tsm_sleep(void *ctx, unsigned ms) {
    fake_tsm *t = ctx;
    assert_true(t->nsleeps < 16);
    t->sleeps[t->nsleeps++] = ms;
}

kt_status tsm_quote(fixture *fx, fake_tsm *t, int vmpl, bool with_certs,
                    const uint8_t rd[64], uint8_t **q, size_t *qlen, kt_error *err) {
    if (mkdir(fx->tsm_root, 0700) != 0 && errno != EEXIST)
        fail_msg("mkdir %s failed", fx->tsm_root);
    kt_snp_transport tr = {.ctx = t, .tsm_step = tsm_step, .sleep_ms = tsm_sleep};
    kt_status st = quote_with(fx->tsm_root, FAKE_DEV, &tr, vmpl, with_certs, rd, q, qlen, err);
    /* every entry is removed, on success and on failure */
    assert_int_equal(count_entries(fx->tsm_root), 0);
    assert_int_equal(t->steps[KT_SNP_TSM_REMOVING], t->steps[KT_SNP_TSM_CREATED]);
    return st;
}

#endif /* KT_HAVE_SNP */
