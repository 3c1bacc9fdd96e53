/* The v1 state file: a set of blocks with receipts (see v1_state.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/v1_state.h"
#include "util/error.h"
#include "util/fileio.h"

kt_status kt_v1_state_parse(const uint8_t *text, size_t len, kt_v1_state *out, kt_error *err) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return kt_fail(err, KT_E_PARSE, "v1 state is not JSON: %s (line %d, column %d)", je.text,
                       je.line, je.column);
    kt_status st = KT_OK;
    const json_t *blocks = json_object_get(doc, "blocks");
    if (!json_is_object(doc) || !json_is_array(blocks)) {
        st = kt_fail(err, KT_E_PARSE, "v1 state is not an object with a \"blocks\" array");
        goto done;
    }
    size_t n = json_array_size(blocks);
    if (n > KT_V1_STATE_MAX_BLOCKS) {
        st = kt_fail(err, KT_E_TOO_LARGE, "v1 state holds %zu blocks (at most %d)", n,
                     KT_V1_STATE_MAX_BLOCKS);
        goto done;
    }
    out->blocks = n ? calloc(n, sizeof *out->blocks) : NULL;
    if (n && !out->blocks) {
        st = kt_fail_oom(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char where[48];
        snprintf(where, sizeof where, "v1 state blocks[%zu]", i);
        st = kt_v1_block_parse(json_array_get(blocks, i), where, &out->blocks[i], err);
        out->n = i + 1;
        if (st != KT_OK)
            goto done;
        for (size_t j = 0; j < i; j++) {
            if (out->blocks[j].number == out->blocks[i].number) {
                st = kt_fail(err, KT_E_PARSE, "v1 state holds block %" PRIu64 " twice",
                             out->blocks[i].number);
                goto done;
            }
        }
    }
done:
    json_decref(doc);
    if (st != KT_OK)
        kt_v1_state_free(out);
    return st;
}

kt_status kt_v1_state_load(const char *path, kt_v1_state *out, kt_error *err) {
    memset(out, 0, sizeof *out);
    uint8_t *data = NULL;
    size_t len = 0;
    kt_status st = kt_file_read(path, KT_V1_STATE_FILE_MAX, &data, &len, err);
    if (st != KT_OK)
        return st;
    st = kt_v1_state_parse(data, len, out, err);
    free(data);
    if (st != KT_OK)
        return kt_fail_context(err, st, "state file %s", path);
    return KT_OK;
}

const kt_v1_block *kt_v1_state_find(const kt_v1_state *st, uint64_t number) {
    for (size_t i = 0; i < st->n; i++)
        if (st->blocks[i].number == number)
            return &st->blocks[i];
    return NULL;
}

void kt_v1_state_free(kt_v1_state *st) {
    for (size_t i = 0; st && i < st->n; i++)
        kt_v1_block_free(&st->blocks[i]);
    if (st) {
        free(st->blocks);
        st->blocks = NULL;
        st->n = 0;
    }
}
