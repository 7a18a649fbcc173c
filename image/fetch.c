/* One GET of a manifest or blob, pulled by its reader (libarchive in unpack.c pulls, curl
 * pushes): the reader drives a curl multi handle of its own until bytes arrive, and curl is
 * paused when more than HIGH_WATER bytes wait, so memory stays bounded whatever the link.
 *
 * A dropped connection, a stall, 5xx, 408 or 429 (after its Retry-After) is retried with
 * backoff; a blob resumes with Range from the byte it stopped at, so the reader sees one
 * unbroken stream and the digest it computes runs on across the resume. A server that
 * ignores the Range sends the blob whole again; the part already read is dropped. A 401
 * renews the token (or sends the credentials) and tries again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry.h"

/* received ahead of the reader before curl pauses (the kernel's socket buffer fills meanwhile):
 * one per layer pulled at once, so small (issue 15: a pull's peak RSS), still no slower */
#define HIGH_WATER (128u << 10)
#define ERRBODY_MAX 300
#define RETRY_AFTER_MAX 60
#define BACKOFF_MAX_MS 16000u

static const char accept_manifests[] =
	"Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
	"application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json";

struct fetch {
	struct registry *reg;
	char url[REF_DOMAIN_MAX + REF_PATH_MAX + 128];
	char key[DIGEST_LEN + REF_TAG_MAX];
	bool whole;               /* a manifest: kept whole in memory, restarted from 0, never ranged */
	size_t max;               /* for whole bodies */
	int64_t size;             /* what the manifest says, -1 when unknown */
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	unsigned generation;      /* of the Authorization header this attempt sent */
	bool running, paused, eof, too_big;
	CURLcode result;
	/* the response of this attempt */
	long status;
	bool decided, deliver, bad_range, has_range;
	uint64_t skip, range_start;
	long retry_after;
	char challenge[1024];
	char content_type[256];
	char docker_digest[DIGEST_LEN];
	char errbody[ERRBODY_MAX + 1];
	size_t errlen;
	/* bytes read, not yet handed to the reader */
	char *buf;
	size_t pos, len, cap;
	uint64_t received;        /* bytes of the body taken, over every attempt */
	uint64_t received_at_start;
	int attempts;             /* failed attempts in a row (progress resets it) */
	int total_attempts;
	double last_byte, wait_start;  /* for the stall timeout */
	int auths;
};

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void http_header_value(const char *line, size_t len, size_t skip, char *out, size_t outlen)
{
	const char *v = line + skip;
	while (v < line + len && *v == ' ')
		v++;
	size_t m = len - (size_t)(v - line);
	while (m > 0 && (v[m - 1] == '\r' || v[m - 1] == '\n' || v[m - 1] == ' '))
		m--;
	snprintf(out, outlen, "%.*s", (int)(m < outlen ? m : outlen - 1), v);
}

static bool is_header(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && strncasecmp(line, name, n) == 0;
}

/* Every response (redirects and 401s too) starts with its status line: the headers kept are
 * those of the last one. */
static size_t on_header(char *line, size_t size, size_t n, void *opaque)
{
	struct fetch *f = opaque;
	size_t len = size * n;
	char v[64];
	if (is_header(line, len, "HTTP/")) {
		f->challenge[0] = f->content_type[0] = f->docker_digest[0] = 0;
		f->has_range = false;
		f->retry_after = -1;
	} else if (is_header(line, len, "www-authenticate:")) {
		http_header_value(line, len, 17, f->challenge, sizeof(f->challenge));
	} else if (is_header(line, len, "content-type:")) {
		http_header_value(line, len, 13, f->content_type, sizeof(f->content_type));
		char *semi = strchr(f->content_type, ';');
		if (semi)
			*semi = 0;
	} else if (is_header(line, len, "docker-content-digest:")) {
		http_header_value(line, len, 22, f->docker_digest, sizeof(f->docker_digest));
	} else if (is_header(line, len, "retry-after:")) {
		http_header_value(line, len, 12, v, sizeof(v));
		char *end;
		long s = strtol(v, &end, 10);
		f->retry_after = end != v && s >= 0 ? (s > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : s) : -1;
	} else if (is_header(line, len, "content-range:")) {
		http_header_value(line, len, 14, v, sizeof(v));
		unsigned long long start;
		f->has_range = sscanf(v, "bytes %llu-", &start) == 1;
		f->range_start = start;
	}
	return len;
}

