/* katana-tee report-data: the report data for a state, schema v0 or v1. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commit/v1_json.h"
#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "katana_tee/katana_v1.h"
#include "util/error.h"
#include "v1_cli.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_report_data = {
    "report-data",
    "compute the 64-byte report data binding a block's state (schema v0 or v1)",
    "usage: katana-tee report-data --state-root FELT --block-hash FELT [--json]\n"
    "       katana-tee report-data --schema v1 [--prev-state-root F --prev-block-hash F\n"
    "                  --prev-block-number F] --state-root F --block-hash F --block-number F\n"
    "                  (--messages-commitment F | --fork-block-number F --events-commitment F)\n"
    "                  --chain-id ID [--fee-token F] [--json]\n"
    "       katana-tee report-data --schema v1 --attestation FILE [--json]\n\n"
    "Schema v0 (default): poseidon_hash(state_root, block_hash) as 32 big-endian\n"
    "bytes, then 32 zero bytes. Schema v1 (Katana today, docs/katana-v1.md):\n"
    "BE32(commitment) || BE32(config_hash), the appchain commitment with\n"
    "--messages-commitment, the sharding one with --fork-block-number and\n"
    "--events-commitment. Without the three --prev-* options the previous block is\n"
    "none (genesis: number Felt::MAX, root and hash 0). Prints 128 hex digits.\n"
    "Felts are decimal or 0x-hex below the Stark prime.\n\n"
    "  --schema v0|v1          which report data (default v0)\n"
    "  --state-root FELT       state root of the block\n"
    "  --block-hash FELT       hash of the block\n"
    "  --block-number FELT     v1: number of the block\n"
    "  --prev-state-root FELT  v1: the previous attested block's state root\n"
    "  --prev-block-hash FELT  v1: its hash\n"
    "  --prev-block-number F   v1: its number\n"
    "  --messages-commitment F v1 appchain: commitment of the messages since prev\n"
    "  --fork-block-number F   v1 sharding: the forked block's number\n"
    "  --events-commitment F   v1 sharding: the block header's events commitment\n"
    "  --chain-id ID           v1: chain id, a felt or short string (KATANA, SN_MAIN)\n"
    "  --fee-token FELT        v1: STRK fee token (default 0x4718f5a0…938d)\n"
    "  --attestation FILE      v1: take every field from a tee_generateQuote answer\n"
    "                          (BlockAttestation JSON; its quote is not looked at)\n"
    "  --json                  print the inputs, commitment and report data as JSON\n"
    "  -h, --help              this text\n",
    run,
};

enum {
    O_STATE_ROOT = 256, O_BLOCK_HASH, O_JSON, O_SCHEMA, O_BLOCK_NUMBER, O_PREV_ROOT, O_PREV_HASH,
    O_PREV_NUMBER, O_MESSAGES, O_FORK, O_EVENTS, O_CHAIN_ID, O_FEE_TOKEN, O_ATTESTATION,
};

/* Every option's text, indexed by its enum value - O_STATE_ROOT. */
#define N_OPTS (O_ATTESTATION - O_STATE_ROOT + 1)
typedef struct rd_args {
    const char *v[N_OPTS];
    bool json;
} rd_args;

static const char *arg(const rd_args *a, int opt) {
    return a->v[opt - O_STATE_ROOT];
}

static int run_v0(const rd_args *a, const char *cmd) {
    const char *root_text = arg(a, O_STATE_ROOT), *hash_text = arg(a, O_BLOCK_HASH);
    for (int o = O_BLOCK_NUMBER; o <= O_ATTESTATION; o++)
        if (arg(a, o))
            return kt_cli_usage_error(cmd, "that option needs --schema v1");
    if (!root_text || !hash_text)
        return kt_cli_usage_error(cmd, "--state-root and --block-hash are required");

    kt_error err = {0};
    kt_felt root, hash;
    if (kt_cli_felt(root_text, "--state-root", &root, &err) != KT_OK ||
        kt_cli_felt(hash_text, "--block-hash", &hash, &err) != KT_OK)
        return kt_cli_fail(cmd, &err);

    uint8_t report_data[KT_REPORT_DATA_SIZE];
    kt_commit_v0(&root, &hash, report_data);
    char hex[2 * KT_REPORT_DATA_SIZE + 1];
    kt_hex_encode(report_data, sizeof report_data, hex);
    if (!a->json) {
        printf("%s\n", hex);
        return KT_EXIT_OK;
    }
    char root_hex[KT_FELT_HEX_MAX], hash_hex[KT_FELT_HEX_MAX], commit_hex[KT_FELT_HEX_MAX];
    kt_felt commitment = kt_commit_v0_felt(&root, &hash);
    kt_felt_to_hex(&root, root_hex);
    kt_felt_to_hex(&hash, hash_hex);
    kt_felt_to_hex(&commitment, commit_hex);
    char rd[2 * KT_REPORT_DATA_SIZE + 3] = "0x";
    memcpy(rd + 2, hex, sizeof hex);
    return kt_cli_print_json(cmd, json_pack("{s:s, s:s, s:s, s:s, s:i}", "stateRoot", root_hex,
                                            "blockHash", hash_hex, "commitment", commit_hex,
                                            "reportData", rd, "schema", 0));
}

