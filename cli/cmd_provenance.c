/* katana-tee provenance: verify (or co-sign) the signed build provenance of a release. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "katana_tee/provenance.h"
#include "util/error.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_provenance = {
    "provenance",
    "verify or co-sign a release's signed build provenance (DSSE, in-toto, SLSA)",
    "usage: katana-tee provenance verify FILE ENVELOPE --key PUB [--key PUB...]\n"
    "                                   [--threshold K] [--commit C] [--builder ID] [--json]\n"
    "       katana-tee provenance sign --key PRIV (--statement JSON | ENVELOPE --file FILE)\n"
    "                                   [--keyid ID] [--out OUT]\n\n"
    "verify checks that ENVELOPE (katana-tee.intoto.jsonl: one DSSE envelope) is\n"
    "signed over its DSSE pre-authentication encoding by at least K of the given\n"
    "ECDSA P-256 public keys (PEM; each key counts once), that its payload is an\n"
    "in-toto Statement v1 with predicate https://slsa.dev/provenance/v1, and that\n"
    "a subject's SHA-384/SHA-256 equals FILE's. --commit and --builder also\n"
    "require the source commit and runDetails.builder.id. A failure names its\n"
    "check: envelope, base64, payload-type, signature, threshold, statement,\n"
    "predicate-type, subject-digest, commit, builder.\n"
    "Exit: 0 valid, 1 verification failed, 2 bad usage or malformed input, 3 I/O.\n\n"
    "sign writes an envelope: with --statement, a new one around that JSON\n"
    "statement; with ENVELOPE, that envelope plus one more signature, after\n"
    "checking that its statement names FILE (the rebuilder's own build). It\n"
    "does not check the existing signatures: run verify first.\n\n"
    "  --key FILE          PEM public key (verify, repeatable) or private key (sign)\n"
    "  --threshold K       distinct keys that must have signed (default 1)\n"
    "  --commit C          require this source commit (full hex)\n"
    "  --builder ID        require this builder id (scripts/release writes\n"
    "                      " KT_PROV_BUILDER_ID ")\n"
    "  --json              print {valid, reason, ...} as JSON on every exit\n"
    "  --statement FILE    the in-toto statement to sign (sign)\n"
    "  --file FILE         the rebuilt file the statement must name (sign ENVELOPE)\n"
    "  --keyid ID          keyid to write (default: SHA-256 of the public key DER)\n"
    "  --out FILE          where to write the envelope (default: standard output)\n"
    "  -h, --help          this text\n",
    run,
};

#define ARTIFACT_MAX ((size_t)512 << 20)

enum { OPT_KEY = 1000, OPT_THRESHOLD, OPT_COMMIT, OPT_BUILDER, OPT_JSON, OPT_STATEMENT, OPT_FILE, OPT_KEYID, OPT_OUT };

typedef struct args {
    const char *keys[KT_PROV_MAX_KEYS];
    size_t n_keys;
    unsigned long long threshold;
    const char *commit, *builder, *statement, *file, *keyid, *out;
    bool json;
    const char *pos[2];
    size_t n_pos;
} args;

/* Report the outcome (text or JSON) and return the exit status. */
static int report(const char *cmd, const args *a, kt_status st, const kt_prov_result *r, const kt_error *err) {
    int code = st == KT_OK ? KT_EXIT_OK : kt_cli_exit_code(st);
    if (a->json) {
        json_t *o = json_pack("{s:b, s:s, s:s?, s:i, s:i, s:s, s:s, s:s}", "valid", st == KT_OK, "reason",
                              r ? kt_prov_reason_name(r->reason) : "input", "error",
                              st == KT_OK ? NULL : err->message, "signatures", r ? (int)r->signatures : 0,
                              "keysMatched", r ? (int)r->keys_matched : 0, "subject", r ? r->subject_name : "",
                              "commit", r ? r->commit : "", "builder", r ? r->builder : "");
        if (kt_cli_print_json(cmd, o) != KT_EXIT_OK) return KT_EXIT_PLATFORM;
        if (st != KT_OK) fprintf(stderr, "katana-tee %s: %s\n", cmd, err->message);
        return code;
    }
    if (st != KT_OK) return kt_cli_fail(cmd, err);
    printf("VALID %s: %u of %u signatures from the given keys, commit %s, builder %s\n", r->subject_name,
           r->keys_matched, r->signatures, r->commit[0] ? r->commit : "(none)",
           r->builder[0] ? r->builder : "(none)");
    return KT_EXIT_OK;
}

static void free_all(uint8_t **bufs, size_t n) {
    for (size_t i = 0; i < n; i++) free(bufs[i]);
}

