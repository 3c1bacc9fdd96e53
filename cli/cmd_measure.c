/* katana-tee measure: the expected SEV-SNP launch digest, as sev-snp-measure computes it. */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "katana_tee/hex.h"
#include "katana_tee/measure.h"
#include "measure/measure_internal.h"

static int run(int argc, char **argv);

const kt_cli_command kt_cli_cmd_measure = {
    "measure",
    "compute the expected SEV-SNP launch digest (MEASUREMENT) of a guest",
    "usage: katana-tee measure --mode MODE --ovmf PATH [options]\n\n"
    "Computes the launch digest the AMD secure processor reports as MEASUREMENT,\n"
    "bit for bit as virtee/sev-snp-measure v0.0.13 does, with the same options.\n"
    "The digest is printed alone on the last line.\n\n"
    "  --mode MODE             snp | snp:ovmf-hash | snp:svsm | seves | sev\n"
    "  --vcpus N               number of guest vCPUs\n"
    "  --vcpu-type NAME        QEMU vCPU model: EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome,\n"
    "                          EPYC-Rome-v1..v3, EPYC-Milan, EPYC-Milan-v1/v2, EPYC-Genoa,\n"
    "                          EPYC-Genoa-v1, EPYC-Turin\n"
    "  --vcpu-sig VALUE        CPUID signature (0x..., decimal); wins over --vcpu-type\n"
    "  --vcpu-family N, --vcpu-model N, --vcpu-stepping N\n"
    "                          signature from its parts; wins over --vcpu-sig\n"
    "  --vmm-type TYPE         QEMU (default) | ec2 | gce (ec2/gce need no vCPU option)\n"
    "  --ovmf PATH             OVMF firmware image\n"
    "  --kernel PATH           kernel (direct boot: measured through the SEV hashes table)\n"
    "  --initrd PATH           initrd (with --kernel; none = empty)\n"
    "  --append CMDLINE        kernel command line (with --kernel; UTF-8)\n"
    "  --guest-features VALUE  SEV_FEATURES of the VMSAs (default 0x1)\n"
    "  --snp-ovmf-hash HEX     digest of the firmware pages (from --mode snp:ovmf-hash);\n"
    "                          the footer table still comes from --ovmf\n"
    "  --svsm PATH             Coconut-SVSM image (snp:svsm)\n"
    "  --vars-size N | --vars-file PATH\n"
    "                          size of the OVMF_VARS flash (snp:svsm)\n"
    "  --output-format FMT     hex (default) | base64\n"
    "  -v, --verbose           print 'Calculated <MODE> guest measurement: <digest>'\n"
    "  --json                  print {digest, mode, inputs (path, size, sha256), options}\n"
    "  -h, --help              this text\n\n"
    "Integers take Python literals (0x1f, 0b1, 0o7, 1_000). Exit status 2 for bad\n"
    "options, unreadable or malformed inputs (including missing files), 3 for\n"
    "internal failures.\n",
    run,
};

enum {
    OPT_MODE = 256,
    OPT_VCPUS,
    OPT_VCPU_TYPE,
    OPT_VCPU_SIG,
    OPT_FAMILY,
    OPT_MODEL,
    OPT_STEPPING,
    OPT_VMM,
    OPT_OVMF,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_FEATURES,
    OPT_OVMF_HASH,
    OPT_SVSM,
    OPT_VARS_SIZE,
    OPT_VARS_FILE,
    OPT_FORMAT,
    OPT_JSON,
};

static int fail(const char *cmd, const kt_error *err) {
    /* Unreadable inputs are bad input here (exit 2); only internal errors are 3. */
    int code = kt_cli_fail(cmd, err);
    if (err->status == KT_E_IO)
        code = KT_EXIT_USAGE;
    return code;
}

static int parse_int(const char *cmd, const char *opt, const char *text, bool auto_base,
                     uint64_t max, bool *has, uint64_t *out) {
    kt_error err = {0};
    if (kt_measure_parse_int(text, auto_base, max, out, opt, &err) != KT_OK)
        return fail(cmd, &err);
    *has = true;
    return -1;
}

static json_t *file_json(const char *path, size_t size, const uint8_t sha[32]) {
    char hex[65];
    kt_hex_encode(sha, 32, hex);
    return json_pack("{s:s, s:I, s:s}", "path", path, "size", (json_int_t)size, "sha256", hex);
}

static char *hex_u64(uint64_t v, char buf[24]) {
    snprintf(buf, 24, "0x%llx", (unsigned long long)v);
    return buf;
}

