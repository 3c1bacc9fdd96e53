/*
 * The katana-tee program: shared pieces of every subcommand.
 *
 * Exit status: 0 success / valid, 1 verification failed, 2 bad usage or
 * input, 3 platform or I/O failure, 4 (verify/attest only) untrusted: a mock
 * quote accepted with --allow-mock whose report data matched — never valid.
 * Errors go to stderr as one line "katana-tee <command>: <message>"; results
 * go to stdout or --out. With --json, every exit prints exactly one JSON
 * object on stdout: the result, or {"error": {"status", "exit", "message"}}.
 */
#ifndef KT_CLI_H
#define KT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <getopt.h>

#include "katana_tee/felt.h"
#include "katana_tee/status.h"

enum {
    KT_EXIT_OK = 0,
    KT_EXIT_INVALID = 1,
    KT_EXIT_USAGE = 2,
    KT_EXIT_PLATFORM = 3,
    KT_EXIT_UNTRUSTED = 4,
};

typedef struct kt_cli_command {
    const char *name;    /* as typed: "report-data" */
    const char *summary; /* one line for `katana-tee --help` */
    const char *usage;   /* full text for `katana-tee NAME --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} kt_cli_command;

/* Exit status for a library status (by its category). */
int kt_cli_exit_code(kt_status status);

/* Print "katana-tee CMD: message" for err and return its exit status. */
int kt_cli_fail(const char *cmd, const kt_error *err);

/* Print a usage error (and a hint to --help) and return KT_EXIT_USAGE. */
int kt_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * getopt_long for every command, with what getopt_long lacks: an option given
 * twice is an error (last-wins would silently drop the first value) unless its
 * long name is in `repeatable` (NULL-terminated, may be NULL; "*" = every
 * option, for a command that copies another tool's last-wins rules); and when the
 * command has a "json" long option that appears anywhere in argv, JSON error
 * output is switched on before the first error can happen. Call with optind =
 * 0 to start a parse. Returns what getopt_long returns; '?' for an unknown,
 * incomplete or repeated option, after which kt_cli_bad_option prints why.
 */
int kt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                  const char *const *repeatable);

/* The usage error for the option kt_cli_getopt just refused (KT_EXIT_USAGE). */
int kt_cli_bad_option(const char *cmd, char **argv);

/* JSON error output on (set by kt_cli_getopt when --json is given) or off. */
void kt_cli_set_json(bool on);
bool kt_cli_json(void);

/* Print the error JSON object {"error": {...}} on stdout (whatever the mode). */
void kt_cli_print_error_json(const kt_error *err, int exit_code);

/* kt_cli_fail without the JSON object: stderr only (for a caller that prints its own). */
int kt_cli_fail_text(const char *cmd, const kt_error *err);

/* Print a JSON value (taken over; NULL means out of memory) indented on stdout: KT_EXIT_OK, or
 * KT_EXIT_PLATFORM with a line on stderr when it cannot be rendered. */
struct json_t;
int kt_cli_print_json(const char *cmd, struct json_t *o);

/* Print the command's usage text to stdout and return KT_EXIT_OK. */
int kt_cli_help(const kt_cli_command *cmd);

/* Parse a felt option value, naming the option in the error. */
kt_status kt_cli_felt(const char *text, const char *option, kt_felt *out, kt_error *err);

/* Parse an unsigned integer option value in [min, max]. */
kt_status kt_cli_uint(const char *text, const char *option, unsigned long long min,
                      unsigned long long max, unsigned long long *out, kt_error *err);

/* --log-level: error, warn, info, debug as 0..3 (the order of both
 * services' level enums); a usage error naming the choices otherwise. */
kt_status kt_cli_log_level(const char *text, int *level, kt_error *err);

/* Where a numeric option's value goes. */
typedef enum kt_cli_num_type {
    KT_CLI_NUM_UNSIGNED, /* unsigned */
    KT_CLI_NUM_SIZE,     /* size_t */
    KT_CLI_NUM_LONG,     /* long */
    KT_CLI_NUM_U64,      /* uint64_t */
} kt_cli_num_type;

/*
 * One numeric option of a command: its name, the text given (NULL when the
 * option was not given: dest is left alone), the range the text must be
 * in, and where the value (times scale, e.g. 1000 for seconds into
 * milliseconds; 0 means 1) is stored. The range bounds the text, so it must
 * keep value * scale within dest's type.
 */
typedef struct kt_cli_num_opt {
    const char *name;
    const char *text;
    unsigned long long min, max;
    kt_cli_num_type type;
    void *dest;
    long scale;
} kt_cli_num_opt;

/* Parse every given option of opts[0..n) (kt_cli_uint), stopping at the first bad one. */
kt_status kt_cli_parse_numbers(const kt_cli_num_opt *opts, size_t n, kt_error *err);

/*
 * Write data to `path` atomically (temp file + rename; nothing is left at
 * path on failure), or to stdout when path is NULL or "-".
 */
kt_status kt_cli_write(const char *path, const void *data, size_t len, kt_error *err);

/* Read a whole input file ("-" = stdin) of at most max bytes (NUL-terminated). */
kt_status kt_cli_read(const char *path, size_t max, uint8_t **data, size_t *len, kt_error *err);

#endif
