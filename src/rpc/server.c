/* The JSON-RPC server behind `katana-tee serve`: options, start and stop. */
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "katana_tee/katana_v1.h"
#include "rpc/server_impl.h"

/* ---- lifecycle ---------------------------------------------------------------------------- */

static kt_status parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                              kt_error *err) {
    char host[256];
    const char *port;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s' is not [ADDR]:PORT", listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
            return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s' is not HOST:PORT", listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = colon + 1;
    }
    char *end = NULL;
    unsigned long p = strtoul(port, &end, 10);
    if (!port[0] || *end || p > 65535)
        return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s': port '%s' is not 0..65535",
                       listen, port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai)
        return kt_fail(err, KT_E_INVALID_ARG, "listen address '%s': %s", listen, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return KT_OK;
}

static void server_free(kt_rpc_server *s) {
    kt_rpc_front_stop(&s->front); /* no new connections */
    kt_rpc_http_stop(s);          /* the running requests finish */
    kt_rpc_health_stop(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    kt_rpc_cache_free(s);
    if (s->have_state)
        kt_state_file_close(&s->state);
    kt_v1_state_free(&s->v1_state);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->attester_mu);
    pthread_mutex_destroy(&s->health_mu);
    pthread_cond_destroy(&s->health_cv);
    free(s->node_url);
    free(s->state_path);
    free(s);
}

