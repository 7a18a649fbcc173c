/* pith-image: OCI/Docker image archives and layouts in, a shared layer store and bundles out. */
#ifndef PITH_IMAGE_H
#define PITH_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "../runtime/error.h"

#define DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

/* digest.c: SHA-256 and byte count of a stream, checked at its end. */
struct digest {
	void *ctx;      /* SHA256_CTX */
	uint64_t size;
};
int digest_begin(struct digest *d, struct pith_error *err);
void digest_update(struct digest *d, const void *buf, size_t n);
void digest_end(struct digest *d, char out[DIGEST_LEN]); /* also frees */
void digest_free(struct digest *d);
int digest_of(const void *buf, size_t n, char out[DIGEST_LEN], struct pith_error *err);
bool digest_valid(const char *s);
/* Finish d and compare with want (and want_size unless < 0); the error names what. */
int digest_verify(struct digest *d, const char *what, const char *want, int64_t want_size,
		  struct pith_error *err);

/* source.c: an OCI layout directory, or a tar archive (OCI archive, docker save). */
struct source {
	int dirfd;       /* layout directory, or -1 */
	char *archive;   /* archive path, or NULL */
};
struct source_stream {
	struct archive *a;
	int fd;
};
int source_open(const char *spec, struct source *src, char **ref, struct pith_error *err);
void source_close(struct source *src);
int source_stream_open(struct source *src, const char *path, struct source_stream *s,
		       struct pith_error *err);
/* bytes read, 0 at the end, negative errno (err filled) on failure */
ssize_t source_stream_read(struct source_stream *s, void *buf, size_t n, struct pith_error *err);
void source_stream_close(struct source_stream *s);
bool source_has(struct source *src, const char *path);
int source_read_small(struct source *src, const char *path, char **buf, size_t *len,
		      struct pith_error *err);

/* manifest.c: what to load from a source. */
struct layer_plan {
	char *path;                 /* inside the source */
	char digest[DIGEST_LEN];    /* the blob's, as the manifest says */
	int64_t size;               /* -1 when the source does not say */
	char diff_id[DIGEST_LEN];   /* of the uncompressed tar, from the config */
	char chain_id[DIGEST_LEN];
};
struct image_plan {
	json_t *names;              /* array of names the source gives (may be empty) */
	char *manifest;             /* OCI manifest (synthesised for docker archives) */
	size_t manifest_len;
	char manifest_digest[DIGEST_LEN];
	char *config;
	size_t config_len;
	char config_digest[DIGEST_LEN];
	size_t nlayers;
	struct layer_plan *layers;
};
int manifest_plan(struct source *src, const char *ref, const char *platform,
		  struct image_plan **out, size_t *n, struct pith_error *err);
void manifest_plan_free(struct image_plan *plans, size_t n);
/* diff IDs of a config -> chain IDs (OCI image spec, layer.md) */
int manifest_chain_ids(json_t *config, char (**chain)[DIGEST_LEN], size_t *n, struct pith_error *err);
void platform_of_machine(char *os, char *arch, char *variant, size_t len);

/* store.c */
struct store {
	int fd;
	int lock_fd;
	char *path;
};
int store_open(const char *path, struct store *st, struct pith_error *err);
void store_close(struct store *st);
int store_write_atomic(int dirfd, const char *name, const void *buf, size_t len, struct pith_error *err);
int store_put_blob(struct store *st, const char *digest, const void *buf, size_t len, struct pith_error *err);
int store_get_blob(struct store *st, const char *digest, char **buf, size_t *len, struct pith_error *err);
bool store_has_layer(struct store *st, const char *chain_id);
int store_names_load(struct store *st, json_t **names, struct pith_error *err);
int store_names_save(struct store *st, json_t *names, struct pith_error *err);
/* IMAGE (name, name without :latest, manifest digest) -> manifest digest */
int store_resolve(struct store *st, const char *image, char out[DIGEST_LEN], struct pith_error *err);
/* manifest digest -> parsed config (new reference) */
int store_image_config(struct store *st, const char *manifest_digest, json_t **config, json_t **manifest,
		       struct pith_error *err);
/* rm -r of a store path, never crossing a mount */
int store_remove_tree(const char *path, struct pith_error *err);
int store_bundle_record(struct store *st, const char *dir, const char *manifest, struct pith_error *err);
int store_bundle_forget(struct store *st, const char *dir, struct pith_error *err);
int store_ls(struct store *st, struct pith_error *err);
int store_inspect(struct store *st, const char *image, struct pith_error *err);
int store_tag(struct store *st, const char *image, const char *name, struct pith_error *err);
int store_df(struct store *st, struct pith_error *err);
int store_rm(struct store *st, const char *image, struct pith_error *err);
int store_gc(struct store *st, bool quiet, struct pith_error *err);

/* unpack.c */
int unpack_layer(struct store *st, struct source *src, const struct layer_plan *layer,
		 uint64_t budget, struct pith_error *err);

/* bundle.c */
int bundle_create(struct store *st, const char *image, const char *dir, char **args, int nargs,
		  char **env, int nenv, struct pith_error *err);
int bundle_remove(struct store *st, const char *dir, struct pith_error *err);

#endif
