/* Image references: expectations written by hand from Docker's documented rules
 * (distribution/reference: grammar, splitDockerDomain, ParseNormalizedNamed). */
#include <criterion/criterion.h>

#include <string.h>

#include "../../image/pull.h"

static struct image_ref parsed(const char *text)
{
	struct image_ref ref;
	struct pith_error err = { 0 };
	int r = ref_parse(text, &ref, &err);
	cr_assert_eq(r, 0, "%s: %s", text, err.msg);
	return ref;
}

static void expect_name(const char *text, const char *store_name)
{
	struct image_ref ref = parsed(text);
	char name[600];
	ref_store_name(&ref, name, sizeof(name));
	cr_assert_str_eq(name, store_name, "%s -> %s, expected %s", text, name, store_name);
}

static void expect_refused(const char *text, const char *part_of_message)
{
	struct image_ref ref;
	struct pith_error err = { 0 };
	cr_assert_lt(ref_parse(text, &ref, &err), 0, "%s was accepted", text);
	cr_assert_not_null(strstr(err.msg, part_of_message), "%s: message \"%s\" lacks \"%s\"", text, err.msg,
			   part_of_message);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

Test(image_ref, official_images_live_under_library_on_docker_io)
{
	expect_name("alpine", "docker.io/library/alpine:latest");
	expect_name("alpine:3.19", "docker.io/library/alpine:3.19");
	expect_name("docker.io/alpine", "docker.io/library/alpine:latest");
	expect_name("index.docker.io/alpine", "docker.io/library/alpine:latest");
	expect_name("library/alpine", "docker.io/library/alpine:latest");
}

Test(image_ref, user_images_on_docker_io_keep_their_namespace)
{
	expect_name("bitnami/redis:7", "docker.io/bitnami/redis:7");
	expect_name("docker.io/bitnami/redis", "docker.io/bitnami/redis:latest");
	expect_name("a/b/c", "docker.io/a/b/c:latest");
}

Test(image_ref, first_component_is_a_domain_with_a_dot_a_colon_localhost_or_capitals)
{
	expect_name("mcr.microsoft.com/dotnet/runtime:8.0", "mcr.microsoft.com/dotnet/runtime:8.0");
	expect_name("localhost/app", "localhost/app:latest");
	expect_name("localhost:5000/app:1", "localhost:5000/app:1");
	expect_name("127.0.0.1:5000/base/bb:1", "127.0.0.1:5000/base/bb:1");
	expect_name("Registry/app", "Registry/app:latest");
	expect_name("[::1]:5000/app", "[::1]:5000/app:latest");
	/* a single component is never a domain: localhost:5000 alone is the image "localhost", tag 5000 */
	expect_name("localhost:5000", "docker.io/library/localhost:5000");
	struct image_ref ref = parsed("ghcr.io/org/app");
	cr_assert_str_eq(ref.domain, "ghcr.io");
	cr_assert_str_eq(ref.path, "org/app");
	cr_assert_str_eq(ref_api_host(&ref), "ghcr.io");
	cr_assert_str_eq(ref_api_host(&(struct image_ref){ .domain = "docker.io" }), "registry-1.docker.io");
}

Test(image_ref, a_digest_pins_and_wins_over_the_tag)
{
	struct image_ref ref = parsed("alpine@sha256:" D64);
	cr_assert_str_eq(ref.digest, "sha256:" D64);
	cr_assert_str_eq(ref.tag, "");
	cr_assert_str_eq(ref_manifest_key(&ref), "sha256:" D64);
	expect_name("alpine@sha256:" D64, "docker.io/library/alpine@sha256:" D64);
	ref = parsed("localhost:5000/app:1.2@sha256:" D64);
	cr_assert_str_eq(ref.tag, "1.2");
	cr_assert_str_eq(ref.domain, "localhost:5000");
	cr_assert_str_eq(ref_manifest_key(&ref), "sha256:" D64);
	expect_name("localhost:5000/app:1.2@sha256:" D64, "localhost:5000/app@sha256:" D64);
	ref = parsed("app:7");
	cr_assert_str_eq(ref_manifest_key(&ref), "7");
}

Test(image_ref, separators_between_lowercase_alphanumerics)
{
	expect_name("a_b/c__d/e.f/g--h-i", "docker.io/a_b/c__d/e.f/g--h-i:latest");
	expect_refused("a___b", "not a valid repository name");
	expect_refused("a..b", "not a valid repository name");
	expect_refused("-ab", "not a valid repository name");
	expect_refused("ab-", "not a valid repository name");
	expect_refused("a//b", "not a valid repository name");
	expect_refused("example.com/", "not a valid repository name");
	expect_refused(":tag", "no repository name");
	expect_refused("ex_ample.com/app", "not a valid registry host");
	expect_refused("example.com:/app", "not a valid registry host");
	expect_refused("-example.com/app", "not a valid registry host");
}

Test(image_ref, names_are_lowercase)
{
	expect_refused("Alpine", "must be lowercase");
	expect_refused("example.com/Org/app", "must be lowercase");
}

Test(image_ref, tags_are_word_characters_dots_and_dashes_up_to_128)
{
	expect_name("app:v1.2-rc_3", "docker.io/library/app:v1.2-rc_3");
	expect_name("app:_x", "docker.io/library/app:_x");
	expect_refused("app:.x", "not a valid tag");
	expect_refused("app:-x", "not a valid tag");
	expect_refused("app:", "not a valid tag");
	expect_refused("app:a+b", "not a valid tag");
	char tag[200] = "app:";
	memset(tag + 4, 'x', 128);
	expect_name(tag, strcat(strcpy((char[300]){ 0 }, "docker.io/library/"), tag));
	tag[4 + 128] = 'x';
	expect_refused(tag, "not a valid tag");
}

Test(image_ref, digests_are_sha256_with_64_lowercase_hex)
{
	expect_refused("app@sha512:" D64 D64, "unsupported digest algorithm");
	expect_refused("app@sha256:" "0123", "64 lowercase hex");
	expect_refused("app@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		       "64 lowercase hex");
	expect_refused("app@", "unsupported digest algorithm");
}

Test(image_ref, empty_image_ids_and_overlong_names_are_refused)
{
	expect_refused("", "must not be empty");
	expect_refused(D64, "image ID");
	char name[300] = "example.com/";
	memset(name + 12, 'a', 250);
	expect_refused(name, "longer than 255");
}

Test(image_ref, loopback_hosts)
{
	cr_assert(ref_is_loopback("localhost"));
	cr_assert(ref_is_loopback("localhost:5000"));
	cr_assert(ref_is_loopback("127.0.0.1:41234"));
	cr_assert(ref_is_loopback("[::1]:5000"));
	cr_assert_not(ref_is_loopback("localhost.example.com"));
	cr_assert_not(ref_is_loopback("127.0.0.10"));
	cr_assert_not(ref_is_loopback("docker.io"));
}
