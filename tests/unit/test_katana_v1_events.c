/* Schema v1 events tree: leaves, roots, proofs and the proof checks of
 * ../shared/vectors/katana-v1.json (events, event_proof_checks). */
#include "v1_vectors.h"

#include "commit/v1_json.h"
#include "katana_tee/katana_v1.h"
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

/* the proof nodes of a vector, through the library's own JSON reader */
static kt_v1_proof_node *nodes_of(json_t *merkle_proof, size_t *n) {
    json_t *wrap = json_pack("{s:i, s:s, s:i, s:s, s:i, s:O, s:s, s:s, s:[], s:[]}", "blockNumber",
                             1, "eventsCommitment", "0x1", "eventsCount", 1, "eventHash", "0x1",
                             "eventIndex", 0, "merkleProof", merkle_proof, "txHash", "0x1",
                             "fromAddress", "0x1", "keys", "data");
    assert_non_null(wrap);
    kt_v1_event_proof p;
    kt_error err = {0};
    if (kt_v1_event_proof_from_json(wrap, &p, &err) != KT_OK)
        fail_msg("merkle_proof does not parse: %s", err.message);
    json_decref(wrap);
    kt_v1_proof_node *nodes = p.nodes;
    *n = p.n_nodes;
    p.nodes = NULL;
    kt_v1_event_proof_free(&p);
    return nodes;
}

static void expect_same_nodes(const kt_v1_proof_node *got, size_t n_got,
                              const kt_v1_proof_node *want, size_t n_want, const char *name) {
    if (n_got != n_want)
        fail_msg("%s: %zu proof nodes, want %zu", name, n_got, n_want);
    for (size_t i = 0; i < n_got; i++) {
        const kt_v1_proof_node *a = &got[i], *b = &want[i];
        bool same = a->kind == b->kind && kt_felt_equal(&a->node_hash, &b->node_hash);
        if (same && a->kind == KT_V1_NODE_BINARY)
            same = kt_felt_equal(&a->left, &b->left) && kt_felt_equal(&a->right, &b->right);
        else if (same)
            same = a->length == b->length && kt_felt_equal(&a->path, &b->path) &&
                   kt_felt_equal(&a->child, &b->child);
        if (!same)
            fail_msg("%s: proof node %zu differs", name, i);
    }
}

static void test_events_blocks(void **state) {
    (void)state;
    json_t *blocks = v1_section(doc, "events", 8);
    size_t i, proofs_seen = 0;
    json_t *b;
    json_array_foreach(blocks, i, b) {
        json_t *events = json_object_get(b, "events");
        size_t n = json_array_size(events);
        assert_int_equal(n, json_integer_value(json_object_get(b, "events_count")));
        kt_felt *leaves = calloc(n + 1, sizeof *leaves);
        assert_non_null(leaves);
        for (size_t k = 0; k < n; k++) {
            json_t *e = json_array_get(events, k);
            size_t nk, nd;
            kt_felt *keys = v1_list(json_object_get(e, "keys"), &nk);
            kt_felt *data = v1_list(json_object_get(e, "data"), &nd);
            kt_v1_event ev = {v1_key(e, "tx_hash"), v1_key(e, "from_address"), keys, nk, data, nd};
            leaves[k] = kt_v1_event_hash(&ev);
            v1_expect(&leaves[k], json_string_value(json_object_get(e, "event_hash")), v1_name(b));
            free(keys);
            free(data);
        }
        kt_felt root;
        kt_error err = {0};
        assert_int_equal(kt_v1_events_root(leaves, n, &root, &err), KT_OK);
        v1_expect(&root, json_string_value(json_object_get(b, "events_commitment")), v1_name(b));

        size_t p;
        json_t *proof;
        json_array_foreach(json_object_get(b, "proofs"), p, proof) {
            uint64_t index = (uint64_t)json_integer_value(json_object_get(proof, "event_index"));
            size_t n_want;
            kt_v1_proof_node *want = nodes_of(json_object_get(proof, "merkle_proof"), &n_want);
            kt_v1_proof_node *got;
            size_t n_got;
            kt_felt proof_root;
            assert_int_equal(kt_v1_events_proof(leaves, n, index, &proof_root, &got, &n_got, &err),
                             KT_OK);
            assert_true(kt_felt_equal(&proof_root, &root));
            expect_same_nodes(got, n_got, want, n_want, v1_name(b));
            char detail[160];
            assert_int_equal(kt_v1_proof_verify(&root, index, want, n_want, &leaves[index], detail),
                             KT_V1_PROOF_OK);
            /* the same proof does not prove another leaf at this index */
            kt_felt other = kt_felt_from_u64(12345);
            assert_int_equal(kt_v1_proof_verify(&root, index, want, n_want, &other, detail),
                             KT_V1_PROOF_WRONG_LEAF);
            free(got);
            free(want);
            proofs_seen++;
        }
        /* no proof past the end, nor in an empty block */
        kt_v1_proof_node *none;
        size_t n_none;
        assert_int_equal(kt_v1_events_proof(leaves, n, n, &root, &none, &n_none, &err),
                         KT_E_RANGE);
        assert_null(none);
        free(leaves);
    }
    assert_int_equal(proofs_seen, 21);
}

