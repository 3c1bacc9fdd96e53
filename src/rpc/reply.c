/* JSON-RPC 2.0 answer building blocks shared by dispatch and the HTTP glue. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rpc/server_impl.h"

json_t *kt_rpc_error(const json_t *id, int code, const char *fmt, ...) {
    char msg[KT_ERROR_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg);
    json_t *r = json_object();
    if (!e || !r || json_object_set_new(r, "jsonrpc", json_string("2.0")) != 0 ||
        json_object_set_new(r, "id", id ? json_deep_copy(id) : json_null()) != 0 ||
        json_object_set_new(r, "error", e) != 0) {
        json_decref(r);
        return NULL;
    }
    return r;
}
/* A JSON value as compact text, consuming it (NULL stays NULL). */
char *kt_rpc_render(json_t *v) {
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return text;
}

char *kt_rpc_dump(const json_t *v, size_t *len) {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    *len = text ? strlen(text) : 0;
    return text;
}
