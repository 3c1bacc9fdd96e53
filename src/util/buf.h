/*
 * Internal: a growable byte buffer with a hard maximum, for data that
 * arrives in pieces (HTTP bodies, files, certificate tables). Appending past
 * `max` fails instead of growing without bound.
 */
#ifndef KT_UTIL_BUF_H
#define KT_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len; 0 means "no data accepted" */
    bool secret; /* wipe memory it gives up (on growth and in kt_buf_free) */
} kt_buf;

void kt_buf_init(kt_buf *b, size_t max);
/* Append n bytes; false when the result would exceed max or memory fails. */
bool kt_buf_append(kt_buf *b, const void *p, size_t n);
/* Append a NUL that is not counted in len (for text consumers). */
bool kt_buf_terminate(kt_buf *b);
void kt_buf_free(kt_buf *b);

#endif
