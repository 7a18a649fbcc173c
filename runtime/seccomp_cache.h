/* The on-disk cache of compiled seccomp programs (internal to seccomp.c and
 * its tests). Best effort: a failure to read or write it is never an error,
 * the caller compiles instead. */
#ifndef PITH_SECCOMP_CACHE_H
#define PITH_SECCOMP_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* 128-bit FNV-1a, done with 64-bit halves so it is the same on 32-bit ARM. */
struct hash128 {
	uint64_t hi;
	uint64_t lo;
};
void hash128_init(struct hash128 *h);
void hash128_update(struct hash128 *h, const void *data, size_t len);
void hash128_hex(const struct hash128 *h, char out[33]);

/* Key of a profile: canonical JSON of linux.seccomp plus everything else the
 * program depends on (libseccomp version, host arch, kernel, pith build). */
void seccomp_cache_key(const char *canonical_json, struct hash128 *key);

#define SECCOMP_CACHE_DIR ".cache/seccomp"

/* 1 and a malloc'ed program on a valid hit; 0 on a miss or an entry that
 * fails validation (the caller rebuilds and overwrites it). */
int seccomp_cache_load(const char *state_root, const struct hash128 *key,
		       struct sock_filter **filter, unsigned short *len);
/* Write atomically (temporary file + rename); errors are ignored. */
void seccomp_cache_store(const char *state_root, const struct hash128 *key,
			 const struct sock_filter *filter, unsigned short len);

#endif
