/* Schema v1 hashes, messages and report data against
 * ../shared/vectors/katana-v1.json (tags, poseidon_hash_many, config_hash,
 * messages, l1_to_l2_message_hash, report_data). */
#include "v1_vectors.h"

#include "commit/keccak.h"
#include "katana_tee/katana_v1.h"
#include "katana_tee/pedersen.h"
#include "katana_tee/poseidon.h"

static json_t *doc;

static int load(void **state) {
    (void)state;
    doc = kt_test_load_json("vectors/katana-v1.json");
    return doc ? 0 : -1;
}

static int unload(void **state) {
    (void)state;
    json_decref(doc);
    return 0;
}

static void test_tags(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "tags", 8);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *ascii = json_string_value(json_object_get(c, "ascii"));
        kt_felt f;
        kt_error err = {0};
        assert_int_equal(kt_v1_short_string(ascii, &f, &err), KT_OK);
        v1_expect(&f, json_string_value(json_object_get(c, "felt")), ascii);
    }
    /* the four library tags are the same values */
    static const struct {
        kt_v1_tag tag;
        const char *ascii;
    } tags[] = {{KT_V1_TAG_CONFIG, "KatanaTeeConfig1"},
                {KT_V1_TAG_REPORT, "KatanaTeeReport1"},
                {KT_V1_TAG_APPCHAIN, "KatanaTeeAppchain"},
                {KT_V1_TAG_SHARDING, "KatanaTeeSharding"}};
    for (size_t k = 0; k < 4; k++) {
        kt_felt want, got = kt_v1_tag_felt(tags[k].tag);
        assert_int_equal(kt_v1_short_string(tags[k].ascii, &want, NULL), KT_OK);
        assert_true(kt_felt_equal(&got, &want));
    }
    /* refusals: too long, not printable */
    kt_felt f;
    kt_error err = {0};
    assert_int_equal(kt_v1_short_string("0123456789012345678901234567890X", &f, &err), KT_E_PARSE);
    assert_non_null(strstr(err.message, "at most 31"));
    assert_int_equal(kt_v1_short_string("tab\there", &f, &err), KT_E_PARSE);
}

static void test_poseidon_hash_many(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "poseidon_hash_many", 13);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t n;
        kt_felt *xs = v1_list(json_object_get(c, "inputs"), &n);
        kt_felt h = kt_poseidon_hash_many(xs, n);
        v1_expect(&h, json_string_value(json_object_get(c, "hash")), v1_name(c));
        free(xs);
    }
}

static void test_config_hash(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "config_hash", 10);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_felt chain = v1_key(c, "chain_id"), fee = v1_key(c, "fee_token");
        kt_felt h = kt_v1_config_hash(&chain, &fee);
        v1_expect(&h, json_string_value(json_object_get(c, "config_hash")), v1_name(c));
        const char *ascii = json_string_value(json_object_get(c, "chain_id_ascii"));
        if (ascii) {
            kt_felt s;
            assert_int_equal(kt_v1_short_string(ascii, &s, NULL), KT_OK);
            assert_true(kt_felt_equal(&s, &chain));
        }
    }
    kt_felt fee = kt_v1_default_fee_token();
    v1_expect(&fee, "0x4718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d",
              "default fee token");
    kt_felt max = kt_v1_felt_max();
    v1_expect(&max, json_string_value(json_object_get(doc, "felt_max")), "felt_max");
}

/* l2_to_l1 items of a messages case -> structs (payloads owned by *store) */
static kt_v1_l2_to_l1 *l2_items(json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    kt_v1_l2_to_l1 *ms = calloc(*n + 1, sizeof *ms);
    assert_non_null(ms);
    for (size_t i = 0; i < *n; i++) {
        json_t *m = json_array_get(arr, i);
        ms[i].from_address = v1_key(m, "from_address");
        ms[i].to_address = v1_key(m, "to_address");
        ms[i].payload = v1_list(json_object_get(m, "payload"), &ms[i].payload_len);
    }
    return ms;
}

static void free_l2_items(kt_v1_l2_to_l1 *ms, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(ms[i].payload);
    free(ms);
}