static int run_verify(const char *cmd, const args *a) {
    kt_error err = {0};
    if (a->n_pos != 2 || a->n_keys == 0) {
        kt_fail(&err, KT_E_INVALID_ARG, "verify needs FILE ENVELOPE and at least one --key");
        if (a->json) return report(cmd, a, KT_E_INVALID_ARG, NULL, &err);
        return kt_cli_usage_error(cmd, "%s", err.message);
    }
    uint8_t *bufs[KT_PROV_MAX_KEYS + 2] = {0};
    size_t n_bufs = 0, len = 0, file_len = 0, env_len = 0;
    const char *pems[KT_PROV_MAX_KEYS];
    kt_status st = KT_OK;
    for (size_t i = 0; i < a->n_keys && st == KT_OK; i++) {
        st = kt_cli_read(a->keys[i], 64 * 1024, &bufs[n_bufs], &len, &err);
        pems[i] = (const char *)bufs[n_bufs++];
    }
    uint8_t *file = NULL, *env = NULL;
    if (st == KT_OK) st = kt_cli_read(a->pos[0], ARTIFACT_MAX, &file, &file_len, &err);
    if (st == KT_OK) st = kt_cli_read(a->pos[1], KT_PROV_ENVELOPE_MAX + 1, &env, &env_len, &err);
    kt_prov_result r;
    memset(&r, 0, sizeof r);
    bool ran = false;
    if (st == KT_OK) {
        kt_prov_policy policy = {pems, a->n_keys, (unsigned)a->threshold, a->commit, a->builder};
        st = kt_prov_verify(env, env_len, file, file_len, &policy, &r, &err);
        ran = st == KT_OK || st != KT_E_INVALID_ARG;
    }
    int code = report(cmd, a, st, ran ? &r : NULL, &err);
    free_all(bufs, n_bufs);
    free(file);
    free(env);
    return code;
}

static int run_sign(const char *cmd, const args *a) {
    bool add = a->n_pos == 1;
    if (a->n_keys != 1 || a->n_pos > 1 || add == (a->statement != NULL) || add != (a->file != NULL))
        return kt_cli_usage_error(cmd, "sign needs one --key and either --statement JSON or ENVELOPE --file FILE");
    kt_error err = {0};
    uint8_t *key = NULL, *input = NULL, *file = NULL;
    size_t key_len = 0, input_len = 0, file_len = 0;
    char *out = NULL;
    kt_status st = kt_cli_read(a->keys[0], 64 * 1024, &key, &key_len, &err);
    if (st == KT_OK)
        st = kt_cli_read(add ? a->pos[0] : a->statement, KT_PROV_ENVELOPE_MAX, &input, &input_len, &err);
    if (st == KT_OK && add) st = kt_cli_read(a->file, ARTIFACT_MAX, &file, &file_len, &err);
    if (st == KT_OK)
        st = kt_prov_sign(add ? input : NULL, add ? input_len : 0, add ? NULL : input, add ? 0 : input_len,
                          (const char *)key, a->keyid, file, file_len, &out, &err);
    if (st == KT_OK) st = kt_cli_write(a->out, out, strlen(out), &err);
    if (key) memset(key, 0, key_len);
    free(key);
    free(input);
    free(file);
    free(out);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail(cmd, &err);
}

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"commit", required_argument, NULL, OPT_COMMIT},
        {"builder", required_argument, NULL, OPT_BUILDER},
        {"json", no_argument, NULL, OPT_JSON},
        {"statement", required_argument, NULL, OPT_STATEMENT},
        {"file", required_argument, NULL, OPT_FILE},
        {"keyid", required_argument, NULL, OPT_KEYID},
        {"out", required_argument, NULL, OPT_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* --json anywhere: every exit, the usage errors before the subcommand included,
     * prints one JSON object. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            kt_cli_set_json(true);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? kt_cli_usage_error(argv[0], "give 'verify' or 'sign'") : kt_cli_help(&kt_cli_cmd_provenance);
    const char *sub = argv[1];
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "sign") != 0)
        return kt_cli_usage_error(argv[0], "unknown subcommand '%s' (verify or sign)", sub);
    args a;
    memset(&a, 0, sizeof a);
    kt_error err = {0};
    int c;
    /* kt_cli_getopt refuses a repeated option (only --key repeats): a second --commit
     * or --threshold must not silently win. It parses after the subcommand. */
    static const char *const repeatable[] = {"key", NULL};
    optind = 0;
    while ((c = kt_cli_getopt(argc - 1, argv + 1, "-h", longopts, repeatable)) != -1) {
        switch (c) {
        case 1:
            if (a.n_pos == 2) return kt_cli_usage_error(argv[0], "unexpected argument '%s'", optarg);
            a.pos[a.n_pos++] = optarg;
            break;
        case OPT_KEY:
            if (a.n_keys == KT_PROV_MAX_KEYS)
                return kt_cli_usage_error(argv[0], "at most %d --key options", KT_PROV_MAX_KEYS);
            a.keys[a.n_keys++] = optarg;
            break;
        case OPT_THRESHOLD:
            if (kt_cli_uint(optarg, "--threshold", 1, KT_PROV_MAX_KEYS, &a.threshold, &err) != KT_OK)
                return kt_cli_fail(argv[0], &err);
            break;
        case OPT_COMMIT: a.commit = optarg; break;
        case OPT_BUILDER: a.builder = optarg; break;
        case OPT_JSON: a.json = true; break;
        case OPT_STATEMENT: a.statement = optarg; break;
        case OPT_FILE: a.file = optarg; break;
        case OPT_KEYID: a.keyid = optarg; break;
        case OPT_OUT: a.out = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_provenance);
        default: return kt_cli_bad_option(argv[0], argv);
        }
    }
    return strcmp(sub, "verify") == 0 ? run_verify(argv[0], &a) : run_sign(argv[0], &a);
}