/* At the first byte of a body: is it the blob's, and from where? */
static void decide(struct fetch *f)
{
	f->decided = true;
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status == 200) {
		f->deliver = true;
		f->skip = f->received;
	} else if (f->status == 206) {
		f->bad_range = !f->has_range || f->range_start != f->received;
		f->deliver = !f->bad_range;
	}
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
	struct fetch *f = opaque;
	size_t len = size * n;
	if (!f->decided)
		decide(f);
	if (!f->deliver) {
		size_t room = ERRBODY_MAX - f->errlen, k = len < room ? len : room;
		memcpy(f->errbody + f->errlen, data, k);
		for (size_t i = f->errlen; i < f->errlen + k; i++)
			if (f->errbody[i] == '\n' || f->errbody[i] == '\r')
				f->errbody[i] = ' ';
		f->errlen += k;
		f->errbody[f->errlen] = 0;
		return len;
	}
	if (!f->whole && f->len - f->pos >= HIGH_WATER) {
		f->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	size_t drop = f->skip < len ? (size_t)f->skip : len;
	f->skip -= drop;
	data += drop;
	size_t add = len - drop;
	uint64_t limit = f->whole ? f->max : f->size >= 0 ? (uint64_t)f->size : UINT64_MAX;
	if (f->received + add > limit) {
		f->too_big = true;
		return 0;
	}
	/* what the reader took goes before the buffer grows: else a reader that never empties it
	 * exactly makes it grow by each chunk, up to the blob's size */
	if (f->pos > 0 && (f->pos == f->len || f->len + add + 1 > f->cap)) {
		memmove(f->buf, f->buf + f->pos, f->len - f->pos);
		f->len -= f->pos;
		f->pos = 0;
	}
	if (f->len + add + 1 > f->cap) {
		char *nb = realloc(f->buf, f->len + add + 1);
		if (!nb)
			return 0;
		f->buf = nb;
		f->cap = f->len + add + 1;
	}
	memcpy(f->buf + f->len, data, add);
	f->len += add;
	f->received += add;
	f->last_byte = monotonic();
	return len;
}

static int start(struct fetch *f, struct pith_error *err)
{
	if (f->running)
		curl_multi_remove_handle(f->multi, f->easy);
	f->running = false;
	if (f->whole) {
		f->received = 0;
		f->pos = f->len = 0;
	}
	curl_slist_free_all(f->headers);
	f->headers = NULL;
	char *auth = registry_authorization(f->reg, &f->generation);
	if (f->whole)
		f->headers = curl_slist_append(f->headers, accept_manifests);
	if (auth)
		f->headers = curl_slist_append(f->headers, auth);
	free(auth);
	char range[32];
	snprintf(range, sizeof(range), "%" PRIu64 "-", f->received);
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(f->easy, CURLOPT_RANGE, f->received > 0 ? range : NULL);
	f->decided = f->deliver = f->bad_range = f->has_range = f->paused = false;
	f->status = 0;
	f->skip = 0;
	f->errlen = 0;
	f->errbody[0] = f->challenge[0] = 0;
	f->retry_after = -1;
	f->received_at_start = f->received;
	f->last_byte = monotonic();
	if (curl_multi_add_handle(f->multi, f->easy) != CURLM_OK)
		return pith_fail(err, ENOMEM, "GET %s", f->url);
	f->running = true;
	return 0;
}

