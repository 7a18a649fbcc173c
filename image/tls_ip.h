/* Certificates for IP addresses with every libcurl TLS backend pith-image-pull links (tls_ip.c). */
#ifndef PITH_IMAGE_TLS_IP_H
#define PITH_IMAGE_TLS_IP_H

#include <curl/curl.h>

void tls_ip_setup(CURL *easy);

#endif
