/* What libcurl's TLS backend needs from pith-image-pull (tls.c): with mbedTLS (the static libcurl
 * of image/curl-minimal.sh), the CAs parsed once for every connection and certificates for IP
 * addresses; with any other backend, nothing (libcurl's own CA options, set by registry.c). */
#ifndef PITH_IMAGE_TLS_H
#define PITH_IMAGE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>

struct tls_trust;

/* The CAs a registry's connections verify with: pem (len bytes, kept by the caller while the
 * trust lives) or, when NULL, the bundle file at path. Parsed at the first handshake. NULL with
 * a backend that needs none (or out of memory: libcurl's options then apply). */
struct tls_trust *tls_trust_new(const char *pem, size_t len, const char *path);
/* the parsed CAs go (the next handshake parses them again): a registry found to speak plain HTTP */
void tls_trust_drop(struct tls_trust *t);
void tls_trust_free(struct tls_trust *t);
/* verification of one easy handle's connections against t; false: nothing done (no t) */
bool tls_setup(CURL *easy, struct tls_trust *t);

#endif
