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

struct kt_buf;

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

/*
 * The one read-until-end loop: append everything readable from fd to b
 * (whose max caps it), retrying EINTR, wiping its chunk when b->secret.
 * Returns 0, an errno value, or KT_READ_TOO_BIG when the data exceeds b->max
 * (ENOMEM when memory fails). b keeps what was read either way.
 */
#define KT_READ_TOO_BIG (-1)
int kt_read_fd(int fd, struct kt_buf *b);

/*
 * mkdir -p: create dir and every missing parent with mode (existing ones
 * are fine). KT_E_IO names the component that could not be created or is
 * not a directory.
 */
kt_status kt_mkdirs(const char *dir, mode_t mode, kt_error *err);

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
