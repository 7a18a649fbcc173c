/* Which manifests and blobs to load from a source: OCI and Docker v2 schema 2 manifests,
 * OCI indexes and Docker manifest lists (one platform picked), docker-save manifest.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int blob_path(const char *digest, char *out, size_t len, struct pith_error *err)
{
	if (!digest_valid(digest))
		return pith_fail(err, 0, "digest \"%s\": not a sha256 digest", digest);
	snprintf(out, len, "blobs/sha256/%s", digest + 7);
	return 0;
}

/* A descriptor's blob, read whole (JSON only) and verified. */
static int read_descriptor(struct source *src, json_t *desc, char **buf, size_t *len, char digest[DIGEST_LEN],
			   struct pith_error *err)
{
	char path[128];
	const char *want = str(desc, "digest");
	int r = blob_path(want, path, sizeof(path), err);
	if (r < 0)
		return r;
	r = source_read_small(src, path, buf, len, err);
	if (r < 0)
		return r;
	json_t *size = json_object_get(desc, "size");
	struct digest d;
	if ((r = digest_begin(&d, err)) < 0 ||
	    (digest_update(&d, *buf, *len),
	     r = digest_verify(&d, want, want, json_is_integer(size) ? json_integer_value(size) : -1, err)) < 0) {
		free(*buf);
		return r;
	}
	snprintf(digest, DIGEST_LEN, "%s", want);
	return 0;
}

static json_t *parse(const char *buf, size_t len, const char *what, struct pith_error *err)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		pith_fail(err, 0, "%s: not a JSON object (%s, line %d)", what, je.text, je.line);
	}
	return j;
}

int manifest_chain_ids(json_t *config, char (**chain)[DIGEST_LEN], size_t *n, struct pith_error *err)
{
	json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(ids))
		return pith_fail(err, 0, "image config: rootfs.diff_ids: missing");
	*n = json_array_size(ids);
	*chain = calloc(*n ? *n : 1, DIGEST_LEN);
	if (!*chain)
		return pith_fail(err, ENOMEM, "chain ids");
	for (size_t i = 0; i < *n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (!digest_valid(id)) {
			free(*chain);
			return pith_fail(err, 0, "image config: rootfs.diff_ids[%zu]: not a sha256 digest", i);
		}
		if (i == 0) {
			snprintf((*chain)[0], DIGEST_LEN, "%s", id);
			continue;
		}
		char joined[2 * DIGEST_LEN];
		int l = snprintf(joined, sizeof(joined), "%s %s", (*chain)[i - 1], id);
		int r = digest_of(joined, (size_t)l, (*chain)[i], err);
		if (r < 0) {
			free(*chain);
			return r;
		}
	}
	return 0;
}

/* The platform of a manifest (from its config), for index entries that carry none. */
static json_t *platform_from_config(struct source *src, json_t *desc, struct pith_error *err)
{
	char *buf, digest[DIGEST_LEN];
	size_t len;
	if (read_descriptor(src, desc, &buf, &len, digest, err) < 0)
		return NULL;
	json_t *m = parse(buf, len, digest, err);
	free(buf);
	if (!m)
		return NULL;
	json_t *p = NULL;
	if (read_descriptor(src, json_object_get(m, "config"), &buf, &len, digest, err) == 0) {
		p = parse(buf, len, digest, err);
		free(buf);
	}
	json_decref(m);
	return p;
}

/* The index entry for this machine (or --platform): its own platform first, else the
 * closest older variant it runs; when none fits, the error lists what the image has. */
static int pick_platform(struct source *src, json_t *index, const char *platform, json_t **pick,
			 struct pith_error *err)
{
	struct platform want;
	if (platform && platform_parse(platform, &want, err) < 0)
		return -1;
	if (!platform)
		platform_of_machine(&want);
	char seen[1024] = "";
	int best = -1;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		json_t *p = json_incref(json_object_get(d, "platform"));
		if (!json_is_object(p) || !*str(p, "architecture")) {
			json_decref(p);
			if (!(p = platform_from_config(src, d, err)))
				return -1;
		}
		struct platform have;
		platform_from_json(p, &have);
		json_decref(p);
		int rank = platform_rank(&want, &have);
		if (rank >= 0 && (best < 0 || rank < best))
			best = rank, *pick = d;
		size_t l = strlen(seen);
		char text[100];
		platform_text(&have, text, sizeof(text));
		snprintf(seen + l, sizeof(seen) - l, "%s%s", l ? ", " : "", text);
	}
	if (best >= 0)
		return 0;
	char text[100];
	platform_text(&want, text, sizeof(text));
	return pith_fail(err, 0, "no manifest for %s; the image has: %s", text, *seen ? seen : "none");
}

