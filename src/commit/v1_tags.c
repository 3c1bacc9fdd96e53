/* Schema v1 tags, constants and the config hash (Katana
 * crates/chain-spec/src/tee.rs @ 678ba9d7). */
#include <string.h>

#include "katana_tee/katana_v1.h"
#include "katana_tee/pedersen.h"
#include "util/error.h"

/* The ASCII of each tag; the felt is the bytes read big-endian. */
static const char *const tag_ascii[] = {
    [KT_V1_TAG_CONFIG] = "KatanaTeeConfig1",
    [KT_V1_TAG_REPORT] = "KatanaTeeReport1",
    [KT_V1_TAG_APPCHAIN] = "KatanaTeeAppchain",
    [KT_V1_TAG_SHARDING] = "KatanaTeeSharding",
};

/* Big-endian bytes (at most 31) -> felt; always below p. */
static kt_felt felt_of_short(const char *s, size_t n) {
    uint8_t be[32] = {0};
    memcpy(be + 32 - n, s, n);
    kt_felt f = {{0, 0, 0, 0}};
    for (int i = 0; i < 32; i++)
        f.limb[i / 8] |= (uint64_t)be[31 - i] << (8 * (i % 8));
    return f;
}

kt_felt kt_v1_tag_felt(kt_v1_tag tag) {
    if ((unsigned)tag >= sizeof tag_ascii / sizeof tag_ascii[0])
        return kt_felt_from_u64(0);
    return felt_of_short(tag_ascii[tag], strlen(tag_ascii[tag]));
}

kt_status kt_v1_short_string(const char *ascii, kt_felt *out, kt_error *err) {
    if (!ascii || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "short string: missing argument");
    size_t n = strlen(ascii);
    if (n > 31)
        return kt_fail(err, KT_E_PARSE, "short string \"%.40s\": %zu bytes, at most 31 fit a felt",
                       ascii, n);
    for (size_t i = 0; i < n; i++)
        if (ascii[i] < 0x20 || ascii[i] > 0x7e)
            return kt_fail(err, KT_E_PARSE,
                           "short string: byte %zu is not printable ASCII", i);
    *out = felt_of_short(ascii, n);
    return KT_OK;
}

kt_felt kt_v1_felt_max(void) {
    /* p - 1 = 2^251 + 17*2^192 */
    kt_felt f = {{0, 0, 0, UINT64_C(0x0800000000000011)}};
    return f;
}

kt_felt kt_v1_default_fee_token(void) {
    /* 0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d */
    kt_felt f = {{UINT64_C(0x201858f4287c938d), UINT64_C(0x0c31f5cd61d6ab07),
                  UINT64_C(0xaf16a1cdee98ffb2), UINT64_C(0x04718f5a0fc34cc1)}};
    return f;
}

kt_felt kt_v1_config_hash(const kt_felt *chain_id, const kt_felt *fee_token) {
    kt_felt xs[3] = {kt_v1_tag_felt(KT_V1_TAG_CONFIG), *chain_id, *fee_token};
    return kt_pedersen_hash_array(xs, 3);
}

const char *kt_v1_mode_name(kt_v1_mode mode) {
    switch (mode) {
    case KT_V1_APPCHAIN: return "appchain";
    case KT_V1_SHARDING: return "sharding";
    }
    return "unknown";
}
