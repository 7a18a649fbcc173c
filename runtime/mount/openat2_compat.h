/* openat2(2) and its RESOLVE_* flags where the libc or kernel headers predate
 * Linux 5.6 (board sysroots): the syscall number is the same everywhere. */
#ifndef PITH_OPENAT2_COMPAT_H
#define PITH_OPENAT2_COMPAT_H

#include <stdint.h>
#include <sys/syscall.h>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#endif