kt_status kt_rpc_server_start(const kt_rpc_opts *opts, kt_rpc_server **out, kt_error *err) {
    if (!opts || !out)
        return kt_fail(err, KT_E_INVALID_ARG, "rpc server: missing argument");
    *out = NULL;
    if (!opts->attester)
        return kt_fail(err, KT_E_INVALID_ARG, "rpc server: no attester");
    if (!!opts->node_url == !!opts->state_path)
        return kt_fail(err, KT_E_INVALID_ARG, "give exactly one of a node URL and a state file");
    if (opts->proxy && !opts->node_url)
        return kt_fail(err, KT_E_INVALID_ARG, "proxying needs a node URL");
    if (opts->threads < -1 || opts->threads > 1024)
        return kt_fail(err, KT_E_INVALID_ARG, "thread count %d is out of range (-1..1024)",
                       opts->threads);

    kt_rpc_server *s = calloc(1, sizeof *s);
    if (!s)
        return kt_fail_oom(err);
    s->o = *opts;
    if (!s->o.listen)
        s->o.listen = KT_RPC_DEFAULT_LISTEN;
    if (!s->o.max_body)
        s->o.max_body = KT_RPC_DEFAULT_MAX_BODY;
    if (!s->o.max_batch)
        s->o.max_batch = KT_RPC_DEFAULT_MAX_BATCH;
    if (!s->o.max_connections)
        s->o.max_connections = KT_RPC_DEFAULT_MAX_CONNECTIONS;
    if (!s->o.threads)
        s->o.threads = KT_RPC_DEFAULT_THREADS;
    if (!s->o.idle_timeout_s)
        s->o.idle_timeout_s = KT_RPC_DEFAULT_IDLE_TIMEOUT_S;
    if (s->o.node_timeout_ms <= 0)
        s->o.node_timeout_ms = KT_RPC_DEFAULT_NODE_TIMEOUT_MS;
    if (!s->o.per_client_limit)
        s->o.per_client_limit = KT_RPC_DEFAULT_PER_CLIENT;
    if (!s->o.health_reserve)
        s->o.health_reserve = KT_RPC_DEFAULT_HEALTH_RESERVE;
    if (s->o.head_timeout_ms <= 0)
        s->o.head_timeout_ms = KT_RPC_DEFAULT_HEAD_TIMEOUT_MS;
    if (s->o.body_timeout_ms <= 0)
        s->o.body_timeout_ms = KT_RPC_DEFAULT_BODY_TIMEOUT_MS;
    if (!s->o.max_attest_per_request)
        s->o.max_attest_per_request = KT_RPC_DEFAULT_ATTEST_PER_REQUEST;
    if (!s->o.max_attest_per_client)
        s->o.max_attest_per_client = KT_RPC_DEFAULT_ATTEST_PER_CLIENT;
    if (s->o.attest_wait_ms <= 0)
        s->o.attest_wait_ms = KT_RPC_DEFAULT_ATTEST_WAIT_MS;
    if (!s->o.cache_blocks)
        s->o.cache_blocks = KT_RPC_DEFAULT_CACHE_BLOCKS;
    s->started = time(NULL);
    s->listen_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->attester_mu, NULL);
    pthread_mutex_init(&s->health_mu, NULL);
    pthread_cond_init(&s->health_cv, NULL);
    s->cache_len = s->o.no_quote_cache ? 0 : s->o.cache_blocks;
    s->cache = s->cache_len ? calloc(s->cache_len, sizeof *s->cache) : NULL;
    if (s->cache_len && !s->cache) {
        server_free(s);
        return kt_fail_oom(err);
    }

    if (s->o.schema == KT_RPC_SCHEMA_DEFAULT)
        s->o.schema = KT_RPC_SCHEMA_V1;
    if (s->o.schema != KT_RPC_SCHEMA_V0 && s->o.schema != KT_RPC_SCHEMA_V1) {
        server_free(s);
        return kt_fail(err, KT_E_INVALID_ARG, "unknown schema %d", (int)opts->schema);
    }
    if (s->o.schema == KT_RPC_SCHEMA_V0 && s->o.sharding) {
        server_free(s);
        return kt_fail(err, KT_E_INVALID_ARG, "a fork block number needs schema v1");
    }
    if (s->o.sharding && s->o.fork_block_number > KT_BLOCK_NUMBER_MAX) {
        server_free(s);
        return kt_fail(err, KT_E_INVALID_ARG, "fork block number is above 2^63-1");
    }
    if (!s->o.max_range)
        s->o.max_range = KT_RPC_DEFAULT_MAX_RANGE;
    if (!s->o.range_concurrency)
        s->o.range_concurrency = KT_RPC_DEFAULT_RANGE_CONCURRENCY;
    if (s->o.range_concurrency > 64) {
        server_free(s);
        return kt_fail(err, KT_E_INVALID_ARG, "range concurrency %u is above 64",
                       s->o.range_concurrency);
    }
    if (s->o.schema == KT_RPC_SCHEMA_V1) {
        /* computed once, as Katana's TeeApi::new */
        kt_felt katana = kt_felt_from_u64(0x4b4154414e41ULL); /* "KATANA", the dev chain */
        kt_felt fee = kt_v1_default_fee_token();
        s->config_hash = kt_v1_config_hash(opts->chain_id ? opts->chain_id : &katana,
                                           opts->fee_token ? opts->fee_token : &fee);
    }
    s->o.chain_id = s->o.fee_token = NULL; /* borrowed: not kept */

    if (opts->node_url) {
        kt_status ust = kt_rpc_node_origin(opts->node_url, s->node_shown, sizeof s->node_shown, err);
        if (ust != KT_OK) {
            server_free(s);
            return ust;
        }
        s->node_url = strdup(opts->node_url);
        if (!s->node_url) {
            server_free(s);
            return kt_fail_oom(err);
        }
        s->have_node = true;
        s->node.url = s->node_url;
        s->node.shown = s->node_shown;
        s->node.timeout_ms = s->o.node_timeout_ms;
        s->node.max_body = s->o.node_max_body;
        atomic_init(&s->node.next_id, 0);
    } else {
        s->state_path = strdup(opts->state_path);
        if (!s->state_path) {
            server_free(s);
            return kt_fail_oom(err);
        }
        kt_status st = s->o.schema == KT_RPC_SCHEMA_V1
                           ? kt_v1_state_load(s->state_path, &s->v1_state, err)
                           : kt_state_file_open(&s->state, s->state_path, err);
        if (st != KT_OK) {
            server_free(s);
            return st;
        }
        s->have_v1_state = s->o.schema == KT_RPC_SCHEMA_V1;
        s->have_state = !s->have_v1_state;
    }

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    kt_status st = parse_listen(s->o.listen, &ss, &sslen, err);
    if (st != KT_OK) {
        server_free(s);
        return st;
    }
    st = kt_rpc_listen_socket((const struct sockaddr *)&ss, (unsigned)sslen, s->o.listen,
                              &s->listen_fd, &s->port, err);
    if (st == KT_OK)
        st = kt_rpc_http_start(s, ss.ss_family, err);
    if (st == KT_OK)
        st = kt_rpc_health_start(s, err);
    if (st == KT_OK)
        st = kt_rpc_front_start(s, s->listen_fd, &s->front, err);
    if (st != KT_OK) {
        server_free(s);
        return st;
    }
    char ch[KT_FELT_HEX_MAX] = "-";
    if (s->o.schema == KT_RPC_SCHEMA_V1)
        kt_felt_to_hex(&s->config_hash, ch);
    kt_rpc_log(s, KT_LOG_INFO, "listening",
              "address=%s port=%u schema=%s mode=%s config_hash=%s attester=%s source=%s "
              "threads=%d max_body=%zu max_batch=%zu "
              "max_connections=%u per_client=%u quote_cache=%s proxy=%s node=%s",
              s->o.listen, (unsigned)s->port, s->o.schema == KT_RPC_SCHEMA_V1 ? "v1" : "v0",
              s->o.schema != KT_RPC_SCHEMA_V1 ? "-" : s->o.sharding ? "sharding" : "appchain", ch,
              kt_attester_name(s->o.attester),
              s->have_node ? "node" : "state", s->o.threads, s->o.max_body, s->o.max_batch,
              s->o.max_connections, s->o.per_client_limit, s->o.no_quote_cache ? "off" : "on", s->o.proxy ? "on" : "off",
              s->have_node ? s->node_shown : "-");
    *out = s;
    return KT_OK;
}

bool kt_rpc_server_config_hash(const kt_rpc_server *s, kt_felt *out) {
    if (!s || s->o.schema != KT_RPC_SCHEMA_V1)
        return false;
    *out = s->config_hash;
    return true;
}

uint16_t kt_rpc_server_port(const kt_rpc_server *s) {
    return s ? s->port : 0;
}

void kt_rpc_server_stop(kt_rpc_server **server) {
    if (!server || !*server)
        return;
    kt_rpc_server *s = *server;
    kt_rpc_log(s, KT_LOG_INFO, "stopping", "http_requests=%" PRIu64 " attestations=%" PRIu64,
              (uint64_t)atomic_load(&s->http_requests), (uint64_t)atomic_load(&s->attestations));
    server_free(s);
    *server = NULL;
}
