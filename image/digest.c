/* SHA-256 and size of a blob, computed while it streams (Nettle).
 *
 * Nettle, not libcrypto: libarchive already loads it, so the digest costs no library of its own.
 * With libcrypto a load's peak RSS was 9.4 MiB through EVP (its first digest brings up OpenSSL 3's
 * library context, default provider and config file) and 7.4 MiB through the low-level SHA256_*
 * calls (mapping and relocating libcrypto alone); with Nettle it is 6.0 MiB. Debian's Nettle
 * picks the CPU's SHA extensions at run time, as libcrypto does. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/sha2.h>

#include "image.h"

int digest_begin(struct digest *d, struct pith_error *err)
{
	d->size = 0;
	d->ctx = malloc(sizeof(struct sha256_ctx));
	if (!d->ctx)
		return pith_fail(err, ENOMEM, "sha256: cannot initialise");
	sha256_init(d->ctx);
	return 0;
}

void digest_update(struct digest *d, const void *buf, size_t n)
{
	sha256_update(d->ctx, n, buf);
	d->size += n;
}

void digest_end(struct digest *d, char out[DIGEST_LEN])
{
	unsigned char md[SHA256_DIGEST_SIZE];
	sha256_digest(d->ctx, sizeof(md), md);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	digest_free(d);
}

void digest_free(struct digest *d)
{
	free(d->ctx);
	d->ctx = NULL;
}

int digest_of(const void *buf, size_t n, char out[DIGEST_LEN], struct pith_error *err)
{
	struct digest d;
	int r = digest_begin(&d, err);
	if (r < 0)
		return r;
	digest_update(&d, buf, n);
	digest_end(&d, out);
	return 0;
}

bool digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int digest_verify(struct digest *d, const char *what, const char *want, int64_t want_size,
		  struct pith_error *err)
{
	uint64_t size = d->size;
	char got[DIGEST_LEN];
	digest_end(d, got);
	if (want_size >= 0 && (uint64_t)want_size != size)
		return pith_fail(err, 0, "%s: size is %" PRIu64 " bytes, the manifest says %" PRId64,
				 what, size, want_size);
	if (want && *want && strcmp(want, got) != 0)
		return pith_fail(err, 0, "%s: digest mismatch: content is %s", what, got);
	return 0;
}
