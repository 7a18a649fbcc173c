/* When libcurl's TLS is mbedTLS 2.28 (the static libcurl of image/curl-minimal.sh), two things
 * its libcurl backend does not do the way a pull needs:
 *  - the CAs: libcurl copies a CA blob into each connection and parses it there (or the bundle
 *    file), ~140 certificates, some 30 ms and ~0.45 MiB per connection for as long as it lives,
 *    with a connection per layer. Here the CAs are parsed once, at the first handshake, and every
 *    connection of the registry verifies against that one chain (read-only while verifying).
 *  - IP addresses: that mbedTLS matches the host only against the certificate's DNS names (or its
 *    CN), never an iPAddress entry, so every certificate made for https://10.0.0.5:5000 would fail
 *    as a name mismatch. Its verify callback may clear a flag of the chain it was handed: the
 *    mismatch is cleared only when the URL's host is an IP literal and an iPAddress entry of the
 *    server's certificate holds exactly those bytes. The chain, expiry and DNS names stay mbedTLS's.
 * With any other libcurl (CURL=system: OpenSSL) this does nothing and registry.c sets libcurl's
 * CA options. */
#include "tls.h"

#ifdef PITH_CURL_MBEDTLS
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct tls_trust {
	const char *pem;
	size_t len;
	char path[4096];
	pthread_mutex_t lock;
	bool parsed;
	mbedtls_x509_crt chain;
};

struct tls_trust *tls_trust_new(const char *pem, size_t len, const char *path)
{
	struct tls_trust *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pem = pem;
	t->len = len;
	snprintf(t->path, sizeof(t->path), "%s", path ? path : "");
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void tls_trust_drop(struct tls_trust *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->parsed)
		mbedtls_x509_crt_free(&t->chain);
	t->parsed = false;
	pthread_mutex_unlock(&t->lock);
}

void tls_trust_free(struct tls_trust *t)
{
	if (!t)
		return;
	tls_trust_drop(t);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* the chain, parsed on first use: as libcurl would, a missing or unreadable bundle is
 * CURLE_SSL_CACERT_BADFILE (registry.c may then try plain HTTP) */
static CURLcode trust_chain(struct tls_trust *t, mbedtls_x509_crt **chain)
{
	CURLcode c = CURLE_OK;
	pthread_mutex_lock(&t->lock);
	if (!t->parsed) {
		mbedtls_x509_crt_init(&t->chain);
		int r;
		if (t->pem) {
			/* mbedTLS takes PEM only NUL-terminated, the NUL counted */
			char *z = malloc(t->len + 1);
			if (z) {
				memcpy(z, t->pem, t->len);
				z[t->len] = 0;
			}
			r = z ? mbedtls_x509_crt_parse(&t->chain, (unsigned char *)z, t->len + 1) : -1;
			free(z);
		} else {
			r = mbedtls_x509_crt_parse_file(&t->chain, t->path);
		}
		if (r < 0 || !t->chain.raw.p) {
			mbedtls_x509_crt_free(&t->chain);
			c = t->pem ? CURLE_SSL_CERTPROBLEM : CURLE_SSL_CACERT_BADFILE;
		} else {
			t->parsed = true;
		}
	}
	*chain = &t->chain;
	pthread_mutex_unlock(&t->lock);
	return c;
}

/* The host of the URL this connection is made for (after redirects): 4 or 16 bytes, or 0. */
static size_t url_ip(CURL *easy, unsigned char ip[16])
{
	char *url = NULL, *host = NULL;
	size_t n = 0;
	if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url)
		return 0;
	CURLU *u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		size_t len = strlen(host);
		if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
			host[len - 1] = 0;
			n = inet_pton(AF_INET6, host + 1, ip) == 1 ? 16 : 0;
		} else {
			n = inet_pton(AF_INET, host, ip) == 1 ? 4 : 0;
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return n;
}

static int verify_ip(void *opaque, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	unsigned char ip[16];
	size_t n;
	if (depth != 0 || !(*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) || !(n = url_ip(opaque, ip)))
		return 0;
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s; s = s->next)
		if ((s->buf.tag & MBEDTLS_ASN1_TAG_CLASS_MASK) == MBEDTLS_ASN1_CONTEXT_SPECIFIC &&
		    (s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == MBEDTLS_X509_SAN_IP_ADDRESS &&
		    s->buf.len == n && memcmp(s->buf.p, ip, n) == 0) {
			*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
			break;
		}
	return 0;
}

/* libcurl hands over each connection's mbedTLS config before its handshake */
static CURLcode on_tls_config(CURL *easy, void *config, void *opaque)
{
	mbedtls_x509_crt *chain;
	CURLcode c = trust_chain(opaque, &chain);
	if (c != CURLE_OK)
		return c;
	mbedtls_ssl_conf_ca_chain(config, chain, NULL);
	mbedtls_ssl_conf_verify(config, verify_ip, easy);
	return CURLE_OK;
}

bool tls_setup(CURL *easy, struct tls_trust *t)
{
	if (!t)
		return false;
	/* libcurl loads no CAs of its own: the connection gets the shared chain */
	curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, on_tls_config);
	curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, t);
	return true;
}
#else
struct tls_trust *tls_trust_new(const char *pem, size_t len, const char *path)
{
	return NULL;
}

void tls_trust_drop(struct tls_trust *t)
{
}

void tls_trust_free(struct tls_trust *t)
{
}

bool tls_setup(CURL *easy, struct tls_trust *t)
{
	return false;
}
#endif
