/* Media types of the OCI image spec and Docker's image manifest v2 schema 2: which descriptor
 * is an index, a manifest, a layer this tool unpacks, and what is refused by name (Docker's
 * schema 1, encrypted layers, anything unknown). */
#include <string.h>

#include "image.h"

static const struct { const char *type; enum media_kind kind; } media_types[] = {
	{ "application/vnd.oci.image.index.v1+json", MEDIA_INDEX },
	{ "application/vnd.docker.distribution.manifest.list.v2+json", MEDIA_INDEX },
	{ "application/vnd.oci.image.manifest.v1+json", MEDIA_MANIFEST },
	{ "application/vnd.docker.distribution.manifest.v2+json", MEDIA_MANIFEST },
	{ "application/vnd.docker.distribution.manifest.v1+json", MEDIA_SCHEMA1 },
	{ "application/vnd.docker.distribution.manifest.v1+prettyjws", MEDIA_SCHEMA1 },
	{ "application/vnd.oci.image.config.v1+json", MEDIA_CONFIG },
	{ "application/vnd.docker.container.image.v1+json", MEDIA_CONFIG },
	{ "application/vnd.oci.image.layer.v1.tar", MEDIA_LAYER },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", MEDIA_LAYER },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", MEDIA_LAYER },
	/* deprecated by the spec, still written by old tools, and the same tar streams */
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", MEDIA_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", MEDIA_LAYER },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", MEDIA_LAYER },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", MEDIA_LAYER },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", MEDIA_LAYER },
};

enum media_kind media_kind(const char *type)
{
	if (!type || !*type)
		return MEDIA_NONE;
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++)
		if (strcmp(type, media_types[i].type) == 0)
			return media_types[i].kind;
	return MEDIA_UNKNOWN;
}

/* An index or a manifest? The descriptor says, else the content's own mediaType, else its
 * shape (both fields are optional in old content); when both say, they must agree. */
int media_manifest_kind(const char *desc_type, json_t *content, enum media_kind *kind, struct pith_error *err)
{
	const char *own = json_string_value(json_object_get(content, "mediaType"));
	enum media_kind d = media_kind(desc_type), c = media_kind(own);
	if (d != MEDIA_NONE && c != MEDIA_NONE && strcmp(desc_type, own) != 0)
		return pith_fail(err, 0, "media type %s in the descriptor, but %s in the content", desc_type, own);
	*kind = d != MEDIA_NONE ? d : c;
	const char *type = d != MEDIA_NONE ? desc_type : own;
	if (*kind == MEDIA_NONE)
		*kind = json_is_array(json_object_get(content, "manifests")) ? MEDIA_INDEX
			: json_is_object(json_object_get(content, "config")) ? MEDIA_MANIFEST : MEDIA_UNKNOWN;
	if (*kind == MEDIA_SCHEMA1)
		return pith_fail(err, 0, "%s: Docker's image manifest schema 1 is not supported "
				 "(skopeo copy converts it to schema 2)", type);
	if (*kind != MEDIA_INDEX && *kind != MEDIA_MANIFEST)
		return pith_fail(err, 0, "media type %s: neither an image index nor an image manifest",
				 type ? type : "(none, and not shaped like either)");
	return 0;
}
