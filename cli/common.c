#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int kt_cli_fail(const char *cmd, const kt_error *err) {
    const char *msg = err->message[0] ? err->message : kt_status_str(err->status);
    fprintf(stderr, "katana-tee %s: %s\n", cmd, msg);
    return kt_cli_exit_code(err->status);
}

int kt_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "katana-tee %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'katana-tee %s --help')\n", cmd);
    return KT_EXIT_USAGE;
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
