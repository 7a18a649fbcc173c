/* The on-disk cache of compiled seccomp programs (internal to seccomp.c and
 * its tests). Best effort: a failure to read or write it is never an error,
 * the caller compiles instead. */
#ifndef PITH_SECCOMP_CACHE_H
#define PITH_SECCOMP_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* 128-bit FNV-1a, done with 64-bit halves so it is the same on 32-bit ARM:
 * the entry checksum, and the entry name where the kernel has no SHA-256. */
struct hash128 {
	uint64_t hi;
	uint64_t lo;
};
void hash128_init(struct hash128 *h);
void hash128_update(struct hash128 *h, const void *data, size_t len);
void hash128_hex(const struct hash128 *h, char out[33]);

/* What a compiled program depends on: the canonical JSON of linux.seccomp and
 * everything else (libseccomp version, host arch, kernel, pith build), as
 * NUL-separated fields. An entry holds it whole and is used only when it is
 * byte-for-byte the same: the name (SHA-256 of it, or FNV-1a where AF_ALG is
 * absent) only finds the file, so a colliding name is a miss, never a
 * foreign filter. */
struct seccomp_cache_key {
	char *material;  /* malloc */
	size_t len;
	char name[65];
};
/* 0, or -1 when out of memory (no caching then). */
int seccomp_cache_key(const char *canonical_json, struct seccomp_cache_key *key);
void seccomp_cache_key_release(struct seccomp_cache_key *key);

#define SECCOMP_CACHE_DIR ".cache/seccomp"

/* 1 and a malloc'ed program on a valid hit; 0 on a miss or an entry that
 * fails validation (the caller rebuilds and overwrites it). */
int seccomp_cache_load(const char *state_root, const struct seccomp_cache_key *key,
		       struct sock_filter **filter, unsigned short *len);
/* Write atomically (temporary file + rename, 0600); errors are ignored. */
void seccomp_cache_store(const char *state_root, const struct seccomp_cache_key *key,
			 const struct sock_filter *filter, unsigned short len);

#endif