static int print_json(const char *cmd, const kt_measure_launch *l, const char *digest_hex,
                      const char *digest_b64) {
    const kt_measure_options *o = &l->opts;
    json_t *inputs = json_object(), *options = json_object();
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o}", "digest", digest_hex, "digest_base64",
                             digest_b64, "mode", kt_measure_mode_name(o->mode), "inputs",
                             inputs, "options", options);
    if (!root)
        goto oom;
    json_object_set_new(inputs, "ovmf", file_json(l->ovmf_path, l->ovmf.len, l->ovmf_sha256));
    if (l->svsm_path)
        json_object_set_new(inputs, "svsm", file_json(l->svsm_path, l->svsm.len, l->svsm_sha256));
    if (o->has_kernel) {
        json_object_set_new(inputs, "kernel",
                            file_json(l->kernel_path, l->kernel.len, l->kernel_sha256));
        if (l->initrd_path)
            json_object_set_new(inputs, "initrd",
                                file_json(l->initrd_path, l->initrd.len, l->initrd_sha256));
    }
    if (l->vars_path)
        json_object_set_new(inputs, "vars_file",
                            json_pack("{s:s, s:I}", "path", l->vars_path, "size",
                                      (json_int_t)o->vars_size));
    char buf[24];
    if (o->mode != KT_MEASURE_SNP_OVMF_HASH) {
        if (o->mode != KT_MEASURE_SEV) {
            json_object_set_new(options, "vcpus", json_integer(o->vcpus));
            json_object_set_new(options, "vcpu_sig", json_string(hex_u64(o->vcpu_sig, buf)));
            json_object_set_new(options, "vmm_type", json_string(kt_measure_vmm_name(o->vmm)));
        }
        if (o->mode == KT_MEASURE_SNP)
            json_object_set_new(options, "guest_features",
                                json_string(hex_u64(o->guest_features, buf)));
        if (o->has_kernel)
            json_object_set_new(options, "append", json_string(o->cmdline ? o->cmdline : ""));
        if (o->ovmf_hash) {
            char h[2 * KT_MEASURE_DIGEST_SIZE + 1];
            kt_hex_encode(o->ovmf_hash, KT_MEASURE_DIGEST_SIZE, h);
            json_object_set_new(options, "snp_ovmf_hash", json_string(h));
        }
        if (o->mode == KT_MEASURE_SNP_SVSM)
            json_object_set_new(options, "vars_size", json_integer((json_int_t)o->vars_size));
    }
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!text)
        goto oom;
    printf("%s\n", text);
    free(text);
    return KT_EXIT_OK;
oom:
    fprintf(stderr, "katana-tee %s: out of memory\n", cmd);
    return KT_EXIT_PLATFORM;
}

