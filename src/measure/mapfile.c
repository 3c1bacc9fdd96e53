/*
 * Read-only file mappings: launch inputs are read once, in place (a
 * firmware is hashed page by page, a 48 MiB initrd streamed through
 * SHA-256). Files that cannot be mapped (pipes, /dev/null, other character
 * devices) are read into memory instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "measure/measure_internal.h"
#include "util/error.h"
#include "util/fileio.h"

kt_status kt_map_file(const char *path, size_t max, const char *what, kt_mapped *m,
                      kt_error *err) {
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kt_fail(err, KT_E_IO, "%s: cannot open %s: %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return kt_fail(err, KT_E_IO, "%s: cannot stat %s: %s", what, path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return kt_fail(err, KT_E_IO, "%s: %s is a directory, not a file", what, path);
    }
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > max) {
            close(fd);
            return kt_fail(err, KT_E_TOO_LARGE, "%s: %s is larger than the limit of %zu bytes",
                           what, path, max);
        }
        size_t len = (size_t)st.st_size;
        if (len == 0) {
            close(fd);
            m->data = (const uint8_t *)"";
            return KT_OK;
        }
        void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
            return kt_fail(err, KT_E_IO, "%s: cannot map %s: %s", what, path, strerror(errno));
        (void)posix_madvise(p, len, POSIX_MADV_SEQUENTIAL);
        m->map_base = p;
        m->data = p;
        m->len = len;
        return KT_OK;
    }
    close(fd);
    uint8_t *data = NULL;
    size_t len = 0;
    kt_status s = kt_file_read(path, max, &data, &len, err);
    if (s != KT_OK)
        return kt_fail_context(err, s, "%s", what);
    m->heap = data;
    m->data = data;
    m->len = len;
    return KT_OK;
}

void kt_unmap_file(kt_mapped *m) {
    if (m->map_base)
        munmap(m->map_base, m->len);
    free(m->heap);
    memset(m, 0, sizeof *m);
}
