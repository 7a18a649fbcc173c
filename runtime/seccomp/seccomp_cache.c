/* Compiled seccomp programs kept under <state root>/.cache/seccomp/<key>.
 *
 * The file is: a fixed header (magic, format version, instruction count,
 * length of the key material, a checksum), the key material it was written
 * for and the instructions. Anything that does not check out (size, header,
 * material, checksum, owner, mode other than 0600) is a miss: the caller
 * compiles again and replaces the entry. Under a shared --root the name is
 * chosen by whoever wrote the profile, so the name is never trusted: the
 * material must match byte for byte. The checksum is there so a torn or
 * damaged file can never become a filter. */
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

#include "../cleanup.h"
#include "seccomp_cache.h"
#include "sha256.h"

#ifndef PITH_VERSION
#define PITH_VERSION "unknown"
#endif
#ifndef PITH_COMMIT
#define PITH_COMMIT "unknown"
#endif

#define CACHE_MAGIC "PITHBPF"   /* 8 bytes with its NUL */
#define CACHE_FORMAT 2u
#define MATERIAL_MAX (1u << 20)

struct cache_header {
	char magic[8];
	uint32_t format;
	uint32_t count;          /* instructions that follow the material */
	uint32_t material_len;   /* key material that follows the header */
	uint32_t reserved;
	uint64_t sum_hi, sum_lo; /* hash128 of material and instructions */
};
_Static_assert(sizeof(struct cache_header) == 40, "cache header has no padding");

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

static bool add_field(char **buf, size_t *len, size_t *cap, const char *field)
{
	size_t n = strlen(field) + 1; /* the NUL separates fields */
	if (*len + n > *cap) {
		size_t ncap = (*len + n) * 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return false;
		*buf = nb, *cap = ncap;
	}
	memcpy(*buf + *len, field, n);
	*len += n;
	return true;
}

static void name_entry(struct seccomp_cache_key *key)
{
	unsigned char d[SHA256_LEN];
	struct iovec iov = { .iov_base = key->material, .iov_len = key->len };
	if (sha256_iov(&iov, 1, d) == 0) {
		for (int i = 0; i < SHA256_LEN; i++)
			snprintf(key->name + 2 * i, 3, "%02x", d[i]);
		return;
	}
	/* No AF_ALG (CONFIG_CRYPTO_USER_API_HASH off, as on this project's VMs
	 * and many boards): the name only has to spread, the material check
	 * makes a collision a miss. */
	struct hash128 h;
	hash128_init(&h);
	hash128_update(&h, key->material, key->len);
	hash128_hex(&h, key->name);
}

int seccomp_cache_key(const char *canonical_json, struct seccomp_cache_key *key)
{
	memset(key, 0, sizeof(*key));
	char fmt[32], lib[64], arch[32];
	snprintf(fmt, sizeof(fmt), "%u", CACHE_FORMAT);
	const struct scmp_version *v = seccomp_version();
	snprintf(lib, sizeof(lib), "libseccomp %u.%u.%u", v ? v->major : 0, v ? v->minor : 0,
		 v ? v->micro : 0);
	snprintf(arch, sizeof(arch), "arch %#x", seccomp_arch_native());
	/* libseccomp probes the kernel for supported actions while compiling. */
	struct utsname u;
	const char *fields[] = { "pith-seccomp-cache", fmt, PITH_VERSION, PITH_COMMIT, lib, arch,
				 uname(&u) == 0 ? u.release : "", canonical_json };
	size_t cap = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!add_field(&key->material, &key->len, &cap, fields[i])) {
			seccomp_cache_key_release(key);
			return -1;
		}
	if (key->len > MATERIAL_MAX) {
		seccomp_cache_key_release(key);
		return -1;
	}
	name_entry(key);
	return 0;
}

void seccomp_cache_key_release(struct seccomp_cache_key *key)
{
	free(key->material);
	key->material = NULL;
	key->len = 0;
}

static void sum_entry(const char *material, size_t mlen, const struct sock_filter *f,
		      unsigned short len, struct hash128 *sum)
{
	hash128_init(sum);
	hash128_update(sum, material, mlen);
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

/* Ours and private: a regular file of our euid, mode exactly 0600. */
static bool entry_sane(int fd, off_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0600)
		return false;
	*size = st.st_size;
	return true;
}

static bool header_ok(const struct cache_header *h, const struct seccomp_cache_key *key, off_t size)
{
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0 || h->format != CACHE_FORMAT ||
	    h->material_len != key->len || h->count == 0 || h->count > BPF_MAXINSNS)
		return false;
	return size == (off_t)(sizeof(*h) + key->len + (size_t)h->count * sizeof(struct sock_filter));
}

int seccomp_cache_load(const char *state_root, const struct seccomp_cache_key *key,
		       struct sock_filter **filter, unsigned short *len)
{
	if (!key->material)
		return 0;
	auto_fd dir = open_cache_dir(state_root, false);
	if (dir < 0)
		return 0;
	auto_fd fd = openat(dir, key->name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	off_t size;
	if (fd < 0 || !entry_sane(fd, &size))
		return 0;
	struct cache_header h;
	if (!read_all(fd, &h, sizeof(h)) || !header_ok(&h, key, size))
		return 0;
	auto_free char *material = malloc(key->len);
	if (!material || !read_all(fd, material, key->len) || memcmp(material, key->material, key->len))
		return 0; /* another profile under this name */
	auto_free struct sock_filter *f = malloc(h.count * sizeof(*f));
	if (!f || !read_all(fd, f, h.count * sizeof(*f)))
		return 0;
	struct hash128 sum;
	sum_entry(material, key->len, f, (unsigned short)h.count, &sum);
	if (sum.hi != h.sum_hi || sum.lo != h.sum_lo)
		return 0;
	*filter = pith_steal_ptr(&f);
	*len = (unsigned short)h.count;
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

void seccomp_cache_store(const char *state_root, const struct seccomp_cache_key *key,
			 const struct sock_filter *filter, unsigned short len)
{
	if (!key->material || len == 0 || len > BPF_MAXINSNS)
		return;
	auto_fd dir = open_cache_dir(state_root, true);
	if (dir < 0)
		return;
	struct cache_header h = { .magic = CACHE_MAGIC, .format = CACHE_FORMAT, .count = len,
				  .material_len = (uint32_t)key->len };
	struct hash128 sum;
	sum_entry(key->material, key->len, filter, len, &sum);
	h.sum_hi = sum.hi;
	h.sum_lo = sum.lo;

	char tmp[96];
	snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld", key->name, (long)getpid());
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct iovec iov[3] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = key->material, .iov_len = key->len },
		{ .iov_base = (void *)filter, .iov_len = (size_t)len * sizeof(*filter) },
	};
	/* 0600 whatever the umask: entry_sane wants exactly that */
	bool ok = fchmod(fd, 0600) == 0 && write_all(fd, iov, 3);
	/* No fsync: a torn entry after a crash fails validation and is rebuilt. */
	if (close(fd) < 0)
		ok = false;
	if (!ok || renameat(dir, tmp, dir, key->name) < 0)
		unlinkat(dir, tmp, 0);
}
