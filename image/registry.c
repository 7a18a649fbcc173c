/* One registry and repository: which scheme it speaks, the TLS trust for it, and the
 * Authorization header every request carries (nothing, Basic, or a Bearer token from the
 * realm its WWW-Authenticate challenge names). Shared by the transfer threads: the header
 * changes under a lock, with a generation number so that a 401 seen by several transfers at
 * once fetches one new token, not one each. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>
#include <nettle/base64.h>

#include "registry.h"
#include "tls.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define TOKEN_MAX (64u << 10)

struct registry {
	struct image_ref ref;
	const struct pull_options *opts;
	struct progress *prog;
	char origin[REF_DOMAIN_MAX + 16];     /* https://host[:port] */
	bool verify;
	bool plain_ok;
	char *ca;                             /* system bundle + the cert dir's *.crt, or NULL */
	bool ca_dir_only;                     /* no ca: libcurl's CA directory, not its bundle */
	size_t ca_len;
	char client_cert[PATH_MAX], client_key[PATH_MAX];
	struct tls_trust *trust;              /* the CAs as tls.c holds them, or NULL */
	char *basic;                          /* user:pass */
	pthread_mutex_t lock;
	/* TLS sessions and DNS answers, shared by every transfer: one full handshake per host */
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	char *authorization;                  /* "Authorization: ..." or NULL */
	unsigned generation;
	atomic_int cancelled;
};

static curl_socket_t open_cloexec(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

void registry_setup(struct registry *reg, CURL *easy, const char *url)
{
	curl_easy_setopt(easy, CURLOPT_URL, url);
	if (reg->share)
		curl_easy_setopt(easy, CURLOPT_SHARE, reg->share);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "pith-image/" PITH_VERSION);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, reg->plain_ok ? "http,https" : "https");
	/* blobs are often redirected to a CDN; never down to plain HTTP unless allowed */
	curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, reg->plain_ok ? "http,https" : "https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, reg->opts->stall_seconds);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, reg->verify ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, reg->verify ? 2L : 0L);
	if (reg->verify && tls_setup(easy, reg->trust)) {
		/* tls.c gives the connections their CAs */
	} else if (reg->ca) {
		struct curl_blob blob = { .data = reg->ca, .len = reg->ca_len, .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
	} else if (reg->ca_dir_only) {
		curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
	}
	if (*reg->client_cert) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, reg->client_cert);
		curl_easy_setopt(easy, CURLOPT_SSLKEY, reg->client_key);
	}
}

const char *registry_origin(struct registry *reg)
{
	return reg->origin;
}

const struct image_ref *registry_ref(struct registry *reg)
{
	return &reg->ref;
}

const struct pull_options *registry_options(struct registry *reg)
{
	return reg->opts;
}

struct progress *registry_progress(struct registry *reg)
{
	return reg->prog;
}

void registry_cancel(struct registry *reg)
{
	atomic_store(&reg->cancelled, 1);
}

bool registry_cancelled(struct registry *reg)
{
	return atomic_load(&reg->cancelled) != 0;
}

/* The current Authorization header line (a copy, or NULL) and its generation. */
char *registry_authorization(struct registry *reg, unsigned *generation)
{
	pthread_mutex_lock(&reg->lock);
	char *h = reg->authorization ? strdup(reg->authorization) : NULL;
	*generation = reg->generation;
	pthread_mutex_unlock(&reg->lock);
	return h;
}

/* Base64 from Nettle, which pith-image has for SHA-256 already. */
static char *base64(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	if (out) {
		base64_encode_raw(out, n, (const uint8_t *)s);
		out[BASE64_ENCODE_RAW_LENGTH(n)] = 0;
	}
	return out;
}

/* "dXNlcjpwYXNz" -> "user:pass"; NULL when it is not base64 of something with a ':' */
static char *unbase64(const char *s)
{
	size_t n = strlen(s), len = BASE64_DECODE_LENGTH(n);
	char *out = malloc(len + 1);
	struct base64_decode_ctx ctx;
	base64_decode_init(&ctx);
	if (!out || n % 4 || !base64_decode_update(&ctx, &len, (uint8_t *)out, n, s) || !base64_decode_final(&ctx))
		return free(out), NULL;
	out[len] = 0;
	if (!strchr(out, ':') || strlen(out) != len)
		return free(out), NULL;
	return out;
}

