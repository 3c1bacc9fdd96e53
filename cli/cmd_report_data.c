/* katana-tee report-data: the v0 report data for a state. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "katana_tee/commit.h"
#include "katana_tee/hex.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_report_data = {
    "report-data",
    "compute the 64-byte report data binding a state root and block hash",
    "usage: katana-tee report-data --state-root FELT --block-hash FELT [--json]\n\n"
    "Prints the schema-v0 report data: poseidon_hash(state_root, block_hash) as\n"
    "32 big-endian bytes, then 32 zero bytes, as 128 hex digits. Felts are\n"
    "decimal or 0x-hex and must be below the Stark prime.\n\n"
    "  --state-root FELT   state root of the block\n"
    "  --block-hash FELT   hash of the block\n"
    "  --json              print {stateRoot, blockHash, commitment, reportData}\n"
    "  -h, --help          this text\n",
    run,
};

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"state-root", required_argument, NULL, 'r'},
        {"block-hash", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *root_text = NULL, *hash_text = NULL;
    bool json = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': root_text = optarg; break;
        case 'b': hash_text = optarg; break;
        case 'j': json = true; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_report_data);
        default: return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (!root_text || !hash_text)
        return kt_cli_usage_error(argv[0], "--state-root and --block-hash are required");

    kt_error err = {0};
    kt_felt root, hash;
    if (kt_cli_felt(root_text, "--state-root", &root, &err) != KT_OK ||
        kt_cli_felt(hash_text, "--block-hash", &hash, &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);

    uint8_t report_data[KT_REPORT_DATA_SIZE];
    kt_commit_v0(&root, &hash, report_data);
    char hex[2 * KT_REPORT_DATA_SIZE + 1];
    kt_hex_encode(report_data, sizeof report_data, hex);
    if (!json) {
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
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "stateRoot", root_hex, "blockHash", hash_hex,
                          "commitment", commit_hex, "reportData", rd, "schema", 0);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (!text) {
        fprintf(stderr, "katana-tee %s: out of memory\n", argv[0]);
        return KT_EXIT_PLATFORM;
    }
    printf("%s\n", text);
    free(text);
    return KT_EXIT_OK;
}
