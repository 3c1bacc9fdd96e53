#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "katana_tee/hex.h"
#include "util/fileio.h"

const char *kt_shared_path(const char *rel) {
    static char bufs[8][4096];
    static int slot;
    char *b = bufs[slot++ % 8];
    const char *dir = getenv("KT_SHARED");
    snprintf(b, 4096, "%s/%s", dir ? dir : KT_SHARED_DIR, rel);
    return b;
}

uint8_t *kt_test_read_file(const char *path, size_t *len) {
    uint8_t *data = NULL;
    kt_error err = {0};
    if (kt_file_read(path, 256u << 20, &data, len, &err) != KT_OK)
        fail_msg("cannot read %s: %s", path, err.message);
    return data;
}

uint8_t *kt_test_read_shared(const char *rel, size_t *len) {
    return kt_test_read_file(kt_shared_path(rel), len);
}

json_t *kt_test_load_json(const char *rel) {
    json_error_t jerr;
    json_t *j = json_load_file(kt_shared_path(rel), 0, &jerr);
    if (!j)
        fail_msg("cannot load %s: %s (line %d)", rel, jerr.text, jerr.line);
    return j;
}

char *kt_test_mkdtemp(void) {
    const char *base = getenv("TMPDIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/kt-test-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(p))
        fail_msg("mkdtemp failed");
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void kt_test_rmtree(const char *path) {
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void kt_test_hex(const char *hex, uint8_t *out, size_t out_len) {
    kt_error err = {0};
    if (kt_hex_decode_exact(hex, strlen(hex), out, out_len, "test hex", &err) != KT_OK)
        fail_msg("bad hex in test data: %s", err.message);
}