static void test_messages(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "messages", 10);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t n2, n1;
        kt_v1_l2_to_l1 *ms = l2_items(json_object_get(c, "l2_to_l1"), &n2);
        for (size_t k = 0; k < n2; k++) {
            json_t *m = json_array_get(json_object_get(c, "l2_to_l1"), k);
            kt_felt h = kt_v1_l2_to_l1_hash(&ms[k]);
            v1_expect(&h, json_string_value(json_object_get(m, "msg_hash")), v1_name(c));
            /* payload_hash = hash_many([len, payload...]) */
            kt_felt *pre = calloc(ms[k].payload_len + 1, sizeof *pre);
            assert_non_null(pre);
            pre[0] = kt_felt_from_u64(ms[k].payload_len);
            if (ms[k].payload_len)
                memcpy(pre + 1, ms[k].payload, ms[k].payload_len * sizeof *pre);
            kt_felt ph = kt_poseidon_hash_many(pre, ms[k].payload_len + 1);
            v1_expect(&ph, json_string_value(json_object_get(m, "payload_hash")), "payload_hash");
            free(pre);
        }
        kt_felt *l1 = v1_list(json_object_get(c, "l1_to_l2_hashes"), &n1);
        json_t *raw = json_object_get(c, "l1_to_l2_receipt_hash_bytes");
        for (size_t k = 0; raw && k < json_array_size(raw); k++) {
            uint8_t bytes[32];
            kt_test_hex(json_string_value(json_array_get(raw, k)), bytes, 32);
            kt_felt f = kt_v1_felt_from_be32_mod(bytes);
            assert_true(kt_felt_equal(&f, &l1[k]));
            /* such bytes are not a felt as they are */
            kt_felt strict;
            assert_int_not_equal(kt_felt_from_be32(bytes, &strict, NULL), KT_OK);
        }
        kt_felt mc;
        kt_error err = {0};
        assert_int_equal(kt_v1_messages_commitment(ms, n2, l1, n1, &mc, &err), KT_OK);
        v1_expect(&mc, json_string_value(json_object_get(c, "messages_commitment")), v1_name(c));
        kt_felt half = kt_poseidon_hash_many(l1, n1);
        v1_expect(&half, json_string_value(json_object_get(c, "l1_to_l2_commitment")), "l1 half");
        free(l1);
        free_l2_items(ms, n2);
    }
}

static void test_l1_to_l2_message_hash(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "l1_to_l2_message_hash", 6);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        kt_v1_l1_to_l2 m = {0};
        m.from_address = v1_key(c, "from_address");
        m.to_address = v1_key(c, "to_address");
        m.entry_point_selector = v1_key(c, "entry_point_selector");
        m.nonce = v1_key(c, "nonce");
        m.payload = v1_list(json_object_get(c, "payload"), &m.payload_len);
        const char *settlement = json_string_value(json_object_get(c, "settlement"));
        kt_felt h;
        kt_error err = {0};
        if (strcmp(settlement, "starknet") == 0) {
            assert_int_equal(kt_v1_l1_to_l2_hash_starknet(&m, &h, &err), KT_OK);
            size_t np;
            kt_felt *pre = v1_list(json_object_get(c, "preimage"), &np);
            kt_felt again = kt_poseidon_hash_many(pre, np);
            assert_true(kt_felt_equal(&again, &h));
            free(pre);
        } else {
            uint8_t digest[32], want[32];
            assert_int_equal(kt_v1_l1_to_l2_hash_ethereum(&m, digest, &h, &err), KT_OK);
            kt_test_hex(json_string_value(json_object_get(c, "keccak")), want, 32);
            assert_memory_equal(digest, want, 32);
        }
        v1_expect(&h, json_string_value(json_object_get(c, "message_hash")), v1_name(c));
        free(m.payload);
    }
}

