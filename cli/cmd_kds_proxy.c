/* katana-tee kds-proxy: a shared, polite cache in front of AMD KDS (docs/kds.md). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log_line.h"
#include "kdsproxy/proxy.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_kds_proxy = {
    "kds-proxy",
    "serve AMD KDS's URLs from a shared cache, one polite upstream client for many verifiers",
    "usage: katana-tee kds-proxy [options]\n\n"
    "An HTTP server answering AMD KDS's own paths (/vcek/v1/{product}/{hwid}?...SPL...,\n"
    "/{vcek,vlek}/v1/{product}/cert_chain and .../crl), so any client works with\n"
    "--kds-url http://HOST:PORT. Objects come from the KDS cache folder (the layout the\n"
    "KDS client uses; safe to share with other processes), else from upstream: one fetch\n"
    "per object however many clients ask at once, every attempt under one rate limit.\n"
    "VCEKs and chains are kept forever; a CRL is refreshed before its nextUpdate and one\n"
    "past it is served marked stale (Warning: 110), never as fresh. Upstream 404s are\n"
    "remembered for a while. Malformed requests get 400/404 without an upstream call.\n"
    "GET /health (JSON) and GET /metrics (Prometheus text).\n\n"
    "  --listen ADDR:PORT        where to listen (default 127.0.0.1:8787; port 0 = any free\n"
    "                            port, printed on stdout)\n"
    "  --cache-dir DIR           cache folder (default $KATANA_TEE_CACHE_DIR, else\n"
    "                            $XDG_CACHE_HOME/katana-tee, else ~/.cache/katana-tee)\n"
    "  --upstream URL            KDS base URL (default $KATANA_TEE_KDS_URL or AMD's)\n"
    "  --offline                 never call upstream: serve the cache, answer 404 naming\n"
    "                            each missing object and its upstream URL\n"
    "  --max-upstream-rps R      upstream attempts per second, all clients together\n"
    "                            (default 5; fractions allowed)\n"
    "  --max-connections N       open connections in all (default 512)\n"
    "  --per-client-connections N  open connections per client address (default 128)\n"
    "  --read-timeout SEC        close a connection silent this long (default 15)\n"
    "  --negative-ttl SEC        how long an upstream 404 is remembered (default 300)\n"
    "  --upstream-retries N      retries per upstream fetch (default 3)\n"
    "  --upstream-deadline SEC   all attempts of one fetch (default 30)\n"
    "  --log-level L             error, warn, info (default) or debug; logs go to stderr,\n"
    "                            one key=value line per event\n"
    "  -h, --help                this text\n\n"
    "Stops cleanly on SIGINT/SIGTERM. Exit status: 0 stopped, 2 bad usage, 3 cannot listen.\n",
    run,
};

static void log_stderr(void *ctx, kt_kdsproxy_log_level level, const char *event,
                       const char *fields) {
    (void)ctx;
    kt_cli_log_line((int)level, event, fields);
}

static int run(int argc, char **argv) {
    enum {
        O_LISTEN = 256, O_CACHE, O_UPSTREAM, O_OFFLINE, O_RPS, O_MAXCONN, O_PERCLIENT, O_READ,
        O_NEG, O_RETRIES, O_DEADLINE, O_LOGLEVEL,
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"cache-dir", required_argument, NULL, O_CACHE},
        {"upstream", required_argument, NULL, O_UPSTREAM},
        {"offline", no_argument, NULL, O_OFFLINE},
        {"max-upstream-rps", required_argument, NULL, O_RPS},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"per-client-connections", required_argument, NULL, O_PERCLIENT},
        {"read-timeout", required_argument, NULL, O_READ},
        {"negative-ttl", required_argument, NULL, O_NEG},
        {"upstream-retries", required_argument, NULL, O_RETRIES},
        {"upstream-deadline", required_argument, NULL, O_DEADLINE},
        {"log-level", required_argument, NULL, O_LOGLEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    kt_kdsproxy_opts po;
    kt_kdsproxy_opts_init(&po);
    po.log = log_stderr;
    const char *num_text[O_LOGLEVEL + 1] = {0};
    const char *rps_text = NULL, *level_text = NULL;
    int c;
    optind = 0; /* kt_cli_getopt: a repeated option is refused, never silently last-wins */
    while ((c = kt_cli_getopt(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: po.listen = optarg; break;
        case O_CACHE: po.cache_dir = optarg; break;
        case O_UPSTREAM: po.upstream = optarg; break;
        case O_OFFLINE: po.offline = true; break;
        case O_RPS: rps_text = optarg; break;
        case O_MAXCONN:
        case O_PERCLIENT:
        case O_READ:
        case O_NEG:
        case O_RETRIES:
        case O_DEADLINE: num_text[c] = optarg; break;
        case O_LOGLEVEL: level_text = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_kds_proxy);
        default: return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (level_text) {
        int level;
        kt_error lerr = {0};
        if (kt_cli_log_level(level_text, &level, &lerr) != KT_OK)
            return kt_cli_usage_error(argv[0], "%s", lerr.message);
        po.log_level = (kt_kdsproxy_log_level)level;
    }
    if (rps_text) {
        char *end = NULL;
        double r = strtod(rps_text, &end);
        if (!*rps_text || *end || !(r > 0 && r <= 1000))
            return kt_cli_usage_error(argv[0], "--max-upstream-rps must be a number in (0, 1000]");
        po.max_upstream_rps = r;
    }
    kt_error err = {0};
    const kt_cli_num_opt nums[] = {
        {"--max-connections", num_text[O_MAXCONN], 1, 65536, KT_CLI_NUM_UNSIGNED,
         &po.max_connections, 1},
        {"--per-client-connections", num_text[O_PERCLIENT], 1, 65536, KT_CLI_NUM_UNSIGNED,
         &po.per_client_connections, 1},
        {"--read-timeout", num_text[O_READ], 1, 3600, KT_CLI_NUM_UNSIGNED, &po.read_timeout_s, 1},
        {"--negative-ttl", num_text[O_NEG], 1, 86400, KT_CLI_NUM_UNSIGNED, &po.negative_ttl_s, 1},
        {"--upstream-retries", num_text[O_RETRIES], 1, 20, KT_CLI_NUM_UNSIGNED,
         &po.upstream_retries, 1},
        {"--upstream-deadline", num_text[O_DEADLINE], 1, 3600, KT_CLI_NUM_LONG,
         &po.upstream_deadline_ms, 1000}, /* given in seconds */
    };
    if (kt_cli_parse_numbers(nums, sizeof nums / sizeof nums[0], &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);

    /* Block the stop signals before any thread exists, so only sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    kt_kdsproxy *proxy = NULL;
    if (kt_kdsproxy_start(&po, &proxy, &err) != KT_OK)
        return kt_cli_fail(argv[0], &err);
    const char *listen = po.listen ? po.listen : KT_KDSPROXY_DEFAULT_LISTEN;
    const char *colon = strrchr(listen, ':');
    printf("listening on http://%.*s:%u\n", (int)(colon - listen), listen,
           (unsigned)kt_kdsproxy_port(proxy));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    if (po.log_level >= KT_KDSPROXY_LOG_INFO)
        log_stderr(NULL, KT_KDSPROXY_LOG_INFO, "signal", sig == SIGINT ? "signal=SIGINT" : "signal=SIGTERM");
    kt_kdsproxy_stop(&proxy);
    return KT_EXIT_OK;
}
