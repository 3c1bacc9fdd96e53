#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fileio.h"

int kt_cli_exit_code(kt_status status) {
    switch (kt_status_category_of(status)) {
    case KT_CAT_OK:
        return KT_EXIT_OK;
    case KT_CAT_INPUT:
        return KT_EXIT_USAGE;
    case KT_CAT_VERIFY:
        return KT_EXIT_INVALID;
    case KT_CAT_PLATFORM:
    default:
        return KT_EXIT_PLATFORM;
    }
}

static bool json_mode;

void kt_cli_set_json(bool on) {
    json_mode = on;
}

bool kt_cli_json(void) {
    return json_mode;
}

void kt_cli_print_error_json(const kt_error *err, int exit_code) {
    const char *msg = err->message[0] ? err->message : kt_status_str(err->status);
    json_t *o = json_pack("{s:{s:s, s:i, s:s}}", "error", "status", kt_status_name(err->status),
                          "exit", exit_code, "message", msg);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (text)
        printf("%s\n", text);
    else /* jansson out of memory: still one JSON object */
        printf("{\"error\": {\"status\": \"KT_E_NOMEM\", \"exit\": 3, \"message\": "
               "\"out of memory\"}}\n");
    free(text);
    fflush(stdout);
}

int kt_cli_fail_text(const char *cmd, const kt_error *err) {
    const char *msg = err->message[0] ? err->message : kt_status_str(err->status);
    fprintf(stderr, "katana-tee %s: %s\n", cmd, msg);
    return kt_cli_exit_code(err->status);
}

int kt_cli_fail(const char *cmd, const kt_error *err) {
    int rc = kt_cli_fail_text(cmd, err);
    if (json_mode)
        kt_cli_print_error_json(err, rc);
    return rc;
}

int kt_cli_usage_error(const char *cmd, const char *fmt, ...) {
    kt_error err = {KT_E_INVALID_ARG, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    fprintf(stderr, "katana-tee %s: %s (see 'katana-tee %s --help')\n", cmd, err.message, cmd);
    if (json_mode)
        kt_cli_print_error_json(&err, KT_EXIT_USAGE);
    return KT_EXIT_USAGE;
}

/* ---- option parsing ------------------------------------------------------------------ */

#define MAX_LONGOPTS 64

static struct {
    unsigned char seen[MAX_LONGOPTS];
    char why[160];
} parse;

static int longopt_index(const struct option *longopts, int c, int index) {
    if (index >= 0)
        return index;
    for (int i = 0; longopts[i].name && i < MAX_LONGOPTS; i++)
        if (!longopts[i].flag && longopts[i].val == c)
            return i;
    return -1;
}

static bool is_repeatable(const char *name, const char *const *repeatable) {
    for (size_t i = 0; repeatable && repeatable[i]; i++)
        if (strcmp(repeatable[i], name) == 0 || strcmp(repeatable[i], "*") == 0)
            return true;
    return false;
}

int kt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                  const char *const *repeatable) {
    if (optind == 0) {
        memset(&parse, 0, sizeof parse);
        opterr = 0;
        bool has_json = false;
        for (int i = 0; longopts[i].name; i++)
            has_json |= strcmp(longopts[i].name, "json") == 0;
        json_mode = false;
        for (int i = 1; has_json && i < argc && strcmp(argv[i], "--") != 0; i++)
            if (strcmp(argv[i], "--json") == 0)
                json_mode = true;
    }
    int index = -1;
    int c = getopt_long(argc, argv, shortopts, longopts, &index);
    if (c == -1)
        return c;
    if (c == '?' || c == ':') {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        snprintf(parse.why, sizeof parse.why, "unknown or incomplete option '%s'", arg);
        return '?';
    }
    int i = longopt_index(longopts, c, index);
    if (i >= 0 && i < MAX_LONGOPTS) {
        if (parse.seen[i] && !is_repeatable(longopts[i].name, repeatable)) {
            snprintf(parse.why, sizeof parse.why,
                     "--%s given more than once: give it once (no value silently wins)",
                     longopts[i].name);
            return '?';
        }
        parse.seen[i] = 1;
    }
    return c;
}

int kt_cli_bad_option(const char *cmd, char **argv) {
    (void)argv;
    return kt_cli_usage_error(cmd, "%s", parse.why[0] ? parse.why : "bad option");
}

