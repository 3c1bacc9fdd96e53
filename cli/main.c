/* katana-tee: command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "katana_tee/sim.h"
#include "katana_tee/sim_azure.h"

#define KT_COMMAND(n) extern const kt_cli_command kt_cli_cmd_##n;
#include "cli_commands.inc"
#undef KT_COMMAND

static const kt_cli_command *const commands[] = {
#define KT_COMMAND(n) &kt_cli_cmd_##n,
#include "cli_commands.inc"
#undef KT_COMMAND
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void print_overview(FILE *out) {
    fprintf(out,
            "katana-tee — SEV-SNP attestation for the Katana Starknet sequencer\n\n"
            "usage: katana-tee <command> [options]\n\n"
            "commands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n'katana-tee <command> --help' describes a command.\n"
            "exit status: 0 ok/valid, 1 verification failed, 2 bad usage or input,\n"
            "3 platform or I/O failure, 4 untrusted (verify/attest: a mock quote accepted with\n"
            "--allow-mock; never valid).\n");
}

int main(int argc, char **argv) {
    /* the simulator is not in libkatana-tee: this program links it and offers `--attester sim` */
    kt_error reg_err = {0};
    if (kt_sim_attester_register(&reg_err) != KT_OK ||
        kt_sim_azure_attester_register(&reg_err) != KT_OK) {
        fprintf(stderr, "katana-tee: %s\n", reg_err.message);
        return KT_EXIT_PLATFORM;
    }
    if (argc < 2) {
        print_overview(stderr);
        return KT_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc >= 3) {
            for (size_t i = 0; i < COMMAND_COUNT; i++)
                if (strcmp(commands[i]->name, argv[2]) == 0)
                    return kt_cli_help(commands[i]);
        }
        print_overview(stdout);
        return KT_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("katana-tee %s\n", KT_VERSION_STRING);
        return KT_EXIT_OK;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "katana-tee: unknown command '%s' (see 'katana-tee --help')\n", name);
    return KT_EXIT_USAGE;
}
