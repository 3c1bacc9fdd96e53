/*
 * Fuzz the KDS proxy's routing of raw request targets: whatever a client
 * sends, routing must not crash, and a routed object must have a cache key
 * and an upstream URL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kds/kds_internal.h"
#include "kdsproxy/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *target = malloc(size + 1);
    if (!target)
        return 0;
    memcpy(target, data, size);
    target[size] = '\0';
    kt_kdsproxy_route r;
    kt_kdsproxy_route_target(target, &r);
    if (r.kind == KT_ROUTE_OBJECT) {
        char key[512], url[700];
        if (kt_kds_object_cache_rel(&r.obj, key, sizeof key, NULL) != KT_OK ||
            kt_kds_object_url("https://kdsintf.amd.com", &r.obj, url, sizeof url, NULL) != KT_OK)
            abort();
    }
    free(target);
    return 0;
}
