/* pith-image push SOURCE REF: one image from anything `load` reads (an OCI layout, an OCI or
 * docker archive) to a registry, for tests and air-gapped fleets. Each blob: HEAD (there
 * already: skipped), else POST an upload and PUT the bytes in one request, streamed from the
 * source; then the manifest by tag. Blobs are pushed as the source has them, so the digests
 * the manifest names stay true. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

struct request {
	const char *method;
	char url[2048];
	const char *content_type;
	const char *mem;              /* the body: memory, or */
	size_t mem_len, mem_pos;
	struct source_stream *stream; /* a source's stream */
	int64_t size;                 /* -1: chunked */
	struct pith_error *err;
	int read_failed;
	long status;
	char location[2048];
	char challenge[1024];
	char errbody[300];
	size_t errlen;
};

static size_t on_header(char *line, size_t size, size_t n, void *opaque)
{
	struct request *q = opaque;
	size_t len = size * n;
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
		q->location[0] = q->challenge[0] = 0;
	else if (len > 9 && strncasecmp(line, "location:", 9) == 0)
		http_header_value(line, len, 9, q->location, sizeof(q->location));
	else if (len > 17 && strncasecmp(line, "www-authenticate:", 17) == 0)
		http_header_value(line, len, 17, q->challenge, sizeof(q->challenge));
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	struct request *q = opaque;
	size_t len = size * n, room = sizeof(q->errbody) - 1 - q->errlen, k = len < room ? len : room;
	memcpy(q->errbody + q->errlen, data, k);
	q->errlen += k;
	q->errbody[q->errlen] = 0;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *opaque)
{
	struct request *q = opaque;
	size_t want = size * n;
	if (!q->stream) {
		size_t k = q->mem_len - q->mem_pos < want ? q->mem_len - q->mem_pos : want;
		memcpy(buf, q->mem + q->mem_pos, k);
		q->mem_pos += k;
		return k;
	}
	ssize_t got = source_stream_read(q->stream, buf, want, q->err);
	if (got < 0) {
		q->read_failed = (int)got;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

/* One request, its status in q->status; the caller decides what a status means. */
static int perform(struct registry *reg, struct request *q, unsigned *generation, struct pith_error *err)
{
	CURL *easy = curl_easy_init();
	if (!easy)
		return pith_fail(err, ENOMEM, "curl");
	registry_setup(reg, easy, q->url);
	struct curl_slist *headers = NULL;
	char *auth = registry_authorization(reg, generation), ct[160];
	if (auth)
		headers = curl_slist_append(headers, auth);
	free(auth);
	if (q->content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", q->content_type);
		headers = curl_slist_append(headers, ct);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(easy, CURLOPT_READDATA, q);
		curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->size);
	}
	q->err = err;
	q->errlen = 0;
	q->errbody[0] = 0;
	CURLcode c = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &q->status);
	curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
	if (q->read_failed)
		return q->read_failed;
	if (c != CURLE_OK)
		return pith_fail(err, 0, "%s %s: %s", q->method, q->url, curl_easy_strerror(c));
	return 0;
}

/* perform, renewing the authorisation on a 401 (a push needs the push scope) */
static int request(struct registry *reg, struct request *q, struct pith_error *err)
{
	for (int attempt = 0;; attempt++) {
		unsigned generation;
		q->mem_pos = 0;
		int r = perform(reg, q, &generation, err);
		if (r < 0 || q->status != 401 || attempt == 2 || q->stream)
			return r;
		if ((r = registry_authenticate(reg, generation, q->challenge, err)) < 0)
			return pith_wrap(err, "%s %s", q->method, q->url);
	}
}

static int unexpected(struct request *q, struct pith_error *err)
{
	return pith_fail(err, q->status == 401 || q->status == 403 ? EACCES : 0, "%s %s: HTTP %ld%s%.200s",
			 q->method, q->url, q->status, q->errlen ? ": " : "", q->errbody);
}

/* POST an upload: where to PUT the bytes (Location may be relative) */
static int start_upload(struct registry *reg, const char *digest, char *put, size_t len, struct pith_error *err)
{
	struct request q = { .method = "POST", .size = 0 };
	snprintf(q.url, sizeof(q.url), "%s/v2/%s/blobs/uploads/", registry_origin(reg), registry_ref(reg)->path);
	int r = request(reg, &q, err);
	if (r == 0 && q.status != 202)
		r = unexpected(&q, err);
	if (r == 0 && !*q.location)
		r = pith_fail(err, 0, "POST %s: no Location in the answer", q.url);
	if (r < 0)
		return r;
	bool relative = q.location[0] == '/';
	int n = snprintf(put, len, "%s%s%sdigest=%s", relative ? registry_origin(reg) : "", q.location,
			 strchr(q.location, '?') ? "&" : "?", digest);
	return n >= 0 && (size_t)n < len ? 0 : pith_fail(err, ENAMETOOLONG, "POST %s: the Location is too long", q.url);
}

