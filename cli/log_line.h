/* One key=value log line on stderr, as the servers (serve, kds-proxy) write them. */
#ifndef KT_CLI_LOG_LINE_H
#define KT_CLI_LOG_LINE_H

/*
 * "ts=2026-01-01T00:00:00.000Z level=LEVEL event=EVENT FIELDS" and a newline,
 * whole (one lock around the write), flushed. level: 0 error, 1 warn,
 * 2 info, 3 debug.
 */
void kt_cli_log_line(int level, const char *event, const char *fields);

#endif
