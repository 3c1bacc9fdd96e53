/* katana-tee serve: tee_generateQuote over JSON-RPC, as Katana serves it. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azure_cli.h"
#include "cli.h"
#include "katana_tee/attester.h"
#include "katana_tee/hex.h"
#include "katana_tee/katana_v1.h"
#include "rpc/server.h"
#include "util/error.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_serve = {
    "serve",
    "serve tee_generateQuote and tee_getEventProof over JSON-RPC (drop-in for Katana's TEE API)",
    "usage: katana-tee serve (--node URL | --state FILE) --attester NAME [options]\n\n"
    "Answers JSON-RPC 2.0 over HTTP POST (single calls and batches), as Katana's TEE API.\n"
    "v1 (default): tee_generateQuote(prev_block_id|null, block_id) -> BlockAttestation,\n"
    "  tee_getEventProof(block_number, event_index) -> EventProofResponse; blocks from\n"
    "  starknet_getBlockWithReceipts. v0: tee_generateQuote() over the latest block.\n"
    "GET /health: status JSON, 503 unless the attester and the source work.\n"
    "Errors 100-103 as Katana's, -32005 limit exceeded; details in docs/rpc.md.\n\n"
    "schema:\n"
    "  --schema v0|v1       which form to serve (default v1)\n"
    "  --fork-block-number N  v1 sharding mode: the node is a fork of block N\n"
    "  --chain-id ID        v1: chain id for the config hash, a short string (SN_MAIN)\n"
    "                       or 0x-hex felt (default KATANA)\n"
    "  --fee-token ADDR     v1: STRK fee token for the config hash (default\n"
    "                       0x4718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d)\n"
    "  --max-range N        v1 appchain: most blocks one quote walks (default 1024)\n"
    "  --range-concurrency N  v1: node calls in flight during a walk, 1..64 (default 4)\n"
    "state source (exactly one):\n"
    "  --node URL           Starknet JSON-RPC endpoint of the node (Katana)\n"
    "  --state FILE         v0: JSON {stateRoot, blockHash, blockNumber}, re-read when it\n"
    "                       changes; v1: {\"blocks\": [BLOCK_WITH_RECEIPTS, …]}, read once\n"
    "attester:\n"
    "  --attester NAME      sev-snp, sim or mock\n"
    "  --vmpl N             VMPL to request, 0..3 (default 1, as Katana)\n"
    "  --with-certs         sev-snp/sim: append the host's certificate table\n"
    "  --mock-prefix HEX    mock: bytes between the magic and the report data\n"
    "  --sim-dir DIR        sim: key chain made by 'katana-tee sim init'\n"
    KT_CLI_AZURE_HELP
    "server:\n"
    "  --listen ADDR:PORT   where to listen (default 127.0.0.1:5051; port 0 = any free\n"
    "                       port). The bound address is printed on stdout.\n"
    "  --proxy              forward every non-tee_* method to the node unchanged\n"
    "  --no-quote-cache     attest every request (default: reuse the last block's quote\n"
    "                       until the block changes; concurrent requests for one block\n"
    "                       always share one attestation)\n"
    "  --max-body BYTES     request body limit (default 1048576; beyond it: HTTP 413)\n"
    "  --max-batch N        calls per batch (default 100)\n"
    "  --max-connections N  concurrent JSON-RPC connections (default 256; 8 more are kept\n"
    "                       for GET /health)\n"
    "  --per-client N       connections per source address (default 64)\n"
    "  --head-timeout MS    a request head must arrive within MS of connecting (default 5000)\n"
    "  --body-timeout MS    a request body must arrive within MS of its head (default 10000)\n"
    "  --max-attest-per-request N  new attestations per HTTP request (default 4)\n"
    "  --max-attest-per-client N   attestations running per address (default 2)\n"
    "  --attest-wait MS     longest wait for the attester (default 30000)\n"
    "  --cache-blocks N     recent blocks whose answers are kept (default 16)\n"
    "  --threads N          worker threads, 1..1024 (default 4), or 'per-connection'\n"
    "  --idle-timeout S     close keep-alive connections idle for S seconds (default 30)\n"
    "  --node-timeout MS    limit on one node call (default 10000)\n"
    "  --log-level L        error, warn, info (default) or debug; logs go to stderr,\n"
    "                       one key=value line per event\n"
    "  -h, --help           this text\n\n"
    "Stops cleanly on SIGINT/SIGTERM.\n",
    run,
};

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_stderr(void *ctx, kt_log_level level, const char *event, const char *fields) {
    (void)ctx;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "ts=%s.%03ldZ level=%s event=%s%s%s\n", when, ts.tv_nsec / 1000000,
            names[level], event, fields[0] ? " " : "", fields);
    fflush(stderr);
    pthread_mutex_unlock(&log_mu);
}

static int run(int argc, char **argv) {
    enum {
        O_LISTEN = 256, O_NODE, O_STATE, O_ATTESTER, O_VMPL, O_CERTS, O_PREFIX, O_SIMDIR, O_PROXY,
        O_NOCACHE, O_MAXBODY, O_MAXBATCH, O_MAXCONN, O_THREADS, O_IDLE, O_NODETIMEOUT,
        O_PERCLIENT, O_HEADTIMEOUT, O_BODYTIMEOUT, O_ATTESTREQ, O_ATTESTCLIENT, O_ATTESTWAIT,
        O_CACHEBLOCKS, O_SCHEMA, O_FORK, O_CHAINID, O_FEETOKEN, O_MAXRANGE, O_RANGECONC,
        O_LOGLEVEL,
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"node", required_argument, NULL, O_NODE},
        {"state", required_argument, NULL, O_STATE},
        {"attester", required_argument, NULL, O_ATTESTER},
        {"vmpl", required_argument, NULL, O_VMPL},
        {"with-certs", no_argument, NULL, O_CERTS},
        {"mock-prefix", required_argument, NULL, O_PREFIX},
        {"sim-dir", required_argument, NULL, O_SIMDIR},
        {"proxy", no_argument, NULL, O_PROXY},
        {"no-quote-cache", no_argument, NULL, O_NOCACHE},
        {"max-body", required_argument, NULL, O_MAXBODY},
        {"max-batch", required_argument, NULL, O_MAXBATCH},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"threads", required_argument, NULL, O_THREADS},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"node-timeout", required_argument, NULL, O_NODETIMEOUT},
        {"per-client", required_argument, NULL, O_PERCLIENT},
        {"head-timeout", required_argument, NULL, O_HEADTIMEOUT},
        {"body-timeout", required_argument, NULL, O_BODYTIMEOUT},
        {"max-attest-per-request", required_argument, NULL, O_ATTESTREQ},
        {"max-attest-per-client", required_argument, NULL, O_ATTESTCLIENT},
        {"attest-wait", required_argument, NULL, O_ATTESTWAIT},
        {"cache-blocks", required_argument, NULL, O_CACHEBLOCKS},
        {"schema", required_argument, NULL, O_SCHEMA},
        {"fork-block-number", required_argument, NULL, O_FORK},
        {"chain-id", required_argument, NULL, O_CHAINID},
        {"fee-token", required_argument, NULL, O_FEETOKEN},
        {"max-range", required_argument, NULL, O_MAXRANGE},
        {"range-concurrency", required_argument, NULL, O_RANGECONC},
        {"log-level", required_argument, NULL, O_LOGLEVEL},
        KT_CLI_AZURE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    kt_rpc_opts ro = {.log = log_stderr, .log_level = KT_LOG_INFO};
    kt_attester_opts ao = {.vmpl = -1};
    const char *vmpl_text = NULL, *prefix_hex = NULL;
    const char *num_text[O_LOGLEVEL + 1] = {0};
    const char *threads_text = NULL, *level_text = NULL;
    const char *schema_text = NULL, *chain_text = NULL, *fee_text = NULL;
    kt_felt chain_id, fee_token;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: ro.listen = optarg; break;
        case O_NODE: ro.node_url = optarg; break;
        case O_STATE: ro.state_path = optarg; break;
        case O_ATTESTER: ao.backend = optarg; break;
        case O_VMPL: vmpl_text = optarg; break;
        case O_CERTS: ao.with_certs = true; break;
        case O_PREFIX: prefix_hex = optarg; break;
        case O_SIMDIR: ao.sim_dir = optarg; break;
        case O_PROXY: ro.proxy = true; break;
        case O_NOCACHE: ro.no_quote_cache = true; break;
        case O_MAXBODY:
        case O_MAXBATCH:
        case O_MAXCONN:
        case O_IDLE:
        case O_NODETIMEOUT:
        case O_PERCLIENT:
        case O_HEADTIMEOUT:
        case O_BODYTIMEOUT:
        case O_ATTESTREQ:
        case O_ATTESTCLIENT:
        case O_ATTESTWAIT:
        case O_CACHEBLOCKS:
        case O_FORK:
        case O_MAXRANGE:
        case O_RANGECONC: num_text[c] = optarg; break;
        case O_SCHEMA: schema_text = optarg; break;
        case O_CHAINID: chain_text = optarg; break;
        case O_FEETOKEN: fee_text = optarg; break;
        case O_THREADS: threads_text = optarg; break;
        case O_LOGLEVEL: level_text = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_serve);
        default: {
            kt_error aerr = {0};
            int a = kt_cli_azure_option(c, optarg, &ao, &aerr); /* cli/azure_options.c */
            if (a > 0)
                break;
            if (a < 0)
                return kt_cli_usage_error(argv[0], "%s", aerr.message);
        }
            return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (!ao.backend)
        return kt_cli_usage_error(argv[0], "--attester is required (sev-snp, sim or mock)");
    if (!!ro.node_url == !!ro.state_path)
        return kt_cli_usage_error(argv[0], "give exactly one of --node URL and --state FILE");
    if (ro.proxy && !ro.node_url)
        return kt_cli_usage_error(argv[0], "--proxy needs --node");
    /* As in 'quote': options that mean nothing for the chosen attester are mistakes. */
    bool mock = strcmp(ao.backend, "mock") == 0;
    if (prefix_hex && !mock)
        return kt_cli_usage_error(argv[0], "--mock-prefix goes with --attester mock only");
    if (ao.with_certs && mock)
        return kt_cli_usage_error(argv[0], "--with-certs: a mock quote has no certificates");
    if (ao.sim_dir && strcmp(ao.backend, "sim") != 0 && strcmp(ao.backend, "sim-azure") != 0)
        return kt_cli_usage_error(argv[0], "--sim-dir goes with --attester sim or sim-azure only");
    if (level_text) {
        int level;
        kt_error lerr = {0};
        if (kt_cli_log_level(level_text, &level, &lerr) != KT_OK)
            return kt_cli_usage_error(argv[0], "%s", lerr.message);
        ro.log_level = (kt_log_level)level;
    }

    kt_error err = {0};
    unsigned long long v;
    const kt_cli_num_opt nums[] = {
        {"--max-body", num_text[O_MAXBODY], 16, 1ULL << 30, KT_CLI_NUM_SIZE, &ro.max_body, 1},
        {"--max-batch", num_text[O_MAXBATCH], 1, 100000, KT_CLI_NUM_SIZE, &ro.max_batch, 1},
        {"--max-connections", num_text[O_MAXCONN], 1, 65536, KT_CLI_NUM_UNSIGNED,
         &ro.max_connections, 1},
        {"--idle-timeout", num_text[O_IDLE], 1, 86400, KT_CLI_NUM_UNSIGNED, &ro.idle_timeout_s, 1},
        {"--node-timeout", num_text[O_NODETIMEOUT], 1, 3600000, KT_CLI_NUM_LONG,
         &ro.node_timeout_ms, 1},
        {"--per-client", num_text[O_PERCLIENT], 1, 65536, KT_CLI_NUM_UNSIGNED,
         &ro.per_client_limit, 1},
        {"--head-timeout", num_text[O_HEADTIMEOUT], 10, 600000, KT_CLI_NUM_LONG,
         &ro.head_timeout_ms, 1},
        {"--body-timeout", num_text[O_BODYTIMEOUT], 10, 600000, KT_CLI_NUM_LONG,
         &ro.body_timeout_ms, 1},
        {"--max-attest-per-request", num_text[O_ATTESTREQ], 1, 1000, KT_CLI_NUM_UNSIGNED,
         &ro.max_attest_per_request, 1},
        {"--max-attest-per-client", num_text[O_ATTESTCLIENT], 1, 1000, KT_CLI_NUM_UNSIGNED,
         &ro.max_attest_per_client, 1},
        {"--attest-wait", num_text[O_ATTESTWAIT], 10, 3600000, KT_CLI_NUM_LONG,
         &ro.attest_wait_ms, 1},
        {"--cache-blocks", num_text[O_CACHEBLOCKS], 1, 4096, KT_CLI_NUM_UNSIGNED,
         &ro.cache_blocks, 1},
        {"--fork-block-number", num_text[O_FORK], 0, 0x7fffffffffffffffULL, KT_CLI_NUM_U64,
         &ro.fork_block_number, 1},
        {"--max-range", num_text[O_MAXRANGE], 1, 1000000, KT_CLI_NUM_UNSIGNED, &ro.max_range, 1},
        {"--range-concurrency", num_text[O_RANGECONC], 1, 64, KT_CLI_NUM_UNSIGNED,
         &ro.range_concurrency, 1},
    };
    if (kt_cli_parse_numbers(nums, sizeof nums / sizeof nums[0], &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);
    ro.sharding = num_text[O_FORK] != NULL;
    if (threads_text) {
        if (strcmp(threads_text, "per-connection") == 0) {
            ro.threads = -1;
        } else {
            if (kt_cli_uint(threads_text, "--threads", 1, 1024, &v, &err) != KT_OK)
                return kt_cli_fail(argv[0], &err);
            ro.threads = (int)v;
        }
    }
    ro.schema = KT_RPC_SCHEMA_V1;
    if (schema_text) {
        if (strcmp(schema_text, "v0") == 0)
            ro.schema = KT_RPC_SCHEMA_V0;
        else if (strcmp(schema_text, "v1") != 0)
            return kt_cli_usage_error(argv[0], "--schema must be v0 or v1");
    }
    if (ro.schema == KT_RPC_SCHEMA_V0 && (ro.sharding || chain_text || fee_text || num_text[O_MAXRANGE] || num_text[O_RANGECONC]))
        return kt_cli_usage_error(argv[0], "--fork-block-number, --chain-id, --fee-token, "
                                           "--max-range and --range-concurrency need --schema v1");
    if (chain_text) {
        /* a short string (SN_MAIN, KATANA) or a 0x-hex felt */
        kt_status cst = strncmp(chain_text, "0x", 2) == 0
                            ? kt_cli_felt(chain_text, "--chain-id", &chain_id, &err)
                            : kt_v1_short_string(chain_text, &chain_id, &err);
        if (cst != KT_OK)
            return kt_cli_fail(argv[0], &err);
        ro.chain_id = &chain_id;
    }
    if (fee_text) {
        if (kt_cli_felt(fee_text, "--fee-token", &fee_token, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        ro.fee_token = &fee_token;
    }
    if (vmpl_text) {
        if (kt_cli_uint(vmpl_text, "--vmpl", 0, 3, &v, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        ao.vmpl = (int)v;
    }
    uint8_t prefix[4096];
    if (prefix_hex) {
        if (kt_hex_decode(prefix_hex, strlen(prefix_hex), prefix, sizeof prefix,
                          &ao.mock_prefix_len, "--mock-prefix", &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        ao.mock_prefix = prefix;
    }

    kt_attester *attester = NULL;
    if (kt_attester_new(&ao, &attester, &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);
    ro.attester = attester;

    /* Block the stop signals before any thread exists, so only sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    kt_rpc_server *server = NULL;
    if (kt_rpc_server_start(&ro, &server, &err) != KT_OK) {
        kt_attester_free(&attester);
        return kt_cli_fail(argv[0], &err);
    }
    /* The address as bound (the port is the real one when 0 was asked for). */
    const char *listen = ro.listen ? ro.listen : KT_RPC_DEFAULT_LISTEN;
    const char *colon = strrchr(listen, ':');
    kt_felt ch;
    char chx[KT_FELT_HEX_MAX];
    if (kt_rpc_server_config_hash(server, &ch)) {
        kt_felt_to_hex(&ch, chx);
        printf("listening on http://%.*s:%u schema v1 %s config_hash %s\n", (int)(colon - listen),
               listen, (unsigned)kt_rpc_server_port(server), ro.sharding ? "sharding" : "appchain",
               chx);
    } else {
        printf("listening on http://%.*s:%u\n", (int)(colon - listen), listen,
               (unsigned)kt_rpc_server_port(server));
    }
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    char fields[32];
    snprintf(fields, sizeof fields, "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (ro.log_level >= KT_LOG_INFO)
        log_stderr(NULL, KT_LOG_INFO, "signal", fields);
    kt_rpc_server_stop(&server);
    kt_attester_free(&attester);
    return KT_EXIT_OK;
}
