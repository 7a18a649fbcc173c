/* SHA-256 through the kernel's AF_ALG hash socket: the runtime links no
 * crypto library, and the kernel already has one. */
#ifndef PITH_SHA256_H
#define PITH_SHA256_H

#include <stddef.h>
#include <sys/uio.h>

#define SHA256_LEN 32

/* The digest of the concatenated pieces. 0, or a negative errno: -EAFNOSUPPORT
 * (or -ENOENT) where the kernel has no AF_ALG hash (CONFIG_CRYPTO_USER_API_HASH). */
int sha256_iov(const struct iovec *iov, int n, unsigned char out[SHA256_LEN]);

#endif