static int run(int argc, char **argv) {
    static const struct option longopts[] = {
        {"mode", required_argument, NULL, OPT_MODE},
        {"vcpus", required_argument, NULL, OPT_VCPUS},
        {"vcpu-type", required_argument, NULL, OPT_VCPU_TYPE},
        {"vcpu-sig", required_argument, NULL, OPT_VCPU_SIG},
        {"vcpu-family", required_argument, NULL, OPT_FAMILY},
        {"vcpu-model", required_argument, NULL, OPT_MODEL},
        {"vcpu-stepping", required_argument, NULL, OPT_STEPPING},
        {"vmm-type", required_argument, NULL, OPT_VMM},
        {"ovmf", required_argument, NULL, OPT_OVMF},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"initrd", required_argument, NULL, OPT_INITRD},
        {"append", required_argument, NULL, OPT_APPEND},
        {"guest-features", required_argument, NULL, OPT_FEATURES},
        {"snp-ovmf-hash", required_argument, NULL, OPT_OVMF_HASH},
        {"svsm", required_argument, NULL, OPT_SVSM},
        {"vars-size", required_argument, NULL, OPT_VARS_SIZE},
        {"vars-file", required_argument, NULL, OPT_VARS_FILE},
        {"output-format", required_argument, NULL, OPT_FORMAT},
        {"json", no_argument, NULL, OPT_JSON},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = argv[0];
    kt_measure_args a;
    memset(&a, 0, sizeof a);
    a.opt_prefix = "--";
    bool json = false, verbose = false, base64 = false;
    int c, rc;
    /* sev-snp-measure (argparse) lets a later option win: so does measure, on purpose. */
    static const char *const sev_snp_measure_rules[] = {"*", NULL};
    optind = 0;
    opterr = 0;
    while ((c = kt_cli_getopt(argc, argv, "+hv", longopts, sev_snp_measure_rules)) != -1) {
        rc = -1;
        switch (c) {
        case OPT_MODE: a.mode = optarg; break;
        case OPT_VCPUS:
            rc = parse_int(cmd, "--vcpus", optarg, false, UINT32_MAX, &a.has_vcpus, &a.vcpus);
            break;
        case OPT_VCPU_TYPE: a.vcpu_type = optarg; break;
        case OPT_VCPU_SIG:
            rc = parse_int(cmd, "--vcpu-sig", optarg, true, UINT32_MAX, &a.has_vcpu_sig,
                           &a.vcpu_sig);
            break;
        case OPT_FAMILY:
            rc = parse_int(cmd, "--vcpu-family", optarg, false, UINT32_MAX, &a.has_family,
                           &a.family);
            break;
        case OPT_MODEL:
            rc = parse_int(cmd, "--vcpu-model", optarg, false, UINT32_MAX, &a.has_model, &a.model);
            break;
        case OPT_STEPPING:
            rc = parse_int(cmd, "--vcpu-stepping", optarg, false, UINT32_MAX, &a.has_stepping,
                           &a.stepping);
            break;
        case OPT_VMM: a.vmm_type = optarg; break;
        case OPT_OVMF: a.ovmf = optarg; break;
        case OPT_KERNEL: a.kernel = optarg; break;
        case OPT_INITRD: a.initrd = optarg; break;
        case OPT_APPEND: a.append = optarg; break;
        case OPT_FEATURES:
            rc = parse_int(cmd, "--guest-features", optarg, true, UINT64_MAX,
                           &a.has_guest_features, &a.guest_features);
            break;
        case OPT_OVMF_HASH: a.snp_ovmf_hash = optarg; break;
        case OPT_SVSM: a.svsm = optarg; break;
        case OPT_VARS_SIZE:
            rc = parse_int(cmd, "--vars-size", optarg, false, UINT64_MAX, &a.has_vars_size,
                           &a.vars_size);
            break;
        case OPT_VARS_FILE: a.vars_file = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "hex") == 0)
                base64 = false;
            else if (strcmp(optarg, "base64") == 0)
                base64 = true;
            else
                return kt_cli_usage_error(cmd, "--output-format: '%s' is not hex or base64",
                                          optarg);
            break;
        case OPT_JSON: json = true; break;
        case 'v': verbose = true; break;
        case 'h': return kt_cli_help(&kt_cli_cmd_measure);
        default:
            return kt_cli_bad_option(cmd, argv);
        }
        if (rc >= 0)
            return rc;
    }
    if (optind < argc)
        return kt_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.mode || !a.ovmf)
        return kt_cli_usage_error(cmd, "--mode and --ovmf are required");
    a.hash_all_inputs = json;

    kt_error err = {0};
    kt_measure_launch l;
    if (kt_measure_launch_prepare(&a, &l, &err) != KT_OK)
        return fail(cmd, &err);
    uint8_t digest[KT_MEASURE_DIGEST_SIZE];
    size_t n = 0;
    if (kt_measure(&l.opts, digest, &n, &err) != KT_OK) {
        kt_measure_launch_free(&l);
        return fail(cmd, &err);
    }
    char hex[2 * KT_MEASURE_DIGEST_SIZE + 1];
    char b64[4 * ((KT_MEASURE_DIGEST_SIZE + 2) / 3) + 1];
    kt_hex_encode(digest, n, hex);
    EVP_EncodeBlock((unsigned char *)b64, digest, (int)n);
    if (json) {
        rc = print_json(cmd, &l, hex, b64);
        kt_measure_launch_free(&l);
        return rc;
    }
    /* As the tool: snp:ovmf-hash always prints hex. */
    const char *text = base64 && l.opts.mode != KT_MEASURE_SNP_OVMF_HASH ? b64 : hex;
    if (verbose && l.opts.mode != KT_MEASURE_SNP_OVMF_HASH) {
        static const char *const names[] = {"SEV_SNP", "SEV_SNP", "SEV_SNP_SVSM", "SEV_ES", "SEV"};
        printf("Calculated %s guest measurement: %s\n", names[l.opts.mode], text);
    } else {
        printf("%s\n", text);
    }
    kt_measure_launch_free(&l);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "katana-tee %s: cannot write to standard output\n", cmd);
        return KT_EXIT_PLATFORM;
    }
    return KT_EXIT_OK;
}