static bool transient(CURLcode c)
{
	switch (c) {
	case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT: case CURLE_COULDNT_CONNECT: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static int failure(struct fetch *f, struct pith_error *err)
{
	if (f->too_big)
		return pith_fail(err, EFBIG, "GET %s: more bytes than %s", f->url,
				 f->whole ? "a manifest may have" : "the manifest says");
	if (f->bad_range)
		return pith_fail(err, EPROTO, "GET %s: the server answered a Range from %" PRIu64 " with another part",
				 f->url, f->received);
	if (f->result != CURLE_OK)
		return pith_fail(err, 0, "GET %s: %s (%" PRIu64 " bytes received, %d attempts)", f->url,
				 curl_easy_strerror(f->result), f->received, f->attempts + 1);
	return pith_fail(err, f->status == 404 ? ENOENT : f->status == 401 || f->status == 403 ? EACCES : 0,
			 "GET %s: HTTP %ld%s%.200s", f->url, f->status, f->errlen ? ": " : "", f->errbody);
}

static void pause_ms(struct fetch *f, unsigned ms)
{
	for (unsigned slept = 0; slept < ms && !registry_cancelled(f->reg); slept += 100) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* The attempt is over: done, or authenticate, or back off and go again, or fail. */
static int settle(struct fetch *f, struct pith_error *err)
{
	if (!f->decided)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	bool ok_status = f->status == 200 || f->status == 206;
	bool short_body = f->size >= 0 && f->received < (uint64_t)f->size;
	if (f->result == CURLE_OK && ok_status && !f->bad_range && !short_body) {
		f->eof = true;
		return 0;
	}
	if (f->result == CURLE_OK && f->status == 401 && f->auths < 3) {
		f->auths++;
		int r = registry_authenticate(f->reg, f->generation, f->challenge, err);
		return r < 0 ? pith_wrap(err, "GET %s", f->url) : start(f, err);
	}
	bool retry = !f->too_big && !f->bad_range &&
		((f->result != CURLE_OK && transient(f->result)) ||
		 (f->result == CURLE_OK && (f->status >= 500 || f->status == 429 || f->status == 408 ||
					    (ok_status && short_body))));
	/* a link that keeps moving gets its retries back; one that trickles a byte per connection
	 * still ends, after ten times as many */
	int retries = registry_options(f->reg)->retries;
	if (f->received > f->received_at_start)
		f->attempts = 0;
	if (!retry || f->attempts >= retries || f->total_attempts >= 10 * retries)
		return failure(f, err);
	f->total_attempts++;
	unsigned ms = f->retry_after >= 0 ? (unsigned)f->retry_after * 1000u
		: (500u << (f->attempts < 5 ? f->attempts : 5));
	if (ms > BACKOFF_MAX_MS && f->retry_after < 0)
		ms = BACKOFF_MAX_MS;
	char why[96];
	if (f->result != CURLE_OK)
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(f->result));
	else if (ok_status)
		snprintf(why, sizeof(why), "the body ended early");
	else
		snprintf(why, sizeof(why), "HTTP %ld", f->status);
	f->attempts++;
	progress_retry(registry_progress(f->reg), f->url, f->attempts, f->whole ? 0 : f->received, why, ms);
	pause_ms(f, ms);
	if (registry_cancelled(f->reg))
		return pith_fail(err, ECANCELED, "GET %s: stopped, another transfer failed", f->url);
	return start(f, err);
}

/* One step: let curl move bytes (waiting up to a second for some), or settle a finished attempt. */
static int pump(struct fetch *f, struct pith_error *err)
{
	if (!f->running)
		return settle(f, err);
	int still = 0;
	if (curl_multi_perform(f->multi, &still) != CURLM_OK)
		return pith_fail(err, EIO, "GET %s: curl", f->url);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(f->multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			f->result = m->data.result;
			curl_multi_remove_handle(f->multi, f->easy);
			f->running = false;
		}
	if (!f->running || f->pos < f->len || f->paused)
		return 0;
	/* A stall is time the reader waited with no byte coming, not time it spent writing
	 * files (or blocked in another layer's syncfs) while the socket buffer filled. */
	double since = f->last_byte > f->wait_start ? f->last_byte : f->wait_start;
	if (monotonic() - since >= (double)registry_options(f->reg)->stall_seconds) {
		curl_multi_remove_handle(f->multi, f->easy);
		f->running = false;
		f->result = CURLE_OPERATION_TIMEDOUT;
		return 0;
	}
	curl_multi_poll(f->multi, NULL, 0, 250, NULL);
	return 0;
}

int fetch_open(struct registry *reg, const char *kind, const char *key, int64_t size, struct fetch **out,
	       struct pith_error *err)
{
	struct fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return pith_fail(err, ENOMEM, "fetch");
	f->reg = reg;
	f->size = size;
	f->whole = strcmp(kind, "manifests") == 0;
	snprintf(f->key, sizeof(f->key), "%s", key);
	snprintf(f->url, sizeof(f->url), "%s/v2/%s/%s/%s", registry_origin(reg), registry_ref(reg)->path, kind, key);
	f->multi = curl_multi_init();
	f->easy = curl_easy_init();
	int r = f->multi && f->easy ? 0 : pith_fail(err, ENOMEM, "curl");
	if (r == 0) {
		registry_setup(reg, f->easy, f->url);
		curl_easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(f->easy, CURLOPT_HEADERDATA, f);
		curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
		curl_easy_setopt(f->easy, CURLOPT_BUFFERSIZE, 64L << 10);
		curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_TIME, 0L);   /* pump() measures stalls */
		r = start(f, err);
	}
	if (r < 0) {
		fetch_close(f);
		return r;
	}
	*out = f;
	return 0;
}

ssize_t fetch_read(struct fetch *f, void *buf, size_t n, struct pith_error *err)
{
	f->wait_start = monotonic();
	for (;;) {
		if (f->pos < f->len) {
			size_t k = f->len - f->pos < n ? f->len - f->pos : n;
			memcpy(buf, f->buf + f->pos, k);
			f->pos += k;
			if (f->pos == f->len && f->paused) {
				f->pos = f->len = 0;
				f->paused = false;
				curl_easy_pause(f->easy, CURLPAUSE_CONT);
			}
			progress_bytes(registry_progress(f->reg), f->key, k);
			return (ssize_t)k;
		}
		if (f->eof)
			return 0;
		if (registry_cancelled(f->reg))
			return pith_fail(err, ECANCELED, "GET %s: stopped, another transfer failed", f->url);
		int r = pump(f, err);
		if (r < 0)
			return r;
	}
}

int fetch_all(struct fetch *f, size_t max, char **buf, size_t *len, struct pith_error *err)
{
	f->max = max;
	f->wait_start = monotonic();
	while (!f->eof) {
		int r = pump(f, err);
		if (r < 0)
			return r;
	}
	*buf = f->buf ? f->buf : calloc(1, 1);
	*len = f->len;
	f->buf = NULL;
	f->pos = f->len = f->cap = 0;
	return *buf ? 0 : pith_fail(err, ENOMEM, "GET %s", f->url);
}

const char *fetch_content_type(struct fetch *f)
{
	return f->content_type;
}

const char *fetch_docker_digest(struct fetch *f)
{
	return f->docker_digest;
}

const char *fetch_url(struct fetch *f)
{
	return f->url;
}

void fetch_close(struct fetch *f)
{
	if (!f)
		return;
	if (f->running)
		curl_multi_remove_handle(f->multi, f->easy);
	if (f->easy)
		curl_easy_cleanup(f->easy);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->headers);
	free(f->buf);
	free(f);
}
