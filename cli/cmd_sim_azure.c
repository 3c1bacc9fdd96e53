/* katana-tee sim-azure: Azure evidence and HCL reports from the simulator. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "katana_tee/commit.h"
#include "katana_tee/hex.h"
#include "katana_tee/quote.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_sim_azure = {
    "sim-azure",
    "simulated Azure paravisor: HCL reports and Azure evidence (docs/azure.md)",
    "usage: katana-tee sim-azure --sim-dir DIR (--report-data HEX | --state-root F\n"
    "                            --block-hash F) [options]\n\n"
    "Plays Azure's paravisor over a simulator directory: an SNP report at VMPL 0 with\n"
    "REPORT_DATA = SHA-256(runtime claims), wrapped in an HCL report whose claims carry\n"
    "the 64 bytes as user-data. Prints Azure evidence JSON (the HCL report, a TPM quote\n"
    "signed by a generated AK with the same bytes as nonce, and the certificates), or\n"
    "with --hcl the bare HCL report, e.g. to pre-load a software TPM's NV 0x01400001.\n\n"
    "  --sim-dir DIR         simulator made by 'katana-tee sim init'\n"
    "  --report-data HEX     the 64 bytes (or the v0 commitment of --state-root and\n"
    "                        --block-hash)\n"
    "  --hcl                 write the HCL report only (binary)\n"
    "  --ak-pub FILE         list this RSA public key (PEM/DER) as HCLAkPub (with --hcl;\n"
    "                        e.g. a TPM's AK from tpm2_readpublic -f pem)\n"
    "  --nv-size N           pad the HCL report to N bytes (default 2600; swtpm: ≤ 2048)\n"
    "  --header-version V    HCL header version 1 or 2 (default 2)\n"
    "  --uppercase           user-data in uppercase hex, as Azure writes it\n"
    "  --no-tpm-quote        evidence without a TPM quote\n"
    "  --with-certs          evidence with the VCEK, ASK and ARK\n"
    "  --out FILE            write there (default standard output)\n"
    "  -h, --help            this text\n",
    run,
};

static int run(int argc, char **argv) {
    enum { O_SIM = 256, O_RD, O_ROOT, O_HASH, O_HCL, O_AK, O_NV, O_HV, O_UP, O_NOQ, O_CERTS, O_OUT };
    static const struct option longopts[] = {
        {"sim-dir", required_argument, NULL, O_SIM},   {"report-data", required_argument, NULL, O_RD},
        {"state-root", required_argument, NULL, O_ROOT}, {"block-hash", required_argument, NULL, O_HASH},
        {"hcl", no_argument, NULL, O_HCL},             {"ak-pub", required_argument, NULL, O_AK},
        {"nv-size", required_argument, NULL, O_NV},    {"header-version", required_argument, NULL, O_HV},
        {"uppercase", no_argument, NULL, O_UP},        {"no-tpm-quote", no_argument, NULL, O_NOQ},
        {"with-certs", no_argument, NULL, O_CERTS},    {"out", required_argument, NULL, O_OUT},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *rd_hex = NULL, *root_text = NULL, *hash_text = NULL, *ak_path = NULL;
    const char *nv_text = NULL, *hv_text = NULL, *out = NULL;
    bool hcl_only = false, no_quote = false, with_certs = false;
    kt_sim_azure_opts o = {0};
    int c;
    optind = 0; /* kt_cli_getopt: a repeated option is refused, never silently last-wins */
    while ((c = kt_cli_getopt(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_SIM: dir = optarg; break;
        case O_RD: rd_hex = optarg; break;
        case O_ROOT: root_text = optarg; break;
        case O_HASH: hash_text = optarg; break;
        case O_HCL: hcl_only = true; break;
        case O_AK: ak_path = optarg; break;
        case O_NV: nv_text = optarg; break;
        case O_HV: hv_text = optarg; break;
        case O_UP: o.uppercase = true; break;
        case O_NOQ: no_quote = true; break;
        case O_CERTS: with_certs = true; break;
        case O_OUT: out = optarg; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_sim_azure);
        default: return kt_cli_bad_option(argv[0], argv);
        }
    }
    if (optind < argc)
        return kt_cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (!dir)
        return kt_cli_usage_error(argv[0], "--sim-dir is required");
    if (!rd_hex == !(root_text && hash_text) || (root_text != NULL) != (hash_text != NULL))
        return kt_cli_usage_error(argv[0],
                                  "give --report-data, or --state-root with --block-hash");
    if (out && !out[0])
        return kt_cli_usage_error(argv[0], "--out needs a file name");
    if (hcl_only && (with_certs || no_quote))
        return kt_cli_usage_error(argv[0], "--hcl writes the HCL report alone: --with-certs and "
                                           "--no-tpm-quote apply to evidence");
    if (ak_path && !hcl_only)
        return kt_cli_usage_error(argv[0], "--ak-pub goes with --hcl (a given AK cannot sign quotes)");
    kt_error err = {0};
    uint8_t rd[64];
    unsigned long long v;
    if (rd_hex) {
        if (kt_hex_decode_exact(rd_hex, strlen(rd_hex), rd, 64, "--report-data", &err) != KT_OK)
            return kt_cli_usage_error(argv[0], "%s", err.message);
    } else {
        kt_felt root, hash;
        if (kt_cli_felt(root_text, "--state-root", &root, &err) != KT_OK ||
            kt_cli_felt(hash_text, "--block-hash", &hash, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        kt_commit_v0(&root, &hash, rd);
    }
    if (nv_text) {
        if (kt_cli_uint(nv_text, "--nv-size", 1236, 65536, &v, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        o.nv_size = (size_t)v;
    }
    if (hv_text) {
        if (kt_cli_uint(hv_text, "--header-version", 1, 2, &v, &err) != KT_OK)
            return kt_cli_fail(argv[0], &err);
        o.header_version = (uint32_t)v;
    }
    uint8_t *ak = NULL, *bytes = NULL;
    size_t ak_len = 0, len = 0;
    kt_sim *sim = NULL;
    kt_sim_azure *az = NULL;
    kt_status st = ak_path ? kt_cli_read(ak_path, 64 * 1024, &ak, &ak_len, &err) : KT_OK;
    if (st == KT_OK)
        st = kt_sim_open(dir, &sim, &err);
    if (st == KT_OK)
        st = kt_sim_azure_new(sim, ak, ak_len, &az, &err);
    if (st == KT_OK)
        st = hcl_only ? kt_sim_azure_hcl(az, &o, rd, &bytes, &len, &err)
                      : kt_sim_azure_evidence(az, &o, rd, !no_quote, with_certs, &bytes, &len, &err);
    if (st == KT_OK)
        st = kt_cli_write(out, bytes, len, &err);
    if (st == KT_OK && !hcl_only && !out)
        st = kt_cli_write(NULL, "\n", 1, &err);
    kt_bytes_free(bytes);
    free(ak);
    kt_sim_azure_free(&az);
    kt_sim_free(&sim);
    return st == KT_OK ? KT_EXIT_OK : kt_cli_fail(argv[0], &err);
}
