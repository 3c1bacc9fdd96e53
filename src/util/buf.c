#include "util/buf.h"

#include "util/error.h"

#include <stdlib.h>
#include <string.h>

void kt_buf_init(kt_buf *b, size_t max) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->secret = false;
}

static bool buf_reserve(kt_buf *b, size_t need) {
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p;
    if (b->secret) {
        /* realloc may leave the old bytes in freed memory: copy, then wipe. */
        p = malloc(cap);
        if (!p)
            return false;
        if (b->len)
            memcpy(p, b->data, b->len);
        if (b->data)
            kt_wipe(b->data, b->cap);
        free(b->data);
    } else {
        p = realloc(b->data, cap);
        if (!p)
            return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool kt_buf_append(kt_buf *b, const void *p, size_t n) {
    if (n > b->max || b->len > b->max - n)
        return false;
    if (!buf_reserve(b, b->len + n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

bool kt_buf_terminate(kt_buf *b) {
    if (!buf_reserve(b, b->len + 1))
        return false;
    b->data[b->len] = '\0';
    return true;
}

void kt_buf_free(kt_buf *b) {
    if (b->secret && b->data)
        kt_wipe(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
