/* katana-tee sim: the software SEV-SNP secure processor (see docs/simulator.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "sim/sim_internal.h"
#include "util/error.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_sim = {
    "sim",
    "software SEV-SNP secure processor with its own (untrusted) AMD-shaped key chain",
    "usage: katana-tee sim init DIR [--product milan|genoa|turin] [--signer vcek|vlek]\n"
    "                        [--chip-id HEX] [--tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]]\n"
    "                        [--not-before TIME] [--seed HEX] [--reuse-keys]\n"
    "                        [--csp-id TEXT] [--report-version N] [--policy N]\n"
    "                        [--measurement HEX] [--host-data HEX]\n"
    "       katana-tee sim kds-tree DIR OUT\n"
    "       katana-tee sim crl DIR [--revoke ask|SERIAL]... [--this-update TIME]\n"
    "                        [--next-update TIME] [--out FILE]\n"
    "       katana-tee sim issue-leaf DIR [--chip-id HEX] [--tcb SPEC] [--not-before TIME]\n"
    "                        [--not-after TIME] [--pem] [--out FILE]\n\n"
    "init        create DIR with an ARK (RSA-4096), ASK or ASVK (RSA-4096) and VCEK or\n"
    "            VLEK (P-384) shaped exactly like AMD's, and sim.json (report defaults).\n"
    "            DIR must be missing or empty; --reuse-keys re-issues a previous\n"
    "            simulator DIR with its keys (and chip id unless --chip-id).\n"
    "            --seed makes report ids (and the chip id) deterministic; keys stay\n"
    "            random. TIME: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ.\n"
    "kds-tree    write OUT/ laid out like AMD KDS (cert_chain, crl, the VCEK) plus\n"
    "            OUT/index.json mapping URL path + query to files\n"
    "crl         a DER CRL signed by the simulator's ARK listing the given serials\n"
    "            ('ask' = the ASK/ASVK's); default thisUpdate now, nextUpdate +30\n"
    "            days, written to DIR/crl.der unless --out\n"
    "issue-leaf  another VCEK/VLEK with the same key (other chip, TCB or validity),\n"
    "            DER (or --pem) to --out or standard output\n\n"
    "Get quotes with 'katana-tee quote --attester sim --sim-dir DIR ...'. The\n"
    "simulator's root is never trusted by default: verify its quotes only with\n"
    "--trust-root DIR/ark.pem.\n",
    run,
};

/* Chip id from hex: 64 bytes, or 8 for Turin (zero-extended). */
static kt_status parse_chip_id(const char *hex, kt_product product, uint8_t out[64],
                               kt_error *err) {
    size_t n = 0;
    memset(out, 0, 64);
    kt_status st = kt_hex_decode(hex, strlen(hex), out, 64, &n, "--chip-id", err);
    if (st != KT_OK)
        return st;
    if (n == 64 || (n == 8 && product == KT_PRODUCT_TURIN))
        return KT_OK;
    return kt_fail(err, KT_E_LENGTH, "--chip-id: %zu bytes given, %s needs 64%s", n,
                   kt_product_name(product), product == KT_PRODUCT_TURIN ? " or 8" : "");
}

