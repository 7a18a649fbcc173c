/* pith-image pull: references, the distribution API, progress. Internal to image/. */
#ifndef PITH_IMAGE_PULL_H
#define PITH_IMAGE_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* ref.c: a Docker reference, normalised as Docker does it (distribution/reference). */
#define REF_DOMAIN_MAX 256
#define REF_PATH_MAX 256
#define REF_TAG_MAX 129
struct image_ref {
	char domain[REF_DOMAIN_MAX];   /* "docker.io", "ghcr.io", "127.0.0.1:5000" */
	char path[REF_PATH_MAX];       /* "library/alpine" */
	char tag[REF_TAG_MAX];         /* "latest" when neither tag nor digest is given */
	char digest[DIGEST_LEN];       /* "" unless pinned */
};
int ref_parse(const char *text, struct image_ref *ref, struct pith_error *err);
/* the name the store keeps: domain/path@digest when pinned, else domain/path:tag */
void ref_store_name(const struct image_ref *ref, char *out, size_t len);
/* what goes after /v2/<path>/manifests/: the digest when pinned (it wins over a tag) */
const char *ref_manifest_key(const struct image_ref *ref);
/* the host the API is served from: registry-1.docker.io for docker.io */
const char *ref_api_host(const struct image_ref *ref);
/* localhost, 127.0.0.1, [::1], with or without a port */
bool ref_is_loopback(const char *domain);

/* progress.c: per layer and total, on a terminal, as JSON lines, or nothing. */
enum progress_mode { PROGRESS_AUTO, PROGRESS_TTY, PROGRESS_JSON, PROGRESS_NONE };
struct progress;
struct progress *progress_new(enum progress_mode mode, const char *name);
void progress_layer(struct progress *p, const char *digest, int64_t size, bool present);
void progress_bytes(struct progress *p, const char *digest, uint64_t n);
void progress_layer_done(struct progress *p, const char *digest);
void progress_retry(struct progress *p, const char *url, int attempt, uint64_t offset, const char *why,
		    unsigned delay_ms);
void progress_finish(struct progress *p, const char *manifest, bool ok);
void progress_free(struct progress *p);

/* registry.c: one registry and repository, its TLS settings and credentials. */
struct pull_options {
	const char *creds;        /* "user:pass" from --creds, or NULL */
	const char *cert_dir;     /* --cert-dir, or NULL for certs.d */
	char **insecure;          /* --insecure HOST..., NULL-terminated */
	int retries;              /* attempts after the first */
	long stall_seconds;       /* no byte for this long: the connection is dead */
};
struct registry;
int registry_open(const struct image_ref *ref, const struct pull_options *opts, struct progress *prog,
		  struct registry **out, struct pith_error *err);
void registry_close(struct registry *reg);
/* Set by any worker that failed: every other transfer stops at its next read. */
void registry_cancel(struct registry *reg);

/* A GET of a manifest (kind "manifests") or blob (kind "blobs") streamed to its reader:
 * retried, resumed with Range, re-authenticated, as the registry allows. */
struct fetch;
int fetch_open(struct registry *reg, const char *kind, const char *key, int64_t size, struct fetch **out,
	       struct pith_error *err);
ssize_t fetch_read(struct fetch *f, void *buf, size_t n, struct pith_error *err);
/* a whole small body (manifests), with its Content-Type and Docker-Content-Digest */
int fetch_all(struct fetch *f, size_t max, char **buf, size_t *len, struct pith_error *err);
const char *fetch_content_type(struct fetch *f);
const char *fetch_docker_digest(struct fetch *f);
void fetch_close(struct fetch *f);

/* remote.c: a registry seen as a source (index.json + blobs/sha256/...) for manifest.c and
 * unpack.c, answering from the store what is already there. */
struct remote;
int remote_open(struct registry *reg, struct store *st, const struct image_ref *ref, const char *name,
		struct source *src, struct remote **out, struct pith_error *err);
void remote_close(struct remote *r);

/* pull.c */
struct pull_args {
	struct pull_options opts;
	const char *platform;
	int jobs;
	uint64_t budget;
	enum progress_mode progress;
	char **insecure;
	int ninsecure;
	const char *args[2];
};
/* pull's options (push takes the same), then nargs operands; a->insecure is the caller's to free */
int pull_parse_args(int argc, char **argv, int nargs, struct pull_args *a, struct pith_error *err);
int cmd_pull(struct store *st, int argc, char **argv, struct pith_error *err);

/* push.c: an image from any source load reads (one image) to a registry */
int cmd_push(struct store *st, int argc, char **argv, struct pith_error *err);

#endif
