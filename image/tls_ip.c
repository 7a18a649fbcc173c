/* A registry named by its IP address over TLS, when libcurl's TLS is mbedTLS 2.28 (the static
 * libcurl of image/curl-minimal.sh): that mbedTLS matches the name a connection was made for only
 * against the certificate's DNS names (or its CN), never an iPAddress one, so every certificate
 * made for https://10.0.0.5:5000 (or 127.0.0.1) would fail as a name mismatch. Its verify callback
 * may clear a flag of the chain it was handed: the mismatch is cleared here only when the URL's
 * host is an IP literal and an iPAddress entry of the server's certificate holds exactly those
 * bytes. Everything else (the chain, expiry, DNS names) stays mbedTLS's decision.
 * With any other libcurl (CURL=system: OpenSSL, which matches IP addresses) this does nothing. */
#include "tls_ip.h"

#ifdef PITH_CURL_MBEDTLS
#include <arpa/inet.h>
#include <string.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

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
	mbedtls_ssl_conf_verify(config, verify_ip, easy);
	return CURLE_OK;
}

void tls_ip_setup(CURL *easy)
{
	curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, on_tls_config);
}
#else
void tls_ip_setup(CURL *easy)
{
}
#endif