static int run_init(int argc, char **argv) {
    static const struct option longopts[] = {
        {"product", required_argument, NULL, 'p'},
        {"signer", required_argument, NULL, 'S'},
        {"chip-id", required_argument, NULL, 'c'},
        {"tcb", required_argument, NULL, 't'},
        {"not-before", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"reuse-keys", no_argument, NULL, 'r'},
        {"csp-id", required_argument, NULL, 'C'},
        {"report-version", required_argument, NULL, 'v'},
        {"policy", required_argument, NULL, 'P'},
        {"measurement", required_argument, NULL, 'm'},
        {"host-data", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *product_t = NULL, *signer_t = NULL, *chip_t = NULL, *tcb_t = NULL;
    const char *nb_t = NULL, *seed_t = NULL, *version_t = NULL, *policy_t = NULL;
    const char *meas_t = NULL, *host_t = NULL;
    kt_sim_init_opts o;
    memset(&o, 0, sizeof o);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': product_t = optarg; break;
        case 'S': signer_t = optarg; break;
        case 'c': chip_t = optarg; break;
        case 't': tcb_t = optarg; break;
        case 'n': nb_t = optarg; break;
        case 's': seed_t = optarg; break;
        case 'r': o.reuse_keys = true; break;
        case 'C': o.csp_id = optarg; break;
        case 'v': version_t = optarg; break;
        case 'P': policy_t = optarg; break;
        case 'm': meas_t = optarg; break;
        case 'H': host_t = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_sim);
        default:
            return kt_cli_bad_option("sim init", argv);
        }
    }
    if (optind + 1 != argc)
        return kt_cli_usage_error("sim init", "expected exactly one directory");
    const char *dir = argv[optind];
    kt_error err = {0};
    o.product = KT_PRODUCT_MILAN;
    if (product_t && kt_product_parse(product_t, &o.product, &err) != KT_OK)
        return kt_cli_fail("sim init", &err);
    if (signer_t) {
        if (strcmp(signer_t, "vcek") == 0)
            o.signer = KT_SIM_SIGNER_VCEK;
        else if (strcmp(signer_t, "vlek") == 0)
            o.signer = KT_SIM_SIGNER_VLEK;
        else
            return kt_cli_usage_error("sim init", "--signer must be vcek or vlek, not '%s'",
                                      signer_t);
    }
    if (chip_t) {
        if (parse_chip_id(chip_t, o.product, o.chip_id, &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.has_chip_id = true;
    }
    if (tcb_t) {
        o.tcb = kt_sim_default_tcb(o.product);
        if (kt_sim_tcb_parse(tcb_t, o.product, &o.tcb, &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.has_tcb = true;
    }
    if (nb_t) {
        if (kt_sim_parse_time(nb_t, "--not-before", &o.not_before, &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.has_not_before = true;
    }
    uint8_t seed[64], meas[48], host[32];
    if (seed_t) {
        if (kt_hex_decode(seed_t, strlen(seed_t), seed, sizeof seed, &o.seed_len, "--seed",
                          &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        if (o.seed_len == 0)
            return kt_cli_usage_error("sim init", "--seed must not be empty");
        o.seed = seed;
    }
    unsigned long long v;
    if (version_t) {
        if (kt_cli_uint(version_t, "--report-version", 2, 5, &v, &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.report_version = (uint32_t)v;
    }
    if (policy_t) {
        if (kt_cli_uint(policy_t, "--policy", 0, UINT64_MAX, &v, &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        /* The firmware refuses a guest policy with bit 17 clear: say so now, rather than
         * write a simulator whose every quote fails. */
        if (!(v & KT_POLICY_RESERVED_ONE))
            return kt_cli_usage_error("sim init",
                                      "--policy 0x%llx has bit 17 clear (reserved, must be 1: "
                                      "the firmware refuses to launch such a guest)",
                                      v);
        o.has_policy = true;
        o.policy = v;
    }
    if (meas_t) {
        if (kt_hex_decode_exact(meas_t, strlen(meas_t), meas, 48, "--measurement", &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.measurement = meas;
    }
    if (host_t) {
        if (kt_hex_decode_exact(host_t, strlen(host_t), host, 32, "--host-data", &err) != KT_OK)
            return kt_cli_fail("sim init", &err);
        o.host_data = host;
    }
    if (kt_sim_init(dir, &o, &err) != KT_OK)
        return kt_cli_fail("sim init", &err);
    kt_sim *sim = NULL;
    if (kt_sim_open(dir, &sim, &err) != KT_OK)
        return kt_cli_fail("sim init", &err);
    kt_sim_info info;
    kt_sim_get_info(sim, &info);
    char chip[129];
    kt_hex_encode(info.chip_id, kt_sim_hwid_len(info.product), chip);
    printf("simulator %s: %s, signer %s, TCB 0x%016" PRIx64 ", chip id %s\n", dir,
           kt_product_name(info.product), info.signer == KT_SIM_SIGNER_VLEK ? "VLEK" : "VCEK",
           info.tcb.raw, chip);
    printf("its root %s/ark.pem is trusted by nothing unless named (--trust-root)\n", dir);
    kt_sim_free(&sim);
    return KT_EXIT_OK;
}

static int run_kds_tree(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        return kt_cli_help(&kt_cli_cmd_sim);
    if (argc != 3)
        return kt_cli_usage_error("sim kds-tree", "expected DIR and OUT");
    kt_error err = {0};
    kt_sim *sim = NULL;
    if (kt_sim_open(argv[1], &sim, &err) != KT_OK)
        return kt_cli_fail("sim kds-tree", &err);
    kt_status st = kt_sim_write_kds_tree(sim, argv[2], &err);
    kt_sim_free(&sim);
    if (st != KT_OK)
        return kt_cli_fail("sim kds-tree", &err);
    printf("KDS tree written to %s (see %s/index.json)\n", argv[2], argv[2]);
    return KT_EXIT_OK;
}

#define MAX_REVOKE 64

static int run_crl(int argc, char **argv) {
    static const struct option longopts[] = {
        {"revoke", required_argument, NULL, 'r'},
        {"this-update", required_argument, NULL, 't'},
        {"next-update", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *revoke[MAX_REVOKE];
    size_t nrevoke = 0;
    const char *tu_t = NULL, *nu_t = NULL, *out = NULL;
    int c;
    optind = 0;
    opterr = 0;
    static const char *const repeatable[] = {"revoke", NULL};
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, repeatable)) != -1) {
        switch (c) {
        case 'r':
            if (nrevoke == MAX_REVOKE)
                return kt_cli_usage_error("sim crl", "at most %d --revoke options", MAX_REVOKE);
            revoke[nrevoke++] = optarg;
            break;
        case 't': tu_t = optarg; break;
        case 'n': nu_t = optarg; break;
        case 'o': out = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_sim);
        default:
            return kt_cli_bad_option("sim crl", argv);
        }
    }
    if (optind + 1 != argc)
        return kt_cli_usage_error("sim crl", "expected exactly one simulator directory");
    const char *dir = argv[optind];
    kt_error err = {0};
    kt_sim *sim = NULL;
    if (kt_sim_open(dir, &sim, &err) != KT_OK)
        return kt_cli_fail("sim crl", &err);
    kt_sim_info info;
    kt_sim_get_info(sim, &info);
    uint64_t serials[MAX_REVOKE];
    int64_t now = (int64_t)time(NULL), tu = now, nu = 0;
    kt_status st = KT_OK;
    for (size_t i = 0; i < nrevoke && st == KT_OK; i++) {
        unsigned long long v;
        if (strcmp(revoke[i], "ask") == 0 || strcmp(revoke[i], "asvk") == 0)
            serials[i] = info.ca_serial;
        else if ((st = kt_cli_uint(revoke[i], "--revoke", 0, UINT64_MAX, &v, &err)) == KT_OK)
            serials[i] = v;
    }
    if (st == KT_OK && tu_t)
        st = kt_sim_parse_time(tu_t, "--this-update", &tu, &err);
    if (st == KT_OK && nu_t)
        st = kt_sim_parse_time(nu_t, "--next-update", &nu, &err);
    if (!nu_t)
        nu = tu + 30 * 86400LL;
    uint8_t *der = NULL;
    size_t len = 0;
    if (st == KT_OK)
        st = kt_sim_make_crl(sim, serials, nrevoke, tu, nu, &der, &len, &err);
    char *path = NULL;
    if (st == KT_OK && !out) {
        path = kt_sim_path(dir, "crl.der");
        if (!path)
            st = kt_fail_oom(&err);
    }
    if (st == KT_OK)
        st = kt_cli_write(out ? out : path, der, len, &err);
    if (st == KT_OK && path)
        printf("CRL with %zu revoked serial(s) written to %s\n", nrevoke, path);
    free(path);
    kt_bytes_free(der);
    kt_sim_free(&sim);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail("sim crl", &err);
}

static int run_issue_leaf(int argc, char **argv) {
    static const struct option longopts[] = {
        {"chip-id", required_argument, NULL, 'c'},
        {"tcb", required_argument, NULL, 't'},
        {"not-before", required_argument, NULL, 'b'},
        {"not-after", required_argument, NULL, 'a'},
        {"pem", no_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *chip_t = NULL, *tcb_t = NULL, *nb_t = NULL, *na_t = NULL, *out = NULL;
    bool pem = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': chip_t = optarg; break;
        case 't': tcb_t = optarg; break;
        case 'b': nb_t = optarg; break;
        case 'a': na_t = optarg; break;
        case 'p': pem = true; break;
        case 'o': out = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_sim);
        default:
            return kt_cli_bad_option("sim issue-leaf", argv);
        }
    }
    if (optind + 1 != argc)
        return kt_cli_usage_error("sim issue-leaf", "expected exactly one simulator directory");
    kt_error err = {0};
    kt_sim *sim = NULL;
    if (kt_sim_open(argv[optind], &sim, &err) != KT_OK)
        return kt_cli_fail("sim issue-leaf", &err);
    kt_sim_info info;
    kt_sim_get_info(sim, &info);
    uint8_t chip[64];
    kt_tcb tcb = info.tcb;
    int64_t nb = 0, na = 0;
    kt_status st = KT_OK;
    if (chip_t)
        st = parse_chip_id(chip_t, info.product, chip, &err);
    if (st == KT_OK && tcb_t)
        st = kt_sim_tcb_parse(tcb_t, info.product, &tcb, &err);
    if (st == KT_OK && nb_t)
        st = kt_sim_parse_time(nb_t, "--not-before", &nb, &err);
    if (st == KT_OK && na_t)
        st = kt_sim_parse_time(na_t, "--not-after", &na, &err);
    uint8_t *der = NULL;
    size_t len = 0;
    if (st == KT_OK)
        st = kt_sim_issue_leaf(sim, chip_t ? chip : NULL, &tcb, nb, na, &der, &len, &err);
    if (st == KT_OK && pem) {
        /* PEM: base64 of the DER in 64-column lines */
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        char *text = NULL;
        size_t tlen = 0;
        st = x ? kt_sim_cert_pem(x, &text, &tlen, &err)
               : kt_fail(&err, KT_E_INTERNAL, "issued certificate does not decode");
        X509_free(x);
        if (st == KT_OK)
            st = kt_cli_write(out, text, tlen, &err);
        free(text);
    } else if (st == KT_OK) {
        st = kt_cli_write(out, der, len, &err);
    }
    kt_bytes_free(der);
    kt_sim_free(&sim);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail("sim issue-leaf", &err);
}

static int run(int argc, char **argv) {
    if (argc < 2)
        return kt_cli_usage_error("sim", "expected a subcommand: init, kds-tree, crl, issue-leaf");
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)
        return kt_cli_help(&kt_cli_cmd_sim);
    if (strcmp(sub, "init") == 0)
        return run_init(argc - 1, argv + 1);
    if (strcmp(sub, "kds-tree") == 0)
        return run_kds_tree(argc - 1, argv + 1);
    if (strcmp(sub, "crl") == 0)
        return run_crl(argc - 1, argv + 1);
    if (strcmp(sub, "issue-leaf") == 0)
        return run_issue_leaf(argc - 1, argv + 1);
    return kt_cli_usage_error("sim", "unknown subcommand '%s' (init, kds-tree, crl, issue-leaf)",
                              sub);
}
