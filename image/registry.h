/* What the transfers (fetch.c) share with registry.c: the curl options every request of
 * one registry takes, and its Authorization header. */
#ifndef PITH_IMAGE_REGISTRY_H
#define PITH_IMAGE_REGISTRY_H

#include <curl/curl.h>

#include "pull.h"

void registry_setup(struct registry *reg, CURL *easy, const char *url);
const char *registry_origin(struct registry *reg);
const struct image_ref *registry_ref(struct registry *reg);
const struct pull_options *registry_options(struct registry *reg);
struct progress *registry_progress(struct registry *reg);
bool registry_cancelled(struct registry *reg);
/* a copy of the current "Authorization: ..." line (NULL when anonymous) and its generation */
char *registry_authorization(struct registry *reg, unsigned *generation);
/* a 401 with this challenge answered a request sent with header generation `seen` */
int registry_authenticate(struct registry *reg, unsigned seen, const char *challenge, struct pith_error *err);

/* the value of a header line, without "Name:", leading blanks and the line end */
void http_header_value(const char *line, size_t len, size_t skip, char *out, size_t outlen);

#endif
