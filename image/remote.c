/* A registry repository seen through the source interface manifest.c and unpack.c read
 * from, so a pull plans and unpacks exactly as a load does:
 *   index.json            one descriptor: the manifest the reference names (fetched first)
 *   blobs/sha256/<hex>    a manifest an index lists (manifests/ endpoint), or a blob
 *                         (blobs/ endpoint), or what the store already holds (no GET).
 * Every byte handed out is verified by the reader, as for a layout on disk. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pull.h"

#define MANIFEST_MAX (4u << 20)
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BLOBS "blobs/sha256/"

struct cached {
	char digest[DIGEST_LEN];
	char *body;
	size_t len;
};

struct remote {
	struct registry *reg;
	struct store *st;
	pthread_mutex_t lock;
	char *index;              /* the synthesised index.json */
	struct cached *manifests;
	size_t nmanifests;
	json_t *children;         /* digest -> true: manifests an index lists */
	json_t *sizes;            /* digest -> size, from the manifests seen */
};

enum stream_kind { FROM_MEMORY, FROM_STORE, FROM_REGISTRY };
struct remote_stream {
	enum stream_kind kind;
	const char *mem;
	size_t len, pos;
	int fd;
	struct fetch *fetch;
};

/* What a manifest tells the reader to come: child manifests and blob sizes (locked). */
static void learn(struct remote *r, const char *body, size_t len)
{
	json_t *m = json_loadb(body, len, 0, NULL);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(m, "manifests"), i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		if (digest)
			json_object_set_new(r->children, digest, json_true());
	}
	json_t *config = json_object_get(m, "config");
	json_array_foreach(json_object_get(m, "layers"), i, d)
		if (json_string_value(json_object_get(d, "digest")) && json_is_integer(json_object_get(d, "size")))
			json_object_set(r->sizes, json_string_value(json_object_get(d, "digest")), json_object_get(d, "size"));
	if (json_string_value(json_object_get(config, "digest")) && json_is_integer(json_object_get(config, "size")))
		json_object_set(r->sizes, json_string_value(json_object_get(config, "digest")), json_object_get(config, "size"));
	json_decref(m);
}

static struct cached *cache_find(struct remote *r, const char *digest)
{
	for (size_t i = 0; i < r->nmanifests; i++)
		if (strcmp(r->manifests[i].digest, digest) == 0)
			return &r->manifests[i];
	return NULL;
}

/* Takes body (locked). */
static struct cached *cache_add(struct remote *r, const char *digest, char *body, size_t len)
{
	struct cached *m = realloc(r->manifests, (r->nmanifests + 1) * sizeof(*m));
	if (!m) {
		free(body);
		return NULL;
	}
	r->manifests = m;
	m = &r->manifests[r->nmanifests++];
	snprintf(m->digest, sizeof(m->digest), "%s", digest);
	m->body = body;
	m->len = len;
	learn(r, body, len);
	return m;
}