/* The v1 inputs from the field options. */
static kt_status v1_from_options(const rd_args *a, kt_v1_commit_input *in, kt_error *err) {
    int prev = (arg(a, O_PREV_ROOT) != NULL) + (arg(a, O_PREV_HASH) != NULL) +
               (arg(a, O_PREV_NUMBER) != NULL);
    if (prev != 0 && prev != 3)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "--prev-state-root, --prev-block-hash and --prev-block-number go together "
                       "(none of them: no previous block)");
    if (!arg(a, O_STATE_ROOT) || !arg(a, O_BLOCK_HASH) || !arg(a, O_BLOCK_NUMBER))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "--state-root, --block-hash and --block-number are required");
    bool appchain = arg(a, O_MESSAGES) != NULL;
    bool sharding = arg(a, O_FORK) || arg(a, O_EVENTS);
    if (appchain == sharding)
        return kt_fail(err, KT_E_INVALID_ARG,
                       "give --messages-commitment (appchain) or --fork-block-number and "
                       "--events-commitment (sharding)");
    if (sharding && (!arg(a, O_FORK) || !arg(a, O_EVENTS)))
        return kt_fail(err, KT_E_INVALID_ARG,
                       "--fork-block-number and --events-commitment go together");
    if (!arg(a, O_CHAIN_ID))
        return kt_fail(err, KT_E_INVALID_ARG, "--chain-id is required for schema v1");
    memset(in, 0, sizeof *in);
    in->mode = appchain ? KT_V1_APPCHAIN : KT_V1_SHARDING;
    kt_v1_commit_set_genesis(in);
    struct {
        int opt;
        const char *name;
        kt_felt *dst;
    } felts[] = {
        {O_PREV_ROOT, "--prev-state-root", &in->prev_state_root},
        {O_PREV_HASH, "--prev-block-hash", &in->prev_block_hash},
        {O_PREV_NUMBER, "--prev-block-number", &in->prev_block_number},
        {O_STATE_ROOT, "--state-root", &in->state_root},
        {O_BLOCK_HASH, "--block-hash", &in->block_hash},
        {O_BLOCK_NUMBER, "--block-number", &in->block_number},
        {O_MESSAGES, "--messages-commitment", &in->messages_commitment},
        {O_FORK, "--fork-block-number", &in->fork_block_number},
        {O_EVENTS, "--events-commitment", &in->events_commitment},
    };
    for (size_t i = 0; i < sizeof felts / sizeof felts[0]; i++) {
        if (!arg(a, felts[i].opt))
            continue;
        kt_status st = kt_cli_felt(arg(a, felts[i].opt), felts[i].name, felts[i].dst, err);
        if (st != KT_OK)
            return st;
    }
    kt_felt chain, fee = kt_v1_default_fee_token();
    kt_status st = kt_cli_v1_chain_id(arg(a, O_CHAIN_ID), &chain, err);
    if (st == KT_OK && arg(a, O_FEE_TOKEN))
        st = kt_cli_felt(arg(a, O_FEE_TOKEN), "--fee-token", &fee, err);
    if (st == KT_OK)
        in->config_hash = kt_v1_config_hash(&chain, &fee);
    return st;
}