static int plan_layers(struct image_plan *p, json_t *config, json_t *layers, bool docker, struct pith_error *err)
{
	char (*chain)[DIGEST_LEN];
	size_t n;
	int r = manifest_chain_ids(config, &chain, &n, err);
	if (r < 0)
		return r;
	if (n != json_array_size(layers)) {
		free(chain);
		return pith_fail(err, 0, "%s: %zu layers but %zu diff_ids in the config", p->config_digest,
				 json_array_size(layers), n);
	}
	p->layers = calloc(n ? n : 1, sizeof(*p->layers));
	json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	for (size_t i = 0; p->layers && i < n; i++) {
		struct layer_plan *l = &p->layers[i];
		json_t *d = json_array_get(layers, i);
		l->size = -1;
		snprintf(l->diff_id, DIGEST_LEN, "%s", json_string_value(json_array_get(ids, i)));
		snprintf(l->chain_id, DIGEST_LEN, "%s", chain[i]);
		char path[128];
		if (docker) {
			l->path = strdup(json_string_value(d) ? json_string_value(d) : "");
		} else {
			if (media_kind(str(d, "mediaType")) != MEDIA_LAYER) {
				r = pith_fail(err, 0, "%s: layer %zu: media type \"%s\" is not a layer pith-image unpacks",
					      p->manifest_digest, i, str(d, "mediaType"));
				break;
			}
			if ((r = blob_path(str(d, "digest"), path, sizeof(path), err)) < 0)
				break;
			snprintf(l->digest, DIGEST_LEN, "%s", str(d, "digest"));
			json_t *size = json_object_get(d, "size");
			l->size = json_is_integer(size) ? json_integer_value(size) : -1;
			l->path = strdup(path);
		}
		p->nlayers++;
	}
	free(chain);
	if (!p->layers)
		return pith_fail(err, ENOMEM, "layers");
	return r;
}

static int read_config(struct source *src, struct image_plan *p, json_t *desc, json_t **config, struct pith_error *err)
{
	int r = read_descriptor(src, desc, &p->config, &p->config_len, p->config_digest, err);
	if (r < 0)
		return pith_wrap(err, "image config");
	*config = parse(p->config, p->config_len, p->config_digest, err);
	return *config ? 0 : -1;
}

static int plan_oci(struct source *src, json_t *desc, const char *platform, struct image_plan *p,
		    struct pith_error *err)
{
	int r = read_descriptor(src, desc, &p->manifest, &p->manifest_len, p->manifest_digest, err);
	if (r < 0)
		return r;
	json_t *m = parse(p->manifest, p->manifest_len, p->manifest_digest, err), *config = NULL;
	if (!m)
		return -1;
	enum media_kind kind;
	if ((r = media_manifest_kind(str(desc, "mediaType"), m, &kind, err)) < 0) {
		pith_wrap(err, "%s", p->manifest_digest);
	} else if (kind == MEDIA_INDEX) {
		json_t *pick;
		free(p->manifest);
		p->manifest = NULL;
		if ((r = pick_platform(src, m, platform, &pick, err)) == 0)
			r = plan_oci(src, pick, platform, p, err);
	} else if ((r = read_config(src, p, json_object_get(m, "config"), &config, err)) == 0) {
		r = plan_layers(p, config, json_object_get(m, "layers"), false, err);
	}
	json_decref(config);
	json_decref(m);
	return r;
}

static int plan_oci_layout(struct source *src, const char *ref, const char *platform, struct image_plan **out,
			   size_t *n, struct pith_error *err)
{
	char *buf;
	size_t len;
	int r = source_read_small(src, "index.json", &buf, &len, err);
	if (r < 0)
		return r;
	json_t *index = parse(buf, len, "index.json", err);
	free(buf);
	if (!index)
		return -1;
	json_t *list = json_object_get(index, "manifests");
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	*n = 0;
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		json_t *notes = json_object_get(d, "annotations");
		const char *tag = json_string_value(json_object_get(notes, REF_NAME));
		/* containerd, nerdctl and the .NET SDK put the full name here and only the tag in
		 * ref.name: the image is named by the full one, as docker load names it */
		const char *full = json_string_value(json_object_get(notes, CONTAINERD_NAME));
		const char *name = full ? full : tag;
		if (ref && (!tag || strcmp(tag, ref) != 0) && (!full || strcmp(full, ref) != 0))
			continue;
		struct image_plan *p = &(*out)[(*n)++];
		p->names = name ? json_pack("[s]", name) : json_array();
		if ((r = plan_oci(src, d, platform, p, err)) < 0)
			break;
	}
	json_decref(index);
	if (r == 0 && *n == 0)
		r = pith_fail(err, ENOENT, "index.json: no image%s%s", ref ? " named " : "", ref ? ref : "");
	return r;
}