static void test_report_data(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "report_data", 38);
    size_t i;
    json_t *c;
    size_t modes[3] = {0};
    json_array_foreach(cases, i, c) {
        kt_v1_commit_input in = {0};
        const char *mode = json_string_value(json_object_get(c, "mode"));
        in.mode = strcmp(mode, "sharding") == 0 ? KT_V1_SHARDING : KT_V1_APPCHAIN;
        modes[in.mode]++;
        in.prev_state_root = v1_key(c, "prev_state_root");
        in.state_root = v1_key(c, "state_root");
        in.prev_block_hash = v1_key(c, "prev_block_hash");
        in.block_hash = v1_key(c, "block_hash");
        in.prev_block_number = v1_key(c, "prev_block_number");
        in.block_number = v1_key(c, "block_number");
        if (in.mode == KT_V1_APPCHAIN) {
            in.messages_commitment = v1_key(c, "messages_commitment");
        } else {
            in.fork_block_number = v1_key(c, "fork_block_number");
            in.events_commitment = v1_key(c, "events_commitment");
        }
        kt_felt chain = v1_key(c, "chain_id"), fee = v1_key(c, "fee_token");
        in.config_hash = kt_v1_config_hash(&chain, &fee);
        v1_expect(&in.config_hash, json_string_value(json_object_get(c, "config_hash")),
                  v1_name(c));
        kt_felt commitment, pre[11];
        size_t npre;
        kt_error err = {0};
        assert_int_equal(kt_commit_v1_felt(&in, &commitment, pre, &npre, &err), KT_OK);
        json_t *want_pre = json_object_get(c, "preimage");
        assert_int_equal(npre, json_array_size(want_pre));
        for (size_t k = 0; k < npre; k++)
            v1_expect(&pre[k], json_string_value(json_array_get(want_pre, k)), "preimage");
        v1_expect(&commitment, json_string_value(json_object_get(c, "commitment")), v1_name(c));
        uint8_t rd[KT_REPORT_DATA_SIZE], want[KT_REPORT_DATA_SIZE];
        assert_int_equal(kt_commit_v1(&in, rd, &err), KT_OK);
        kt_test_hex(json_string_value(json_object_get(c, "report_data")), want, sizeof want);
        assert_memory_equal(rd, want, sizeof want);
    }
    assert_true(modes[KT_V1_APPCHAIN] > 0 && modes[KT_V1_SHARDING] > 0);
}

static void test_report_data_shape(void **state) {
    (void)state;
    kt_v1_commit_input in = {0};
    kt_error err = {0};
    uint8_t rd[KT_REPORT_DATA_SIZE];
    assert_int_equal(kt_commit_v1(&in, rd, &err), KT_E_INVALID_ARG); /* mode 0 */
    in.mode = KT_V1_APPCHAIN;
    kt_v1_commit_set_genesis(&in);
    kt_felt max = kt_v1_felt_max(), zero = kt_felt_from_u64(0);
    assert_true(kt_felt_equal(&in.prev_block_number, &max));
    assert_true(kt_felt_equal(&in.prev_state_root, &zero));
    /* the same fields in the two modes give different commitments */
    kt_felt a, s;
    assert_int_equal(kt_commit_v1_felt(&in, &a, NULL, NULL, &err), KT_OK);
    in.mode = KT_V1_SHARDING;
    assert_int_equal(kt_commit_v1_felt(&in, &s, NULL, NULL, &err), KT_OK);
    assert_false(kt_felt_equal(&a, &s));
    assert_string_equal(kt_v1_mode_name(KT_V1_SHARDING), "sharding");
    assert_string_equal(kt_v1_mode_name((kt_v1_mode)7), "unknown");
}

/* Keccak-256 known answers (the original Keccak padding, not SHA3-256) and
 * the Ethereum hash depending on every word. */
static void test_keccak(void **state) {
    (void)state;
    uint8_t d[32], want[32];
    kt_keccak256((const uint8_t *)"", 0, d);
    kt_test_hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", want, 32);
    assert_memory_equal(d, want, 32);
    kt_keccak256((const uint8_t *)"abc", 3, d);
    kt_test_hex("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", want, 32);
    assert_memory_equal(d, want, 32);
    /* 200 bytes: crosses the 136-byte rate */
    uint8_t many[200];
    memset(many, 0x61, sizeof many);
    uint8_t a[32], b[32];
    kt_keccak256(many, sizeof many, a);
    many[199] = 0x62;
    kt_keccak256(many, sizeof many, b);
    assert_memory_not_equal(a, b, 32);

    kt_v1_l1_to_l2 m = {0};
    uint8_t d1[32], d2[32];
    kt_felt h1, h2;
    assert_int_equal(kt_v1_l1_to_l2_hash_ethereum(&m, d1, &h1, NULL), KT_OK);
    m.nonce = kt_felt_from_u64(1);
    assert_int_equal(kt_v1_l1_to_l2_hash_ethereum(&m, d2, &h2, NULL), KT_OK);
    assert_memory_not_equal(d1, d2, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_poseidon_hash_many),
        cmocka_unit_test(test_config_hash),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_l1_to_l2_message_hash),
        cmocka_unit_test(test_report_data),
        cmocka_unit_test(test_report_data_shape),
        cmocka_unit_test(test_keccak),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