/* The v1 inputs from a BlockAttestation file. */
static kt_status v1_from_attestation(const rd_args *a, kt_v1_commit_input *in, kt_error *err) {
    for (int o = O_STATE_ROOT; o <= O_FEE_TOKEN; o++)
        if (o != O_JSON && o != O_SCHEMA && arg(a, o))
            return kt_fail(err, KT_E_INVALID_ARG,
                           "--attestation gives every field: no other field option with it");
    uint8_t *text = NULL;
    size_t len = 0;
    kt_v1_attestation att;
    memset(&att, 0, sizeof att);
    kt_status st = kt_cli_read(arg(a, O_ATTESTATION), KT_V1J_MAX_TEXT, &text, &len, err);
    if (st == KT_OK)
        st = kt_v1_attestation_parse((const char *)text, len, &att, err);
    if (st == KT_OK)
        kt_v1_attestation_commit_input(&att, in);
    else
        kt_fail_context(err, st, "--attestation %s", arg(a, O_ATTESTATION));
    kt_v1_attestation_free(&att);
    free(text);
    return st;
}

static int run_v1(const rd_args *a, const char *cmd) {
    kt_error err = {0};
    kt_v1_commit_input in;
    kt_status st = arg(a, O_ATTESTATION) ? v1_from_attestation(a, &in, &err)
                                         : v1_from_options(a, &in, &err);
    if (st == KT_E_INVALID_ARG)
        return kt_cli_usage_error(cmd, "%s", err.message);
    kt_felt commitment, preimage[11];
    size_t n = 0;
    uint8_t report_data[KT_REPORT_DATA_SIZE];
    if (st == KT_OK)
        st = kt_commit_v1_felt(&in, &commitment, preimage, &n, &err);
    if (st == KT_OK)
        st = kt_commit_v1(&in, report_data, &err);
    if (st != KT_OK)
        return kt_cli_fail(cmd, &err);
    char hex[2 * KT_REPORT_DATA_SIZE + 1];
    kt_hex_encode(report_data, sizeof report_data, hex);
    if (!a->json) {
        printf("%s\n", hex);
        return KT_EXIT_OK;
    }
    char rd[2 * KT_REPORT_DATA_SIZE + 3] = "0x";
    memcpy(rd + 2, hex, sizeof hex);
    json_t *o = json_object();
    bool ok = o && kt_v1j_set(o, "schema", json_integer(1)) &&
              kt_v1j_set(o, "mode", json_string(kt_v1_mode_name(in.mode))) &&
              kt_v1j_set(o, "preimage", kt_v1j_felt_array(preimage, n)) &&
              kt_v1j_set(o, "commitment", kt_v1j_felt_value(&commitment)) &&
              kt_v1j_set(o, "configHash", kt_v1j_felt_value(&in.config_hash)) &&
              kt_v1j_set(o, "reportData", json_string(rd));
    if (!ok) {
        json_decref(o);
        o = NULL;
    }
    return kt_cli_print_json(cmd, o);
}

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"state-root", required_argument, NULL, O_STATE_ROOT},
        {"block-hash", required_argument, NULL, O_BLOCK_HASH},
        {"json", no_argument, NULL, O_JSON},
        {"schema", required_argument, NULL, O_SCHEMA},
        {"block-number", required_argument, NULL, O_BLOCK_NUMBER},
        {"prev-state-root", required_argument, NULL, O_PREV_ROOT},
        {"prev-block-hash", required_argument, NULL, O_PREV_HASH},
        {"prev-block-number", required_argument, NULL, O_PREV_NUMBER},
        {"messages-commitment", required_argument, NULL, O_MESSAGES},
        {"fork-block-number", required_argument, NULL, O_FORK},
        {"events-commitment", required_argument, NULL, O_EVENTS},
        {"chain-id", required_argument, NULL, O_CHAIN_ID},
        {"fee-token", required_argument, NULL, O_FEE_TOKEN},
        {"attestation", required_argument, NULL, O_ATTESTATION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    rd_args a;
    memset(&a, 0, sizeof a);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h')
            return kt_cli_help(&kt_cli_cmd_report_data);
        if (c == O_JSON)
            a.json = true;
        else if (c >= O_STATE_ROOT && c <= O_ATTESTATION)
            a.v[c - O_STATE_ROOT] = optarg; /* kt_cli_getopt refuses repeats */
        else
            return kt_cli_bad_option(argv[0], argv);
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    const char *schema = arg(&a, O_SCHEMA);
    if (!schema || strcmp(schema, "v0") == 0)
        return run_v0(&a, argv[0]);
    if (strcmp(schema, "v1") == 0)
        return run_v1(&a, argv[0]);
    return kt_cli_usage_error(argv[0], "--schema must be v0 or v1, not '%s'", schema);
}
