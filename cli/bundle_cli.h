/* The CLI side of verification bundles: verify --save-bundle / --bundle, show --bundle. */
#ifndef KT_CLI_BUNDLE_CLI_H
#define KT_CLI_BUNDLE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "katana_tee/bundle.h"
#include "v1_cli.h"

/* Before kt_verify: record the sources' certificates and fix the time (see kt_bundle_recorder_wrap). */
kt_status kt_cli_bundle_prepare(kt_bundle_recorder **rec, kt_verify_opts *opts, kt_error *err);

/*
 * After kt_verify or kt_v1_verify: write the bundle to `path` (atomically).
 * v1 is the schema v1 answer verified (NULL or inactive for a plain quote:
 * then `quote` is it); trust_roots are the --trust-root files (re-read for
 * their bytes), launch the --expect-launch file or NULL.
 */
kt_status kt_cli_bundle_save(const char *path, const kt_bundle_recorder *rec,
                             const kt_quote *quote, const kt_cli_v1 *v1,
                             const kt_verify_opts *opts,
                             const char *const *trust_roots, size_t trust_root_count,
                             const char *launch, const kt_verdict *verdict, kt_error *err);

/* verify --bundle FILE [--at TIME] [--json]: re-run offline; returns the exit status. */
int kt_cli_bundle_verify(const char *cmd, const char *path, const char *at, bool json);

/* show --bundle FILE: print what is inside; returns the exit status. */
int kt_cli_bundle_show(const char *cmd, const char *path);

#endif