static int from_store(struct remote *r, const char *digest, struct remote_stream *s)
{
	char path[128];
	snprintf(path, sizeof(path), BLOBS "%s", digest + 7);
	s->fd = openat(r->st->fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	s->kind = FROM_STORE;
	return s->fd >= 0 ? 0 : -1;
}

/* A manifest an index lists: from the store when there, else the manifests/ endpoint. */
static int child_manifest(struct remote *r, const char *digest, struct cached **out, struct pith_error *err)
{
	char *body = NULL;
	size_t len = 0;
	char path[128];
	snprintf(path, sizeof(path), BLOBS "%s", digest + 7);
	struct source in_store = { .dirfd = r->st->fd };
	int rc = 0;
	if (source_read_small(&in_store, path, &body, &len, err) < 0) {
		struct fetch *f = NULL;
		rc = fetch_open(r->reg, "manifests", digest, -1, &f, err);
		if (rc == 0)
			rc = fetch_all(f, MANIFEST_MAX, &body, &len, err);
		fetch_close(f);
		if (rc < 0)
			return rc;
	}
	pthread_mutex_lock(&r->lock);
	*out = cache_add(r, digest, body, len);
	pthread_mutex_unlock(&r->lock);
	return *out ? 0 : pith_fail(err, ENOMEM, "%s", digest);
}

static int open_blob(struct remote *r, const char *digest, struct remote_stream *s, struct pith_error *err)
{
	pthread_mutex_lock(&r->lock);
	struct cached *m = cache_find(r, digest);
	bool child = json_object_get(r->children, digest) != NULL;
	json_t *size = json_object_get(r->sizes, digest);
	int64_t n = json_is_integer(size) ? json_integer_value(size) : -1;
	pthread_mutex_unlock(&r->lock);
	if (!m && child) {
		int rc = child_manifest(r, digest, &m, err);
		if (rc < 0)
			return rc;
	}
	if (m) {
		s->kind = FROM_MEMORY;
		s->mem = m->body;
		s->len = m->len;
		return 0;
	}
	if (from_store(r, digest, s) == 0)
		return 0;
	s->kind = FROM_REGISTRY;
	return fetch_open(r->reg, "blobs", digest, n, &s->fetch, err);
}

static int stream_open(void *cookie, const char *path, struct source_stream *ss, struct pith_error *err)
{
	struct remote *r = cookie;
	struct remote_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return pith_fail(err, ENOMEM, "%s", path);
	s->fd = -1;
	int rc;
	if (strcmp(path, "index.json") == 0) {
		s->kind = FROM_MEMORY;
		s->mem = r->index;
		s->len = strlen(r->index);
		rc = 0;
	} else if (strncmp(path, BLOBS, strlen(BLOBS)) == 0) {
		char digest[DIGEST_LEN];
		snprintf(digest, sizeof(digest), "sha256:%s", path + strlen(BLOBS));
		rc = digest_valid(digest) ? open_blob(r, digest, s, err)
					  : pith_fail(err, ENOENT, "%s: not a blob name", path);
	} else {
		rc = -ENOENT;   /* quietly: manifest.c probes for a docker archive's manifest.json */
		pith_fail(err, ENOENT, "%s: a registry has no such file", path);
	}
	if (rc < 0) {
		free(s);
		return rc;
	}
	ss->stream = s;
	return 0;
}

static ssize_t stream_read(void *stream, void *buf, size_t n, struct pith_error *err)
{
	struct remote_stream *s = stream;
	if (s->kind == FROM_REGISTRY)
		return fetch_read(s->fetch, buf, n, err);
	if (s->kind == FROM_STORE) {
		ssize_t got;
		do
			got = read(s->fd, buf, n);
		while (got < 0 && errno == EINTR);
		return got < 0 ? pith_fail(err, errno, "store blob") : got;
	}
	size_t k = s->len - s->pos < n ? s->len - s->pos : n;
	memcpy(buf, s->mem + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

static void stream_close(void *stream)
{
	struct remote_stream *s = stream;
	if (s->fd >= 0)
		close(s->fd);
	fetch_close(s->fetch);
	free(s);
}

static const struct source_ops remote_ops = { stream_open, stream_read, stream_close };

/* The media type a registry gave, or the one the manifest names, or the shape it has. */
static const char *media_type(const char *header, json_t *m)
{
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	if (*header && strcmp(header, "application/json") != 0 && strcmp(header, "text/plain") != 0)
		return header;
	if (mt)
		return mt;
	return json_object_get(m, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
}

/* The manifest the reference names, checked against the pinned digest and the registry's. */
static int top_manifest(struct remote *r, const struct image_ref *ref, const char *name, struct pith_error *err)
{
	struct fetch *f = NULL;
	char *body = NULL, digest[DIGEST_LEN];
	size_t len = 0;
	int rc = fetch_open(r->reg, "manifests", ref_manifest_key(ref), -1, &f, err);
	if (rc == 0)
		rc = fetch_all(f, MANIFEST_MAX, &body, &len, err);
	if (rc == 0)
		rc = digest_of(body, len, digest, err);
	json_t *m = rc == 0 ? json_loadb(body, len, 0, NULL) : NULL;
	const char *header = rc == 0 ? fetch_content_type(f) : "";
	const char *told = rc == 0 ? fetch_docker_digest(f) : "";
	if (rc == 0 && !json_is_object(m))
		rc = pith_fail(err, 0, "%s: the manifest is not a JSON object", name);
	else if (rc == 0 && (strstr(header, "distribution.manifest.v1") || json_integer_value(json_object_get(m, "schemaVersion")) == 1))
		rc = pith_fail(err, 0, "%s: a schema 1 manifest (%s): not supported, push the image again with a "
			       "current tool", name, header);
	else if (rc == 0 && *ref->digest && strcmp(ref->digest, digest) != 0)
		rc = pith_fail(err, 0, "%s: digest mismatch: the registry sent a manifest whose digest is %s", name, digest);
	else if (rc == 0 && digest_valid(told) && strcmp(told, digest) != 0)
		rc = pith_fail(err, 0, "%s: digest mismatch: Docker-Content-Digest says %s, the content is %s", name,
			       told, digest);
	json_t *index = rc == 0 ? json_pack("{s:i, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2, "manifests",
		"mediaType", media_type(header, m), "digest", digest, "size", (json_int_t)len,
		"annotations", "org.opencontainers.image.ref.name", name) : NULL;
	if (rc == 0 && !(r->index = json_dumps(index, JSON_COMPACT)))
		rc = pith_fail(err, ENOMEM, "index");
	if (rc == 0 && !cache_add(r, digest, body, len))
		rc = pith_fail(err, ENOMEM, "manifest");
	else if (rc < 0)
		free(body);
	json_decref(index);
	json_decref(m);
	fetch_close(f);
	return rc;
}

int remote_open(struct registry *reg, struct store *st, const struct image_ref *ref, const char *name,
		struct source *src, struct remote **out, struct pith_error *err)
{
	struct remote *r = calloc(1, sizeof(*r));
	if (!r)
		return pith_fail(err, ENOMEM, "remote");
	r->reg = reg;
	r->st = st;
	pthread_mutex_init(&r->lock, NULL);
	r->children = json_object();
	r->sizes = json_object();
	int rc = top_manifest(r, ref, name, err);
	if (rc < 0) {
		remote_close(r);
		return rc;
	}
	*src = (struct source){ .dirfd = -1, .ops = &remote_ops, .cookie = r };
	*out = r;
	return 0;
}

void remote_close(struct remote *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmanifests; i++)
		free(r->manifests[i].body);
	free(r->manifests);
	free(r->index);
	json_decref(r->children);
	json_decref(r->sizes);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