/* docker save: manifest.json lists config and layer files; layers are plain tars, so an
 * OCI manifest is written for the store from what the config says. */
static int synthesise_manifest(struct image_plan *p, struct pith_error *err)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < p->nlayers; i++)
		json_array_append_new(layers, json_pack("{s:s, s:s}", "mediaType",
			"application/vnd.oci.image.layer.v1.tar", "digest", p->layers[i].diff_id));
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2,
			      "mediaType", "application/vnd.oci.image.manifest.v1+json",
			      "config", "mediaType", "application/vnd.oci.image.config.v1+json",
			      "digest", p->config_digest, "size", (json_int_t)p->config_len, "layers", layers);
	p->manifest = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	if (!p->manifest)
		return pith_fail(err, ENOMEM, "manifest");
	p->manifest_len = strlen(p->manifest);
	return digest_of(p->manifest, p->manifest_len, p->manifest_digest, err);
}

static int plan_docker(struct source *src, json_t *entry, struct image_plan *p, struct pith_error *err)
{
	const char *cfg = str(entry, "Config");
	int r = source_read_small(src, cfg, &p->config, &p->config_len, err);
	if (r < 0)
		return pith_wrap(err, "manifest.json: Config");
	if ((r = digest_of(p->config, p->config_len, p->config_digest, err)) < 0)
		return r;
	/* docker names the config by its digest: hold it to that */
	const char *base = strrchr(cfg, '/') ? strrchr(cfg, '/') + 1 : cfg;
	if (strlen(base) == 69 && strcmp(base + 64, ".json") == 0 && strncmp(base, p->config_digest + 7, 64) != 0)
		return pith_fail(err, 0, "%s: digest mismatch: content is %s", cfg, p->config_digest);
	json_t *config = parse(p->config, p->config_len, cfg, err);
	if (!config)
		return -1;
	r = plan_layers(p, config, json_object_get(entry, "Layers"), true, err);
	json_decref(config);
	return r < 0 ? r : synthesise_manifest(p, err);
}

static int plan_docker_archive(struct source *src, struct image_plan **out, size_t *n, struct pith_error *err)
{
	char *buf;
	size_t len;
	int r = source_read_small(src, "manifest.json", &buf, &len, err);
	if (r < 0)
		return r;
	json_error_t je;
	json_t *list = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!json_is_array(list)) {
		json_decref(list);
		return pith_fail(err, 0, "manifest.json: not a JSON array");
	}
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	*n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		struct image_plan *p = &(*out)[(*n)++];
		json_t *tags = json_object_get(e, "RepoTags");
		p->names = json_is_array(tags) ? json_deep_copy(tags) : json_array();
		if ((r = plan_docker(src, e, p, err)) < 0)
			break;
	}
	json_decref(list);
	return r;
}

int manifest_plan(struct source *src, const char *ref, const char *platform,
		  struct image_plan **out, size_t *n, struct pith_error *err)
{
	*out = NULL;
	*n = 0;
	int r;
	if (source_has(src, "index.json"))
		r = plan_oci_layout(src, ref, platform, out, n, err);
	else if (source_has(src, "manifest.json"))
		r = plan_docker_archive(src, out, n, err);
	else
		r = pith_fail(err, 0, "neither index.json (OCI) nor manifest.json (docker save) found");
	if (r < 0) {
		manifest_plan_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}

void manifest_plan_free(struct image_plan *plans, size_t n)
{
	for (size_t i = 0; plans && i < n; i++) {
		for (size_t j = 0; j < plans[i].nlayers; j++)
			free(plans[i].layers[j].path);
		free(plans[i].layers);
		free(plans[i].manifest);
		free(plans[i].config);
		json_decref(plans[i].names);
	}
	free(plans);
}