int kt_cli_help(const kt_cli_command *cmd) {
    fputs(cmd->usage, stdout);
    return KT_EXIT_OK;
}

kt_status kt_cli_felt(const char *text, const char *option, kt_felt *out, kt_error *err) {
    return kt_felt_parse(text, strlen(text), out, option, err);
}

kt_status kt_cli_uint(const char *text, const char *option, unsigned long long min,
                      unsigned long long max, unsigned long long *out, kt_error *err) {
    if (!text[0] || text[0] == '-' || text[0] == '+')
        return kt_fail(err, KT_E_PARSE, "%s: '%s' is not a non-negative integer", option, text);
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0')
        return kt_fail(err, KT_E_PARSE, "%s: '%s' is not a non-negative integer", option, text);
    if (v < min || v > max)
        return kt_fail(err, KT_E_RANGE, "%s: %llu is out of range (%llu..%llu)", option, v, min,
                       max);
    *out = v;
    return KT_OK;
}

kt_status kt_cli_log_level(const char *text, int *level, kt_error *err) {
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(levels[i], text) == 0) {
            *level = i;
            return KT_OK;
        }
    return kt_fail(err, KT_E_INVALID_ARG, "--log-level must be error, warn, info or debug");
}

kt_status kt_cli_parse_numbers(const kt_cli_num_opt *opts, size_t n, kt_error *err) {
    for (size_t i = 0; i < n; i++) {
        const kt_cli_num_opt *o = &opts[i];
        unsigned long long v;
        if (!o->text)
            continue;
        kt_status st = kt_cli_uint(o->text, o->name, o->min, o->max, &v, err);
        if (st != KT_OK)
            return st;
        v *= (unsigned long long)(o->scale > 0 ? o->scale : 1);
        /* stored through memcpy: dest points at a field of the named type */
        switch (o->type) {
        case KT_CLI_NUM_UNSIGNED: {
            unsigned x = (unsigned)v;
            memcpy(o->dest, &x, sizeof x);
            break;
        }
        case KT_CLI_NUM_SIZE: {
            size_t x = (size_t)v;
            memcpy(o->dest, &x, sizeof x);
            break;
        }
        case KT_CLI_NUM_LONG: {
            long x = (long)v;
            memcpy(o->dest, &x, sizeof x);
            break;
        }
        case KT_CLI_NUM_U64: {
            uint64_t x = (uint64_t)v;
            memcpy(o->dest, &x, sizeof x);
            break;
        }
        }
    }
    return KT_OK;
}

kt_status kt_cli_write(const char *path, const void *data, size_t len, kt_error *err) {
    if (!path || strcmp(path, "-") == 0) {
        if (len && fwrite(data, 1, len, stdout) != len)
            return kt_fail(err, KT_E_IO, "cannot write to standard output");
        if (fflush(stdout) != 0)
            return kt_fail(err, KT_E_IO, "cannot write to standard output");
        return KT_OK;
    }
    return kt_file_write_atomic(path, data, len, 0644, err);
}

kt_status kt_cli_read(const char *path, size_t max, uint8_t **data, size_t *len, kt_error *err) {
    if (strcmp(path, "-") != 0)
        return kt_file_read(path, max, data, len, err);
    kt_buf b;
    kt_buf_init(&b, max);
    int rc = kt_read_fd(STDIN_FILENO, &b);
    if (rc == KT_READ_TOO_BIG || rc == ENOMEM) {
        kt_buf_free(&b);
        return kt_fail(err, rc == ENOMEM ? KT_E_NOMEM : KT_E_TOO_LARGE,
                       "standard input exceeds %zu bytes", max);
    }
    if (rc != 0 || !kt_buf_terminate(&b)) {
        kt_buf_free(&b);
        return kt_fail(err, KT_E_IO, "cannot read standard input");
    }
    *data = b.data;
    *len = b.len;
    return KT_OK;
}

int kt_cli_print_json(const char *cmd, json_t *o) {
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    if (!text) {
        fprintf(stderr, "katana-tee %s: out of memory\n", cmd);
        return KT_EXIT_PLATFORM;
    }
    printf("%s\n", text);
    free(text);
    return KT_EXIT_OK;
}
