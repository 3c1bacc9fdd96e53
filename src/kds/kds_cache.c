/*
 * The KDS client's on-disk cache: checked reads, atomic writes (temp file +
 * rename), so concurrent processes share one folder safely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kds/kds_client_priv.h"
#include "util/error.h"
#include "util/fileio.h"

/* ---- cache ------------------------------------------------------------------------------ */

kt_status kt_kds_cache_store(kt_kds_client *c, const char *path, const uint8_t *bytes,
                             size_t len, kt_error *err) {
    char dir[KT_KDS_PATH_MAX];
    kt_kds_sfmt(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    kt_status st = kt_mkdirs(dir, 0755, err);
    if (st == KT_OK)
        st = kt_file_write_atomic(path, bytes, len, 0644, err);
    (void)c;
    return st;
}


kt_kds_cache_state kt_kds_cache_lookup(kt_kds_client *c, const kt_kds_object *obj, const char *path,
                                uint8_t **bytes, size_t *len, time_t *expires) {
    *bytes = NULL;
    *len = 0;
    if (c->opts.no_cache)
        return KT_KDS_CACHE_MISS;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return KT_KDS_CACHE_MISS;
    char shown[KT_KDS_PATH_MAX + 8], what[KT_KDS_PATH_MAX + 16];
    kt_kds_show_path(c, path, shown, sizeof shown);
    kt_kds_sfmt(what, sizeof what, "cache %s", shown);
    kt_error e = {0};
    uint8_t *data = NULL;
    size_t n = 0;
    if (kt_file_read(path, c->opts.max_body, &data, &n, &e) != KT_OK) {
        kt_kds_warn(c, "cannot use cache entry %s: %s", shown, e.message);
        return KT_KDS_CACHE_CORRUPT;
    }
    if (kt_kds_check_object(obj, data, n, what, expires, &e) != KT_OK) {
        free(data);
        kt_kds_warn(c, "ignored a corrupt cache entry: %s", e.message);
        return KT_KDS_CACHE_CORRUPT;
    }
    *bytes = data;
    *len = n;
    if (*expires != 0 && *expires < kt_kds_wall(c))
        return KT_KDS_CACHE_STALE;
    return KT_KDS_CACHE_HIT;
}
