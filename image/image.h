/* pith-image: OCI/Docker image archives and layouts in, a shared layer store and bundles out. */
#ifndef PITH_IMAGE_H
#define PITH_IMAGE_H

#include <limits.h>
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

/* source.c: an OCI layout directory, or a tar archive (OCI archive, docker save), or
 * something else that serves the same paths through ops (a registry: pull.h). */
struct source_stream;
struct source_ops {
	/* sets s->stream */
	int (*open)(void *cookie, const char *path, struct source_stream *s, struct pith_error *err);
	ssize_t (*read)(void *stream, void *buf, size_t n, struct pith_error *err);
	void (*close)(void *stream);
};
struct source {
	int dirfd;       /* layout directory, or -1 */
	char *archive;   /* archive path, or NULL */
	const struct source_ops *ops;  /* or NULL */
	void *cookie;
};
struct source_stream {
	struct archive *a;
	int fd;
	const struct source_ops *ops;
	void *stream;
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

/* media.c */
enum media_kind { MEDIA_NONE, MEDIA_UNKNOWN, MEDIA_INDEX, MEDIA_MANIFEST, MEDIA_SCHEMA1, MEDIA_CONFIG, MEDIA_LAYER };
enum media_kind media_kind(const char *type);
int media_manifest_kind(const char *desc_type, json_t *content, enum media_kind *kind, struct pith_error *err);

/* platform.c */
struct platform {
	char os[32], arch[32], variant[32];
};
void platform_normalize(struct platform *p);
int platform_parse(const char *text, struct platform *p, struct pith_error *err);
void platform_from_json(json_t *j, struct platform *p);
void platform_of_uname(const char *machine, struct platform *p);
void platform_of_machine(struct platform *p);
int platform_rank(const struct platform *want, const struct platform *have);
void platform_text(const struct platform *p, char *out, size_t len);

/* store.c */
struct store {
	int fd;
	int lock_fd;
	char *path;
};
/* how: LOCK_SH or LOCK_EX (see store_lock) */
int store_open(const char *path, int how, struct store *st, struct pith_error *err);
int store_lock(struct store *st, int how, struct pith_error *err);
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
bool store_bundle_recorded(struct store *st, const char *dir);
int store_ls(struct store *st, struct pith_error *err);
int store_inspect(struct store *st, const char *image, struct pith_error *err);
int store_tag(struct store *st, const char *image, const char *name, struct pith_error *err);
int store_df(struct store *st, struct pith_error *err);
int store_rm(struct store *st, const char *image, struct pith_error *err);
int store_gc(struct store *st, bool quiet, struct pith_error *err);

/* land.c: one run's layers (a pull's, a load's image), each unpacked into a temporary directory
 * of the store, then landed together: one syncfs for all of them, then each renamed into place
 * and the layers directory synced. Until then a layer above reads a layer below from its
 * temporary; a run that dies leaves only temporaries (gc removes them), never a half layer. */
#define UNPACK_TMP_MAX (PATH_MAX + 16)
struct unpack_batch {
	const struct layer_plan *layers;   /* the image's, bottom first */
	size_t n;
	char (*tmp)[UNPACK_TMP_MAX];       /* layers[i] unpacked here and not landed yet, or "" */
	struct flusher *flush;             /* early syncfs while the layers unpack (flush.c) */
	int dirfd;                         /* layers/, opened before any layer is written: its syncfs
					    * reports every writeback error since (errseq is per open file) */
};
int unpack_batch_init(struct unpack_batch *b, struct store *st, const struct layer_plan *layers, size_t n,
		      struct pith_error *err);
/* syncfs, then every temporary renamed to its layer (or removed when a run beside this one
 * landed the same layer first), then the layers directory synced */
int unpack_land(struct store *st, struct unpack_batch *b, struct pith_error *err);
/* the temporaries not landed removed (a failed run), the batch freed */
void unpack_batch_free(struct unpack_batch *b);

/* unpack.c: b->layers[index] into a temporary of the store (b->tmp[index]), verified and written
 * back but not yet durable, over layers[0..index-1] (in the store, in their temporaries, or
 * awaited) */
#define UNPACK_DEFAULT_RATIO 100
struct unpack_policy {
	uint64_t max_bytes;   /* --max-layer-bytes; the store's free space bounds it too */
	unsigned max_ratio;   /* --max-ratio: uncompressed / compressed, 0 for no limit */
	bool no_setuid;       /* --no-setuid: setuid and setgid bits off regular files */
	/* Called before the first look into a lower layer (a hardlink to a lower file): returns
	 * once layers[0..index-1] are all in the store or unpacked in the batch. For a caller that
	 * unpacks layers in parallel (pull); NULL when they are unpacked bottom-up. */
	int (*wait_lowers)(void *ctx, size_t index, struct pith_error *err);
	void *wait_ctx;
};
int unpack_layer(struct store *st, struct source *src, struct unpack_batch *b, size_t index,
		 const struct unpack_policy *policy, struct pith_error *err);
/* A layer the store has: refused when the policy would not have let it in as it is */
int unpack_check_stored(struct store *st, const struct layer_plan *layer, const struct unpack_policy *policy,
			struct pith_error *err);

/* user.c: the OCI process.user object for an image config's User, looked up under rootfd */
int image_user(int rootfd, const char *user, json_t **out, struct pith_error *err);

/* bundle.c */
struct bundle_options {
	bool tmpfs_upper;   /* the overlay's upper and work directories on a tmpfs */
	bool no_overlay;    /* copy the layers into rootfs (what is done when overlayfs refuses) */
};
int bundle_create(struct store *st, const char *image, const char *dir, char **args, int nargs,
		  char **env, int nenv, const struct bundle_options *opts, struct pith_error *err);
/* copy.c: the layers (bottom first) into rootfs, whiteouts and opaque directories applied */
int bundle_copy_layers(struct store *st, char (*chain)[DIGEST_LEN], size_t n, const char *rootfs,
		       struct pith_error *err);
int bundle_remove(struct store *st, const char *dir, struct pith_error *err);

#endif
