/* katana-tee fetch --prefetch: warm a KDS cache (or a proxy's) from a list of reports. */
#ifndef KT_CLI_FETCH_PREFETCH_H
#define KT_CLI_FETCH_PREFETCH_H

#include "katana_tee/kds.h"

/*
 * Read `list` (one quote file per line; blank lines and lines starting with
 * '#' are skipped; relative paths are relative to the list's folder) and,
 * for each report, fetch through a client made from `opts`: its VCEK (VCEK-
 * signed reports), its chain (VCEK or VLEK hierarchy) and its CRL. Each
 * distinct object is fetched once. Prints one line per object and a
 * summary; returns the exit status (0 all fetched, 2 unreadable list or
 * quote, 3 an object could not be had; a missing CRL is only a warning).
 */
int kt_cli_fetch_prefetch(const char *list, const kt_kds_opts *opts, kt_product product);

#endif
