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
#include "rpc/server.h"
#include "util/error.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_serve = {
    "serve",
    "serve tee_generateQuote over JSON-RPC (drop-in for Katana's TEE API)",
    "usage: katana-tee serve (--node URL | --state FILE) --attester NAME [options]\n\n"
    "Answers JSON-RPC 2.0 over HTTP POST (single calls and batches):\n"
    "  tee_generateQuote  quote over the latest block: one starknet_getBlockWithTxHashes\n"
    "                     call to the node (or the state file), schema-v0 report data,\n"
    "                     result {quote, stateRoot, blockHash, blockNumber}.\n"
    "                     Extension: one optional block id param (\"latest\",\n"
    "                     {\"block_number\":N}, {\"block_hash\":\"0x…\"}).\n"
    "  GET /health        status JSON (attester, node reachable, last attested block,\n"
    "                     counters). Errors: 100 TEE not available, 101 quote generation\n"
    "                     failed, 102 provider (node/state) error; -32700/-32600/\n"
    "                     -32601/-32602 as JSON-RPC 2.0; HTTP 413, 405, 415.\n\n"
    "state source (exactly one):\n"
    "  --node URL           Starknet JSON-RPC endpoint of the node (Katana)\n"
    "  --state FILE         JSON {stateRoot, blockHash, blockNumber}, re-read when it\n"
    "                       changes (for demos and setups without a node)\n"
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
    "  --max-connections N  concurrent connections (default 256)\n"
    "  --threads N          worker threads, 1..1024 (default 4), or 'per-connection'\n"
    "  --idle-timeout S     close connections idle for S seconds (default 30)\n"
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
        O_NOCACHE, O_MAXBODY, O_MAXBATCH, O_MAXCONN, O_THREADS, O_IDLE, O_NODETIMEOUT, O_LOGLEVEL,
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
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
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
        case O_NODETIMEOUT: num_text[c] = optarg; break;
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
            return kt_cli_usage_error(argv[0], "unknown or incomplete option '%s'", argv[optind - 1]);
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
    if (level_text) {
        static const char *const levels[] = {"error", "warn", "info", "debug"};
        size_t i = 0;
        while (i < 4 && strcmp(levels[i], level_text) != 0)
            i++;
        if (i == 4)
            return kt_cli_usage_error(argv[0], "--log-level must be error, warn, info or debug");
        ro.log_level = (kt_log_level)i;
    }

    kt_error err = {0};
    unsigned long long v;
    static const struct {
        int opt;
        const char *name;
        unsigned long long min, max;
    } nums[] = {
        {O_MAXBODY, "--max-body", 16, 1ULL << 30},
        {O_MAXBATCH, "--max-batch", 1, 100000},
        {O_MAXCONN, "--max-connections", 1, 65536},
        {O_IDLE, "--idle-timeout", 1, 86400},
        {O_NODETIMEOUT, "--node-timeout", 1, 3600000},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const char *t = num_text[nums[i].opt];
        if (!t)
            continue;
        if (kt_cli_uint(t, nums[i].name, nums[i].min, nums[i].max, &v, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        switch (nums[i].opt) {
        case O_MAXBODY: ro.max_body = (size_t)v; break;
        case O_MAXBATCH: ro.max_batch = (size_t)v; break;
        case O_MAXCONN: ro.max_connections = (unsigned)v; break;
        case O_IDLE: ro.idle_timeout_s = (unsigned)v; break;
        default: ro.node_timeout_ms = (long)v; break;
        }
    }
    if (threads_text) {
        if (strcmp(threads_text, "per-connection") == 0) {
            ro.threads = -1;
        } else {
            if (kt_cli_uint(threads_text, "--threads", 1, 1024, &v, &err) != KT_OK)
                return kt_cli_fail(argv[0], &err);
            ro.threads = (int)v;
        }
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
    printf("listening on http://%.*s:%u\n", (int)(colon - listen), listen,
           (unsigned)kt_rpc_server_port(server));
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