/* The hosts an auths key may name for docker.io. */
static bool same_registry(const char *key_host, const char *domain)
{
	static const char *const hub[] = { "docker.io", "index.docker.io", "registry-1.docker.io" };
	if (strcmp(key_host, domain) == 0)
		return true;
	bool k = false, d = false;
	for (size_t i = 0; i < 3; i++) {
		k |= strcmp(key_host, hub[i]) == 0;
		d |= strcmp(domain, hub[i]) == 0;
	}
	return k && d;
}

/* How well an "auths" key matches: 0 not at all, 1 the host, 1+len for host/repository
 * prefixes (podman's per-repository entries win over the host's). */
static size_t key_match(const char *key, const struct image_ref *ref)
{
	char host[REF_DOMAIN_MAX + REF_PATH_MAX];
	const char *k = strstr(key, "://") ? strstr(key, "://") + 3 : key;
	snprintf(host, sizeof(host), "%s", k);
	char *slash = strchr(host, '/');
	const char *rest = slash ? slash + 1 : "";
	if (slash)
		*slash = 0;
	if (!same_registry(host, ref->domain))
		return 0;
	/* https://index.docker.io/v1/ and host/v2/ name the host */
	if (!*rest || strcmp(rest, "v1/") == 0 || strcmp(rest, "v2/") == 0 || strcmp(rest, "v1") == 0)
		return 1;
	size_t n = strlen(rest);
	if (strncmp(ref->path, rest, n) == 0 && (ref->path[n] == 0 || ref->path[n] == '/'))
		return 1 + n;
	return 0;
}

static char *creds_from_file(const char *path, const struct image_ref *ref)
{
	json_t *j = json_load_file(path, 0, NULL);
	json_t *auths = json_object_get(j, "auths");
	const char *key;
	json_t *v;
	const char *best = NULL;
	size_t best_score = 0;
	json_object_foreach(auths, key, v) {
		size_t score = key_match(key, ref);
		const char *auth = json_string_value(json_object_get(v, "auth"));
		if (score > best_score && auth && *auth) {
			best = auth;
			best_score = score;
		}
	}
	char *creds = best ? unbase64(best) : NULL;
	json_decref(j);
	return creds;
}

/* --creds, then REGISTRY_AUTH_FILE or ${XDG_RUNTIME_DIR}/containers/auth.json (podman),
 * then ${DOCKER_CONFIG:-~/.docker}/config.json (docker). */
static char *find_creds(const struct image_ref *ref, const char *given)
{
	if (given)
		return strdup(given);
	char path[PATH_MAX];
	const char *env = getenv("REGISTRY_AUTH_FILE"), *run = getenv("XDG_RUNTIME_DIR");
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *c = NULL;
	if (env)
		c = creds_from_file(env, ref);
	else if (run && snprintf(path, sizeof(path), "%s/containers/auth.json", run) < (int)sizeof(path))
		c = creds_from_file(path, ref);
	if (!c && dc && snprintf(path, sizeof(path), "%s/config.json", dc) < (int)sizeof(path))
		c = creds_from_file(path, ref);
	else if (!c && !dc && home && snprintf(path, sizeof(path), "%s/.docker/config.json", home) < (int)sizeof(path))
		c = creds_from_file(path, ref);
	return c;
}

static int append_file(char **buf, size_t *len, const char *path, struct pith_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : pith_fail(err, errno, "%s", path);
	char chunk[8192];
	size_t n;
	int r = 0;
	while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *nb = realloc(*buf, *len + n + 2);
		if (!nb) {
			r = pith_fail(err, ENOMEM, "%s", path);
			break;
		}
		*buf = nb;
		memcpy(*buf + *len, chunk, n);
		*len += n;
	}
	if (r == 0 && ferror(f))
		r = pith_fail(err, EIO, "%s", path);
	fclose(f);
	if (r == 0 && *buf)
		(*buf)[(*len)++] = '\n';
	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* libcurl's CA bundle (its build's default), or Debian's */
static const char *system_ca_file(char out[PATH_MAX])
{
	CURL *probe = curl_easy_init();
	char *file = NULL;
	if (probe)
		curl_easy_getinfo(probe, CURLINFO_CAINFO, &file);
	snprintf(out, PATH_MAX, "%s", file ? file : SYSTEM_CA_BUNDLE);
	if (probe)
		curl_easy_cleanup(probe);
	return out;
}

/* A certs.d directory as docker and podman read it: *.crt are CAs (added to the system's),
 * NAME.cert with NAME.key is a client certificate. */
