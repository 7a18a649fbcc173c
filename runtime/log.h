/* Where messages go: stderr, or the --log file as text or runc-style JSON lines. */
#ifndef PITH_LOG_H
#define PITH_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* "2026-11-26T15:04:05.123456789Z" */
void rfc3339_now(char *buf, size_t len);
void log_setup(const char *path, bool json, bool debug);
void log_error(const struct pith_error *err);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
