/*
 * Internal: reading whole files with a size cap, and writing files
 * atomically (temp file in the same directory, fsync, rename), so a failed
 * write never leaves a partial file behind.
 */
#ifndef KT_UTIL_FILEIO_H
#define KT_UTIL_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "katana_tee/status.h"

/*
 * Read all of `path` (at most max bytes) into a malloc'd buffer, NUL
 * terminated (the NUL is not counted in *len). KT_E_IO names the path and
 * the OS reason; KT_E_TOO_LARGE when the file exceeds max.
 */
kt_status kt_file_read(const char *path, size_t max, uint8_t **data, size_t *len, kt_error *err);

/*
 * kt_file_read for secrets (private keys): every intermediate buffer is wiped
 * as it is given up. The caller wipes the result with kt_wipe before free.
 */
kt_status kt_file_read_secret(const char *path, size_t max, uint8_t **data, size_t *len,
                              kt_error *err);

/* Write all len bytes to fd, retrying short writes and EINTR. Returns 0 or an errno value. */
int kt_write_all(int fd, const void *data, size_t len);

/*
 * Write len bytes to path atomically with the given mode (e.g. 0644).
 * KT_E_IO names the step that failed; the temporary file is removed and its
 * descriptor closed on every failure.
 */
kt_status kt_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               kt_error *err);

/*
 * Test seam: replacements for the calls of kt_file_write_atomic that cannot
 * be made to fail from outside (a NULL member, or a NULL seam: the real
 * call). Tests only; not thread-safe.
 */
typedef struct kt_fileio_seam {
    int (*fchmod)(int fd, mode_t mode);
    int (*fsync)(int fd);
} kt_fileio_seam;
extern const kt_fileio_seam *kt_fileio_test_seam;

#endif