/* every must-fail answer fails for the stated reason, the other passes */
static void test_event_proof_checks(void **state) {
    (void)state;
    json_t *cases = v1_section(doc, "event_proof_checks", 15);
    size_t i, failing = 0;
    json_t *c;
    json_array_foreach(cases, i, c) {
        char *text = json_dumps(json_object_get(c, "result"), JSON_COMPACT);
        assert_non_null(text);
        kt_v1_event_proof p;
        kt_error err = {0};
        if (kt_v1_event_proof_parse(text, strlen(text), &p, &err) != KT_OK)
            fail_msg("%s: does not parse: %s", v1_name(c), err.message);
        char detail[160];
        kt_v1_proof_result r = kt_v1_event_proof_verify(&p, detail);
        if (json_is_true(json_object_get(c, "must_fail"))) {
            failing++;
            const char *why = json_string_value(json_object_get(c, "fails_because"));
            if (r == KT_V1_PROOF_OK)
                fail_msg("%s: verified, must fail (%s)", v1_name(c), why);
            if (strcmp(detail, why) != 0)
                fail_msg("%s: failed with \"%s\" (%s), expected \"%s\"", v1_name(c), detail,
                         kt_v1_proof_result_name(r), why);
        } else if (r != KT_V1_PROOF_OK) {
            fail_msg("%s: %s", v1_name(c), detail);
        }
        kt_v1_event_proof_free(&p);
        free(text);
    }
    assert_int_equal(failing, 14);
}

/* hand-made trees: edges of full length, out-of-range edges, unknown kind */
static void test_proof_edge_cases(void **state) {
    (void)state;
    kt_felt leaves[5];
    for (int k = 0; k < 5; k++)
        leaves[k] = kt_felt_from_u64((uint64_t)k + 100);
    kt_felt root;
    kt_v1_proof_node *nodes;
    size_t n;
    kt_error err = {0};
    char detail[160];
    /* a single leaf: one edge of length 64 */
    assert_int_equal(kt_v1_events_proof(leaves, 1, 0, &root, &nodes, &n, &err), KT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(nodes[0].kind, KT_V1_NODE_EDGE);
    assert_int_equal(nodes[0].length, 64);
    assert_int_equal(kt_v1_proof_verify(&root, 0, nodes, n, &leaves[0], detail), KT_V1_PROOF_OK);
    assert_int_equal(kt_v1_proof_verify(&root, 1, nodes, n, &leaves[0], detail),
                     KT_V1_PROOF_NON_MEMBERSHIP);
    /* an edge re-hashed with length 65: the hash matches, the length cannot */
    kt_v1_proof_node bad = nodes[0];
    bad.length = 65;
    kt_felt bad_root;
    {
        kt_felt len = kt_felt_from_u64(65);
        kt_felt h = kt_poseidon_hash(&bad.child, &bad.path);
        bad_root = kt_felt_add(&h, &len);
        bad.node_hash = bad_root;
    }
    assert_int_equal(kt_v1_proof_verify(&bad_root, 0, &bad, 1, &leaves[0], detail),
                     KT_V1_PROOF_BAD_EDGE);
    bad.kind = (kt_v1_node_kind)9;
    assert_int_equal(kt_v1_proof_verify(&bad_root, 0, &bad, 1, &leaves[0], detail),
                     KT_V1_PROOF_BAD_EDGE);
    free(nodes);
    /* five leaves: every index proves, in any node order */
    for (uint64_t idx = 0; idx < 5; idx++) {
        assert_int_equal(kt_v1_events_proof(leaves, 5, idx, &root, &nodes, &n, &err), KT_OK);
        for (size_t a = 0, b = n - 1; a < b; a++, b--) {
            kt_v1_proof_node t = nodes[a];
            nodes[a] = nodes[b];
            nodes[b] = t;
        }
        assert_int_equal(kt_v1_proof_verify(&root, idx, nodes, n, &leaves[idx], detail),
                         KT_V1_PROOF_OK);
        assert_int_equal(kt_v1_proof_verify(&root, idx, nodes, n - 1, &leaves[idx], detail),
                         KT_V1_PROOF_MISSING_NODE);
        free(nodes);
    }
    kt_felt empty;
    assert_int_equal(kt_v1_events_root(NULL, 0, &empty, &err), KT_OK);
    kt_felt zero = kt_felt_from_u64(0);
    assert_true(kt_felt_equal(&empty, &zero));
    kt_v1_event_proof p = {0};
    assert_int_equal(kt_v1_event_proof_verify(&p, detail), KT_V1_PROOF_EMPTY_TREE);
    assert_string_equal(kt_v1_proof_result_name(KT_V1_PROOF_NON_MEMBERSHIP), "non_membership");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_blocks),
        cmocka_unit_test(test_event_proof_checks),
        cmocka_unit_test(test_proof_edge_cases),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
