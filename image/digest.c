/* SHA-256 and size of a blob, computed while it streams (libcrypto).
 *
 * The low-level SHA256_* functions, not EVP: EVP's first digest brings up OpenSSL 3's library
 * context, default provider and config file, 2.2 MiB of resident memory (a fifth of pith-image's
 * peak during a load) for the one algorithm used here. The low-level ones use the same
 * CPU-specific code (SHA extensions, AVX2) and touch nothing else. They are deprecated in 3.0, not
 * removed; the warning is silenced here only. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "image.h"

int digest_begin(struct digest *d, struct pith_error *err)
{
	d->size = 0;
	d->ctx = malloc(sizeof(SHA256_CTX));
	if (!d->ctx || SHA256_Init(d->ctx) != 1) {
		digest_free(d);
		return pith_fail(err, ENOMEM, "sha256: cannot initialise");
	}
	return 0;
}

void digest_update(struct digest *d, const void *buf, size_t n)
{
	SHA256_Update(d->ctx, buf, n);
	d->size += n;
}

void digest_end(struct digest *d, char out[DIGEST_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_Final(md, d->ctx);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	digest_free(d);
}

void digest_free(struct digest *d)
{
	if (d->ctx)
		OPENSSL_cleanse(d->ctx, sizeof(SHA256_CTX));
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
