/* Compiled seccomp programs kept under <state root>/.cache/seccomp/<key>.
 *
 * The file is: a fixed header (magic, format version, instruction count, the
 * key it was written for, a hash of the instructions) and the instructions.
 * Anything that does not check out (size, header, key echo, checksum, owner,
 * mode) is a miss: the caller compiles again and replaces the entry. The key
 * is not a security boundary (the directory is the owner's, 0700); the
 * checksum is there so a torn or damaged file can never become a filter. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "seccomp_cache.h"

#ifndef PITH_VERSION
#define PITH_VERSION "unknown"
#endif
#ifndef PITH_COMMIT
#define PITH_COMMIT "unknown"
#endif

#define CACHE_MAGIC "PITHBPF"   /* 8 bytes with its NUL */
#define CACHE_FORMAT 1u

struct cache_header {
	char magic[8];
	uint32_t format;
	uint32_t count;          /* instructions that follow */
	uint64_t key_hi, key_lo; /* the key this entry was written for */
	uint64_t sum_hi, sum_lo; /* hash128 of the instructions */
};
_Static_assert(sizeof(struct cache_header) == 48, "cache header has no padding");

/* ---------- FNV-1a, 128 bits ---------- */

void hash128_init(struct hash128 *h)
{
	h->hi = 0x6c62272e07bb0142ULL;
	h->lo = 0x62b821756295c58dULL;
}

/* h *= 2^88 + 0x13b (mod 2^128) without a 128-bit type. */
static void hash128_mul_prime(struct hash128 *h)
{
	const uint64_t p = 0x13b;
	uint64_t lo_lo = (h->lo & 0xffffffffULL) * p;
	uint64_t lo_hi = (h->lo >> 32) * p;
	uint64_t carry = (lo_hi + (lo_lo >> 32)) >> 32;
	uint64_t new_lo = h->lo * p;
	h->hi = h->hi * p + carry + (h->lo << 24);
	h->lo = new_lo;
}

void hash128_update(struct hash128 *h, const void *data, size_t len)
{
	const unsigned char *b = data;
	for (size_t i = 0; i < len; i++) {
		h->lo ^= b[i];
		hash128_mul_prime(h);
	}
}

void hash128_hex(const struct hash128 *h, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->hi, (unsigned long long)h->lo);
}

static void hash_field(struct hash128 *h, const char *s)
{
	hash128_update(h, s, strlen(s) + 1);   /* the NUL separates fields */
}

void seccomp_cache_key(const char *canonical_json, struct hash128 *key)
{
	char buf[64];
	hash128_init(key);
	hash_field(key, "pith-seccomp-cache");
	snprintf(buf, sizeof(buf), "%u", CACHE_FORMAT);
	hash_field(key, buf);
	hash_field(key, PITH_VERSION);
	hash_field(key, PITH_COMMIT);
	const struct scmp_version *v = seccomp_version();
	snprintf(buf, sizeof(buf), "libseccomp %u.%u.%u", v ? v->major : 0, v ? v->minor : 0,
		 v ? v->micro : 0);
	hash_field(key, buf);
	snprintf(buf, sizeof(buf), "arch %#x", seccomp_arch_native());
	hash_field(key, buf);
	/* libseccomp probes the kernel for supported actions while compiling. */
	struct utsname u;
	hash_field(key, uname(&u) == 0 ? u.release : "");
	hash_field(key, canonical_json);
}

static void sum_program(const struct sock_filter *f, unsigned short len, struct hash128 *sum)
{
	hash128_init(sum);
	hash128_update(sum, &len, sizeof(len));
	hash128_update(sum, f, (size_t)len * sizeof(*f));
}

/* ---------- directory ---------- */

static int open_subdir(int parent, const char *name, bool create)
{
	if (create && mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The cache directory, only if it is ours and private. */
static int open_cache_dir(const char *state_root, bool create)
{
	if (create && mkdir(state_root, 0700) < 0 && errno != EEXIST)
		return -1;
	auto_fd root = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	auto_fd cache = open_subdir(root, ".cache", create);
	if (cache < 0)
		return -1;
	auto_fd dir = open_subdir(cache, "seccomp", create);
	if (dir < 0)
		return -1;
	struct stat st;
	if (fstat(dir, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077))
		return -1;
	return pith_steal_fd(&dir);
}

/* ---------- load ---------- */

static bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool entry_sane(int fd, size_t *count)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return false;
	off_t body = st.st_size - (off_t)sizeof(struct cache_header);
	if (body <= 0 || body % (off_t)sizeof(struct sock_filter) ||
	    body / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return false;
	*count = (size_t)(body / (off_t)sizeof(struct sock_filter));
	return true;
}

static bool header_ok(const struct cache_header *h, const struct hash128 *key, size_t count)
{
	return memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) == 0 && h->format == CACHE_FORMAT &&
	       h->count == count && h->key_hi == key->hi && h->key_lo == key->lo;
}

int seccomp_cache_load(const char *state_root, const struct hash128 *key,
		       struct sock_filter **filter, unsigned short *len)
{
	auto_fd dir = open_cache_dir(state_root, false);
	if (dir < 0)
		return 0;
	char name[33];
	hash128_hex(key, name);
	auto_fd fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	size_t count;
	if (fd < 0 || !entry_sane(fd, &count))
		return 0;
	struct cache_header h;
	if (!read_all(fd, &h, sizeof(h)) || !header_ok(&h, key, count))
		return 0;
	auto_free struct sock_filter *f = malloc(count * sizeof(*f));
	if (!f || !read_all(fd, f, count * sizeof(*f)))
		return 0;
	struct hash128 sum;
	sum_program(f, (unsigned short)count, &sum);
	if (sum.hi != h.sum_hi || sum.lo != h.sum_lo)
		return 0;
	*filter = pith_steal_ptr(&f);
	*len = (unsigned short)count;
	return 1;
}

/* ---------- store ---------- */

static bool write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return true;
}

void seccomp_cache_store(const char *state_root, const struct hash128 *key,
			 const struct sock_filter *filter, unsigned short len)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return;
	auto_fd dir = open_cache_dir(state_root, true);
	if (dir < 0)
		return;
	struct cache_header h = { .magic = CACHE_MAGIC, .format = CACHE_FORMAT, .count = len,
				  .key_hi = key->hi, .key_lo = key->lo };
	struct hash128 sum;
	sum_program(filter, len, &sum);
	h.sum_hi = sum.hi;
	h.sum_lo = sum.lo;

	char name[33], tmp[64];
	hash128_hex(key, name);
	snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld", name, (long)getpid());
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)filter, .iov_len = (size_t)len * sizeof(*filter) },
	};
	bool ok = write_all(fd, iov, 2);
	/* No fsync: a torn entry after a crash fails validation and is rebuilt. */
	if (close(fd) < 0)
		ok = false;
	if (!ok || renameat(dir, tmp, dir, name) < 0)
		unlinkat(dir, tmp, 0);
}
