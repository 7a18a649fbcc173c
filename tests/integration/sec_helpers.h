/* Shared by the security and rootless integration tests: a private copy of
 * the fixture rootfs holding a static test program (tests/fixtures/sec-helper.c),
 * so a test may change the rootfs without touching build/fixtures. */
#ifndef PITH_TEST_SEC_HELPERS_H
#define PITH_TEST_SEC_HELPERS_H

#include "harness.h"

/* <build>/fixtures/sec-helper, compiled (gcc -static) on first use. */
const char *sec_helper_bin(void);
/* Copy the fixture rootfs to <bundle>/rootfs, add /bin/sec-helper, point
 * root.path at it (still read-only). Returns the copy's path. */
const char *sec_private_rootfs(struct bundle *b);
/* process.args = sh -c script; write; `pith run`. */
struct run_result sec_run_sh(struct bundle *b, const char *script);
/* Run a shell command on the host, true when it exits 0. */
bool sec_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A cheap content hash of a file (FNV-1a 64), 0 when unreadable. */
unsigned long long sec_file_hash(const char *path);

#endif