static int read_cert_dir(struct registry *reg, const char *given, struct pith_error *err)
{
	/* absolute: libcurl opens the client certificate for each connection, and the layer
	 * threads work in directories of their own (pull.c), where a relative path names nothing */
	char dir[PATH_MAX];
	if (!realpath(given, dir))
		return pith_fail(err, errno, "--cert-dir %s", given);
	DIR *d = opendir(dir);
	if (!d)
		return pith_fail(err, errno, "--cert-dir %s", given);
	char system_ca[PATH_MAX];
	int r = append_file(&reg->ca, &reg->ca_len, system_ca_file(system_ca), err);
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (ends_with(e->d_name, ".crt")) {
			r = append_file(&reg->ca, &reg->ca_len, path, err);
		} else if (ends_with(e->d_name, ".cert")) {
			snprintf(reg->client_cert, sizeof(reg->client_cert), "%s", path);
			snprintf(reg->client_key, sizeof(reg->client_key), "%.*s.key", (int)strlen(path) - 5, path);
			if (access(reg->client_key, R_OK) < 0)
				r = pith_fail(err, errno, "%s: client certificate without its key", reg->client_key);
		}
	}
	closedir(d);
	return r;
}

/* Whether libcurl has a hashed CA directory of its own (Debian's /etc/ssl/certs), so the system's
 * CAs can come from it alone: OpenSSL then reads only the issuer a server names, where the bundle
 * is parsed whole (~140 certificates, 30 ms here) before the first answer, even from a registry
 * that turns out to speak plain HTTP. */
static bool system_ca_dir(void)
{
	CURL *probe = curl_easy_init();
	char *dir = NULL;
	if (probe)
		curl_easy_getinfo(probe, CURLINFO_CAPATH, &dir);
	bool usable = dir && access(dir, R_OK | X_OK) == 0;
	if (probe)
		curl_easy_cleanup(probe);
	return usable;
}

static int find_cas(struct registry *reg, struct pith_error *err)
{
	if (reg->opts->cert_dir)
		return read_cert_dir(reg, reg->opts->cert_dir, err);
	static const char *const roots[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
	for (size_t i = 0; i < 2; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/%s", roots[i], reg->ref.domain);
		if (access(dir, F_OK) == 0)
			return read_cert_dir(reg, dir, err);
	}
	reg->ca_dir_only = system_ca_dir();
	return 0;
}

static int setup_tls(struct registry *reg, struct pith_error *err)
{
	int r = find_cas(reg, err);
	if (r == 0 && reg->verify) {
		char system_ca[PATH_MAX];
		reg->trust = tls_trust_new(reg->ca, reg->ca_len, system_ca_file(system_ca));
	}
	return r;
}

static bool named_insecure(const struct pull_options *opts, const char *domain)
{
	for (char **h = opts->insecure; h && *h; h++)
		if (strcmp(*h, domain) == 0)
			return true;
	return false;
}

/* key="value" or key=token, comma separated, after the scheme */
static void challenge_param(const char *h, const char *key, char *out, size_t len)
{
	*out = 0;
	size_t k = strlen(key);
	for (const char *p = strchr(h, ' '); p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq)
			return;
		bool match = (size_t)(eq - p) == k && strncasecmp(p, key, k) == 0;
		const char *v = eq + 1;
		size_t used = 0;
		if (*v == '"') {
			for (v++; *v && *v != '"'; v++) {
				if (*v == '\\' && v[1])
					v++;
				if (match && used + 1 < len)
					out[used++] = *v;
			}
			if (*v)
				v++;
		} else {
			for (; *v && *v != ',' && *v != ' '; v++)
				if (match && used + 1 < len)
					out[used++] = *v;
		}
		if (match) {
			out[used] = 0;
			return;
		}
		p = v;
	}
}

struct body {
	char *buf;
	size_t len;
	size_t max;
};

static size_t collect(char *data, size_t size, size_t n, void *opaque)
{
	struct body *b = opaque;
	size_t add = size * n;
	if (b->len + add > b->max)
		return 0;
	char *nb = realloc(b->buf, b->len + add + 1);
	if (!nb)
		return 0;
	b->buf = nb;
	memcpy(b->buf + b->len, data, add);
	b->len += add;
	b->buf[b->len] = 0;
	return add;
}