static int blob_exists(struct registry *reg, const char *digest, bool *exists, struct pith_error *err)
{
	struct request q = { .method = "HEAD" };
	snprintf(q.url, sizeof(q.url), "%s/v2/%s/blobs/%s", registry_origin(reg), registry_ref(reg)->path, digest);
	int r = request(reg, &q, err);
	*exists = r == 0 && q.status == 200;
	return r < 0 ? r : q.status == 200 || q.status == 404 ? 0 : unexpected(&q, err);
}

/* A blob from memory (mem) or from the source's path; `what` names it in errors. */
static int push_blob(struct registry *reg, struct source *src, const char *path, const char *mem, size_t mem_len,
		     const char *digest, int64_t size, struct pith_error *err)
{
	bool exists;
	int r = blob_exists(reg, digest, &exists, err);
	if (r < 0 || exists)
		return r;
	struct request q = { .method = "PUT", .content_type = "application/octet-stream", .mem = mem,
			     .mem_len = mem_len, .size = mem ? (int64_t)mem_len : size };
	if ((r = start_upload(reg, digest, q.url, sizeof(q.url), err)) < 0)
		return r;
	struct source_stream s = { .fd = -1 };
	if (!mem && (r = source_stream_open(src, path, &s, err)) < 0)
		return r;
	q.stream = mem ? NULL : &s;
	r = request(reg, &q, err);
	if (r == 0 && q.status != 201)
		r = unexpected(&q, err);
	if (!mem)
		source_stream_close(&s);
	return r < 0 ? pith_wrap(err, "blob %s", digest) : 0;
}

static int push_image(struct registry *reg, struct source *src, const struct image_plan *p, const char *tag,
		      struct pith_error *err)
{
	int r = push_blob(reg, src, NULL, p->config, p->config_len, p->config_digest, (int64_t)p->config_len, err);
	for (size_t i = 0; r == 0 && i < p->nlayers; i++) {
		const struct layer_plan *l = &p->layers[i];
		r = push_blob(reg, src, l->path, NULL, 0, *l->digest ? l->digest : l->diff_id, l->size, err);
	}
	if (r < 0)
		return r;
	json_t *m = json_loadb(p->manifest, p->manifest_len, 0, NULL);
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	struct request q = { .method = "PUT", .content_type = mt ? mt : MT_OCI_MANIFEST, .mem = p->manifest,
			     .mem_len = p->manifest_len, .size = (int64_t)p->manifest_len };
	snprintf(q.url, sizeof(q.url), "%s/v2/%s/manifests/%s", registry_origin(reg), registry_ref(reg)->path, tag);
	r = request(reg, &q, err);
	json_decref(m);
	return r == 0 && q.status != 201 ? unexpected(&q, err) : r;
}

int cmd_push(struct store *st, int argc, char **argv, struct pith_error *err)
{
	struct pull_args a;
	struct image_ref ref;
	struct source src = { .dirfd = -1 };
	char *source_ref = NULL;
	int r = pull_parse_args(argc, argv, 2, &a, err);
	if (r == 0)
		r = ref_parse(a.args[1], &ref, err);
	if (r < 0) {
		free(a.insecure);
		return r;
	}
	if (r == 0 && *ref.digest)
		r = pith_fail(err, EINVAL, "%s: push to a tag, not a digest", a.args[1]);
	if (r == 0)
		r = source_open(a.args[0], &src, &source_ref, err);
	struct image_plan *plans = NULL;
	size_t n = 0;
	if (r == 0)
		r = manifest_plan(&src, source_ref, a.platform, &plans, &n, err);
	if (r == 0 && n != 1)
		r = pith_fail(err, 0, "%s holds %zu images: name one (oci:DIR:REF)", a.args[0], n);
	char name[REF_DOMAIN_MAX + REF_PATH_MAX + REF_TAG_MAX + 4];
	ref_store_name(&ref, name, sizeof(name));
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct registry *reg = NULL;
	if (r == 0)
		r = registry_open(&ref, &a.opts, NULL, &reg, err);
	if (r == 0)
		r = push_image(reg, &src, &plans[0], ref.tag, err);
	if (r == 0)
		printf("pushed %s %s\n", plans[0].manifest_digest, name);
	else
		pith_wrap(err, "push %s %s", a.args[0], name);
	registry_close(reg);
	curl_global_cleanup();
	manifest_plan_free(plans, n);
	free(source_ref);
	source_close(&src);
	free(a.insecure);
	return r;
}
