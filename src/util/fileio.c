#define _POSIX_C_SOURCE 200809L
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"

static kt_status read_file(const char *path, size_t max, bool secret, uint8_t **data, size_t *len,
                           kt_error *err);

kt_status kt_file_read(const char *path, size_t max, uint8_t **data, size_t *len, kt_error *err) {
    return read_file(path, max, false, data, len, err);
}

kt_status kt_file_read_secret(const char *path, size_t max, uint8_t **data, size_t *len,
                              kt_error *err) {
    return read_file(path, max, true, data, len, err);
}

static kt_status read_file(const char *path, size_t max, bool secret, uint8_t **data, size_t *len,
                           kt_error *err) {
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kt_fail(err, KT_E_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return kt_fail(err, KT_E_IO, "%s is a directory, not a file", path);
    }
    kt_buf b;
    kt_buf_init(&b, max);
    b.secret = secret;
    int rc = kt_read_fd(fd, &b);
    close(fd);
    if (rc != 0) {
        kt_buf_free(&b);
        if (rc == KT_READ_TOO_BIG)
            return kt_fail(err, KT_E_TOO_LARGE, "%s is larger than the limit of %zu bytes", path,
                           max);
        if (rc == ENOMEM)
            return kt_fail(err, KT_E_NOMEM, "out of memory reading %s", path);
        return kt_fail(err, KT_E_IO, "cannot read %s: %s", path, strerror(rc));
    }
    if (!kt_buf_terminate(&b)) {
        kt_buf_free(&b);
        return kt_fail(err, KT_E_NOMEM, "out of memory reading %s", path);
    }
    *data = b.data;
    *len = b.len;
    return KT_OK;
}

int kt_read_fd(int fd, kt_buf *b) {
    uint8_t chunk[16384];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? errno : 0;
            break;
        }
        if (b->len + (size_t)n > b->max) {
            rc = KT_READ_TOO_BIG;
            break;
        }
        if (!kt_buf_append(b, chunk, (size_t)n)) {
            rc = ENOMEM;
            break;
        }
    }
    if (b->secret)
        kt_wipe(chunk, sizeof chunk);
    return rc;
}

kt_status kt_mkdirs(const char *dir, mode_t mode, kt_error *err) {
    size_t n = strlen(dir);
    if (n == 0)
        return kt_fail(err, KT_E_INVALID_ARG, "mkdir: empty folder name");
    char *tmp = malloc(n + 1);
    if (!tmp)
        return kt_fail_oom(err);
    memcpy(tmp, dir, n + 1);
    kt_status st = KT_OK;
    for (size_t i = 1; i <= n && st == KT_OK; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        struct stat sb;
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            st = kt_fail(err, KT_E_IO, "cannot create %s: %s", tmp, strerror(errno));
        else if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = kt_fail(err, KT_E_IO, "%s is not a folder", tmp);
        tmp[i] = saved;
    }
    free(tmp);
    return st;
}

int kt_write_all(int fd, const void *data, size_t len) {
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

const kt_fileio_seam *kt_fileio_test_seam;

static int do_fchmod(int fd, mode_t mode) {
    return kt_fileio_test_seam && kt_fileio_test_seam->fchmod ? kt_fileio_test_seam->fchmod(fd, mode)
                                                              : fchmod(fd, mode);
}

static int do_fsync(int fd) {
    return kt_fileio_test_seam && kt_fileio_test_seam->fsync ? kt_fileio_test_seam->fsync(fd)
                                                             : fsync(fd);
}

kt_status kt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               kt_error *err) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return kt_fail(err, KT_E_NOMEM, "out of memory writing %s", path);
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return kt_fail(err, KT_E_IO, "cannot create a temporary file for %s: %s", path,
                       strerror(e));
    }
    int werr = kt_write_all(fd, data, len);
    if (werr != 0) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return kt_fail(err, KT_E_IO, "cannot write %s: %s", path, strerror(werr));
    }
    /* the descriptor is closed on every path, whichever step fails */
    int e = 0;
    if (do_fchmod(fd, mode) != 0 || do_fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        free(tmp);
        return kt_fail(err, KT_E_IO, "cannot finish writing %s: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        free(tmp);
        return kt_fail(err, KT_E_IO, "cannot move the new file into place at %s: %s", path,
                       strerror(e));
    }
    free(tmp);
    return KT_OK;
}