/* GET realm?service=..&scope=.. (with the credentials when there are some) -> token */
static int fetch_token(struct registry *reg, const char *challenge, char **header, struct pith_error *err)
{
	char realm[1024], service[256], scope[512], url[2200];
	challenge_param(challenge, "realm", realm, sizeof(realm));
	challenge_param(challenge, "service", service, sizeof(service));
	challenge_param(challenge, "scope", scope, sizeof(scope));
	if (!*realm)
		return pith_fail(err, 0, "%s: a Bearer challenge without a realm: %s", reg->origin, challenge);
	if (!*scope)
		snprintf(scope, sizeof(scope), "repository:%s:pull", reg->ref.path);
	CURL *easy = curl_easy_init();
	if (!easy)
		return pith_fail(err, ENOMEM, "curl");
	char *s = curl_easy_escape(easy, service, 0), *sc = curl_easy_escape(easy, scope, 0);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", s ? s : "",
		 sc ? sc : "");
	curl_free(s);
	curl_free(sc);
	struct body b = { .max = TOKEN_MAX };
	registry_setup(reg, easy, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &b);
	if (reg->basic) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(easy, CURLOPT_USERPWD, reg->basic);
	}
	CURLcode c = curl_easy_perform(easy);
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	int r = 0;
	json_t *j = NULL;
	if (c != CURLE_OK)
		r = pith_fail(err, 0, "token from %s: %s", realm, curl_easy_strerror(c));
	else if (status != 200)
		r = pith_fail(err, status == 401 || status == 403 ? EACCES : 0, "token from %s: HTTP %ld%s", realm,
			      status, reg->basic ? " (the credentials were refused)" : "");
	else if (!(j = json_loadb(b.buf ? b.buf : "", b.len, 0, NULL)))
		r = pith_fail(err, 0, "token from %s: the answer is not JSON", realm);
	const char *token = json_string_value(json_object_get(j, "token"));
	if (!token)
		token = json_string_value(json_object_get(j, "access_token"));
	if (r == 0 && (!token || !*token))
		r = pith_fail(err, 0, "token from %s: no token in the answer", realm);
	if (r == 0 && asprintf(header, "Authorization: Bearer %s", token) < 0)
		r = pith_fail(err, ENOMEM, "token");
	json_decref(j);
	free(b.buf);
	return r;
}

/* A 401 with this challenge came back to a request made with header generation `seen`. */
int registry_authenticate(struct registry *reg, unsigned seen, const char *challenge, struct pith_error *err)
{
	pthread_mutex_lock(&reg->lock);
	int r = 0;
	char *header = NULL;
	if (seen != reg->generation) {
		/* another transfer already renewed it */
	} else if (strncasecmp(challenge, "Bearer ", 7) == 0) {
		r = fetch_token(reg, challenge, &header, err);
	} else if (strncasecmp(challenge, "Basic", 5) == 0 && reg->basic) {
		char *b = base64(reg->basic);
		if (!b || asprintf(&header, "Authorization: Basic %s", b) < 0)
			r = pith_fail(err, ENOMEM, "credentials");
		free(b);
	} else if (strncasecmp(challenge, "Basic", 5) == 0) {
		r = pith_fail(err, EACCES, "%s asks for a user name and password (--creds USER:PASS, "
			      "auth.json or ~/.docker/config.json)", reg->ref.domain);
	} else {
		r = pith_fail(err, EACCES, "%s: unauthorized (challenge: %s)", reg->origin, *challenge ? challenge : "none");
	}
	if (r == 0 && header) {
		/* the same header again means the registry refused it */
		if (reg->authorization && strcmp(reg->authorization, header) == 0 && !strncasecmp(challenge, "Basic", 5))
			r = pith_fail(err, EACCES, "%s: the credentials were refused", reg->ref.domain);
		free(reg->authorization);
		reg->authorization = header;
		reg->generation++;
		header = NULL;
	}
	free(header);
	pthread_mutex_unlock(&reg->lock);
	return r;
}

static size_t keep_challenge(char *line, size_t size, size_t n, void *opaque)
{
	const char *key = "www-authenticate:";
	size_t len = size * n, k = strlen(key);
	if (len > k && strncasecmp(line, key, k) == 0) {
		char *out = opaque;
		const char *v = line + k;
		while (*v == ' ')
			v++;
		size_t m = len - (size_t)(v - line);
		while (m > 0 && (v[m - 1] == '\r' || v[m - 1] == '\n'))
			m--;
		snprintf(out, 1024, "%.*s", (int)m, v);
	}
	return len;
}

