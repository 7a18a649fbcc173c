/* Media types: which descriptors are indexes, manifests, layers; what is refused. The types
 * are the OCI image spec's (media-types.md) and Docker's image manifest v2 schema 2 and 1,
 * written out by hand. */
#include <criterion/criterion.h>

#include <string.h>

#include "../../image/image.h"

Test(image_media, each_known_type_has_its_kind)
{
	static const struct { const char *type; enum media_kind kind; } cases[] = {
		{ "application/vnd.oci.image.index.v1+json", MEDIA_INDEX },
		{ "application/vnd.docker.distribution.manifest.list.v2+json", MEDIA_INDEX },
		{ "application/vnd.oci.image.manifest.v1+json", MEDIA_MANIFEST },
		{ "application/vnd.docker.distribution.manifest.v2+json", MEDIA_MANIFEST },
		{ "application/vnd.docker.distribution.manifest.v1+prettyjws", MEDIA_SCHEMA1 },
		{ "application/vnd.docker.distribution.manifest.v1+json", MEDIA_SCHEMA1 },
		{ "application/vnd.oci.image.config.v1+json", MEDIA_CONFIG },
		{ "application/vnd.docker.container.image.v1+json", MEDIA_CONFIG },
		{ "application/vnd.oci.image.layer.v1.tar", MEDIA_LAYER },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", MEDIA_LAYER },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", MEDIA_LAYER },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", MEDIA_LAYER },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", MEDIA_LAYER },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", MEDIA_LAYER },
		/* encrypted layers need keys this tool does not have; others are simply unknown */
		{ "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", MEDIA_UNKNOWN },
		{ "application/vnd.oci.image.layer.v1.tar+bzip2", MEDIA_UNKNOWN },
		{ "application/vnd.oci.image.manifest.v1+JSON", MEDIA_UNKNOWN },
		{ "application/json", MEDIA_UNKNOWN },
		{ "", MEDIA_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(media_kind(cases[i].type), cases[i].kind, "%s", cases[i].type);
	cr_expect_eq(media_kind(NULL), MEDIA_NONE);
}

static int kind_of(const char *desc_type, const char *content, enum media_kind *kind, struct pith_error *err)
{
	json_t *j = json_loads(content, 0, NULL);
	cr_assert_not_null(j, "%s", content);
	int r = media_manifest_kind(desc_type, j, kind, err);
	json_decref(j);
	return r;
}

#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

Test(image_media, the_descriptor_or_the_content_or_the_shape_decides)
{
	enum media_kind k;
	struct pith_error err = { 0 };
	cr_expect_eq(kind_of(OCI_INDEX, "{\"manifests\": []}", &k, &err), 0, "%s", err.msg);
	cr_expect_eq(k, MEDIA_INDEX);
	cr_expect_eq(kind_of("", "{\"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\"}", &k, &err), 0);
	cr_expect_eq(k, MEDIA_MANIFEST, "no type in the descriptor: the content's own");
	cr_expect_eq(kind_of(NULL, "{\"schemaVersion\": 2, \"manifests\": []}", &k, &err), 0);
	cr_expect_eq(k, MEDIA_INDEX, "neither says: an index has manifests");
	cr_expect_eq(kind_of(NULL, "{\"schemaVersion\": 2, \"config\": {}, \"layers\": []}", &k, &err), 0);
	cr_expect_eq(k, MEDIA_MANIFEST, "neither says: a manifest has a config");
	cr_expect_eq(kind_of(OCI_MANIFEST, "{\"mediaType\": \"" OCI_MANIFEST "\"}", &k, &err), 0, "both agree");
	cr_expect_eq(k, MEDIA_MANIFEST);
}

Test(image_media, disagreement_schema1_and_non_manifests_are_refused_by_name)
{
	enum media_kind k;
	struct pith_error err = { 0 };
	cr_expect_lt(kind_of(OCI_INDEX, "{\"mediaType\": \"" OCI_MANIFEST "\"}", &k, &err), 0);
	cr_expect_neq(strstr(err.msg, OCI_INDEX " in the descriptor, but " OCI_MANIFEST " in the content"), NULL,
		      "%s", err.msg);
	cr_expect_lt(kind_of("application/vnd.docker.distribution.manifest.v1+prettyjws", "{}", &k, &err), 0);
	cr_expect_neq(strstr(err.msg, "schema 1 is not supported"), NULL, "%s", err.msg);
	cr_expect_lt(kind_of("application/vnd.oci.image.layer.v1.tar", "{}", &k, &err), 0);
	cr_expect_neq(strstr(err.msg, "application/vnd.oci.image.layer.v1.tar: neither an image index"), NULL,
		      "%s", err.msg);
	cr_expect_lt(kind_of(NULL, "{\"schemaVersion\": 2}", &k, &err), 0);
	cr_expect_neq(strstr(err.msg, "not shaped like either"), NULL, "%s", err.msg);
}