static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
	return size * n;
}

/* GET /v2/ on one scheme: the registry answers (any status), or why not. */
static CURLcode ping(struct registry *reg, char challenge[1024], long *status)
{
	CURL *easy = curl_easy_init();
	if (!easy)
		return CURLE_OUT_OF_MEMORY;
	char url[sizeof(reg->origin) + 8];
	snprintf(url, sizeof(url), "%s/v2/", reg->origin);
	registry_setup(reg, easy, url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, keep_challenge);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, challenge);
	CURLcode c = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(easy);
	return c;
}

/* HTTPS first; plain HTTP only for loopback and --insecure hosts, and only when the host
 * does not speak TLS at all (a certificate that fails to verify is an error, not a hint). */
static int choose_scheme(struct registry *reg, struct pith_error *err)
{
	const char *host = ref_api_host(&reg->ref);
	char challenge[1024] = "";
	long status = 0;
	snprintf(reg->origin, sizeof(reg->origin), "https://%s", host);
	CURLcode c = ping(reg, challenge, &status);
	for (int attempt = 0; c == CURLE_COULDNT_CONNECT && attempt < reg->opts->retries; attempt++) {
		unsigned ms = 250u << (attempt < 5 ? attempt : 5);
		progress_retry(reg->prog, reg->origin, attempt + 1, 0, curl_easy_strerror(c), ms);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		c = ping(reg, challenge, &status);
	}
	/* a loopback or --insecure registry may be tried in plain HTTP also on a device with no
	 * CA bundle at all (curl stops at the missing file before any handshake) */
	if ((c == CURLE_SSL_CONNECT_ERROR || c == CURLE_SSL_CACERT_BADFILE) && reg->plain_ok) {
		snprintf(reg->origin, sizeof(reg->origin), "http://%s", host);
		tls_trust_drop(reg->trust);   /* parsed for the TLS attempt; a redirect parses again */
		c = ping(reg, challenge, &status);
	}
	if (c != CURLE_OK)
		return pith_fail(err, 0, "%s/v2/: %s%s", reg->origin, curl_easy_strerror(c),
				 c == CURLE_PEER_FAILED_VERIFICATION ? " (a CA for it: --cert-dir DIR or "
				 "/etc/containers/certs.d/HOST:PORT/ca.crt)"
				 : c == CURLE_SSL_CONNECT_ERROR && !reg->plain_ok ? " (if it speaks plain HTTP: --insecure "
				 "HOST:PORT)" : "");
	if (status == 401)
		return registry_authenticate(reg, reg->generation, challenge, err);
	return 0;
}

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *opaque)
{
	struct registry *reg = opaque;
	pthread_mutex_lock(&reg->share_locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *opaque)
{
	struct registry *reg = opaque;
	pthread_mutex_unlock(&reg->share_locks[data]);
}

static void share_open(struct registry *reg)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&reg->share_locks[i], NULL);
	reg->share = curl_share_init();
	if (!reg->share)
		return;   /* only slower */
	curl_share_setopt(reg->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(reg->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(reg->share, CURLSHOPT_USERDATA, reg);
	curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(reg->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

int registry_open(const struct image_ref *ref, const struct pull_options *opts, struct progress *prog,
		  struct registry **out, struct pith_error *err)
{
	struct registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return pith_fail(err, ENOMEM, "registry");
	reg->ref = *ref;
	reg->opts = opts;
	reg->prog = prog;
	pthread_mutex_init(&reg->lock, NULL);
	share_open(reg);
	bool insecure = named_insecure(opts, ref->domain);
	reg->verify = !insecure;
	reg->plain_ok = insecure || ref_is_loopback(ref->domain);
	reg->basic = find_creds(ref, opts->creds);
	if (opts->creds && !strchr(opts->creds, ':')) {
		registry_close(reg);
		return pith_fail(err, EINVAL, "--creds: expected USER:PASSWORD");
	}
	int r = setup_tls(reg, err);
	if (r == 0)
		r = choose_scheme(reg, err);
	if (r < 0) {
		registry_close(reg);
		return r;
	}
	*out = reg;
	return 0;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	pthread_mutex_destroy(&reg->lock);
	if (reg->share)
		curl_share_cleanup(reg->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&reg->share_locks[i]);
	tls_trust_free(reg->trust);
	free(reg->ca);
	free(reg->basic);
	free(reg->authorization);
	free(reg);
}
