/* pith-image: argv to one command, and the one place errors are printed. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/file.h>

#include "image.h"
#include "pull.h"

#define DEFAULT_STORE "/var/lib/pith/images"
#define DEFAULT_BUDGET (64ull << 30)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pith-image [--store DIR] COMMAND [ARGS]\n\n"
		"  load [--platform OS/ARCH[/VARIANT]] [--max-layer-bytes N] [--max-ratio N] [--no-setuid] SOURCE\n"
		"                 SOURCE: an OCI archive, a docker/podman save archive, or oci:DIR[:REF]\n"
		"  pull [--platform P] [--creds USER:PASS] [--cert-dir DIR] [--insecure HOST]...\n"
		"       [--jobs N] [--progress auto|tty|json|none] [--retries N] [--stall-timeout S] REF\n"
		"                 REF: [HOST[:PORT]/]NAME[:TAG][@sha256:...], from a registry (Docker's names);\n"
		"                 progress on a terminal goes to stderr, --progress json events to stdout\n"
		"  push [--platform P] [--creds USER:PASS] [--cert-dir DIR] [--insecure HOST] SOURCE REF\n"
		"                 one image from a SOURCE as load reads it, to a registry\n"
		"  ls             list names and the manifests they point at\n"
		"  inspect IMAGE  config, platform and layers as JSON\n"
		"  tag IMAGE NAME another name for IMAGE\n"
		"  rm IMAGE...    drop the names, then collect what nothing uses (each one\n"
		"                 not in the store is an error; the others still go)\n"
		"  df             disk used by layers and blobs\n"
		"  gc             remove blobs, layers and leftovers no name uses\n"
		"  bundle [--tmpfs-upper] [--no-overlay] [-e NAME=VALUE]... IMAGE DIR [-- CMD...]\n"
		"                 an OCI bundle with an overlay rootfs (upper on a tmpfs, or a copy)\n"
		"  bundle --rm DIR                unmount and remove it\n"
		"\n--store DIR: default " DEFAULT_STORE "\n");
}

static int load_plan(struct store *st, struct source *src, struct image_plan *p, const struct unpack_policy *policy,
		     json_t *names,
		     struct pith_error *err)
{
	struct unpack_batch b;
	int r = unpack_batch_init(&b, st, p->layers, p->nlayers, err);
	if (r == 0)
		r = store_put_blob(st, p->config_digest, p->config, p->config_len, err);
	for (size_t i = 0; r == 0 && i < p->nlayers; i++)
		r = store_has_layer(st, p->layers[i].chain_id) ? unpack_check_stored(st, &p->layers[i], policy, err)
								: unpack_layer(st, src, &b, i, policy, err);
	if (r == 0)
		r = unpack_land(st, &b, err);
	unpack_batch_free(&b);
	/* the manifest last: whatever is reachable from it is complete */
	if (r == 0)
		r = store_put_blob(st, p->manifest_digest, p->manifest, p->manifest_len, err);
	size_t i;
	json_t *n;
	json_array_foreach(p->names, i, n)
		if (r == 0)
			json_object_set_new(names, json_string_value(n), json_string(p->manifest_digest));
	if (r == 0 && json_array_size(p->names) == 0)
		json_object_set_new(names, p->manifest_digest, json_string(p->manifest_digest));
	return r;
}

/* A whole decimal (or 0x) number for OPTION, nothing after it. */
static int parse_count(const char *option, const char *text, uint64_t max, uint64_t *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (errno || end == text || *end || *text == '-' || v > max)
		return pith_fail(err, EINVAL, "load: %s %s: expected a number up to %" PRIu64, option, text, max);
	*out = v;
	return 0;
}

static int cmd_load(struct store *st, int argc, char **argv, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "max-layer-bytes", required_argument, NULL, 'm' },
		{ "max-ratio", required_argument, NULL, 'R' },
		{ "no-setuid", no_argument, NULL, 'S' },
		{ 0 },
	};
	const char *platform = NULL;
	struct unpack_policy policy = { .max_bytes = DEFAULT_BUDGET, .max_ratio = UNPACK_DEFAULT_RATIO };
	int c;
	uint64_t ratio;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'p')
			platform = optarg;
		else if (c == 'm' && parse_count("--max-layer-bytes", optarg, UINT64_MAX, &policy.max_bytes, err) < 0)
			return -1;
		else if (c == 'R' && parse_count("--max-ratio", optarg, UINT32_MAX, &ratio, err) < 0)
			return -1;
		else if (c == 'R')
			policy.max_ratio = (unsigned)ratio;
		else if (c == 'S')
			policy.no_setuid = true;
		else if (c != 'm')
			return pith_fail(err, EINVAL, "load: unknown option %s", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return pith_fail(err, EINVAL, "load: expected one SOURCE");
	struct source src;
	char *ref;
	int r = source_open(argv[optind], &src, &ref, err);
	if (r < 0)
		return r;
	struct image_plan *plans;
	size_t n;
	json_t *names = NULL;
	r = manifest_plan(&src, ref, platform, &plans, &n, err);
	if (r == 0)
		r = store_names_load(st, &names, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = load_plan(st, &src, &plans[i], &policy, names, err);
	if (r == 0)
		r = store_names_save(st, names, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		size_t k;
		json_t *v;
		printf("loaded %s", plans[i].manifest_digest);
		json_array_foreach(plans[i].names, k, v)
			printf(" %s", json_string_value(v));
		putchar('\n');
	}
	if (r < 0)
		pith_wrap(err, "load %s", argv[optind]);
	json_decref(names);
	manifest_plan_free(plans, n);
	free(ref);
	source_close(&src);
	return r;
}

static int cmd_bundle(struct store *st, int argc, char **argv, struct pith_error *err)
{
	if (argc == 3 && strcmp(argv[1], "--rm") == 0)
		return bundle_remove(st, argv[2], err);
	/* -e NAME=VALUE ... IMAGE DIR [-- CMD...] */
	char **env = calloc((size_t)argc, sizeof(*env));
	int nenv = 0, i = 1;
	struct bundle_options opts = { 0 };
	if (!env)
		return pith_fail(err, ENOMEM, "bundle");
	for (;; i++) {
		if (i + 1 < argc && strcmp(argv[i], "-e") == 0)
			env[nenv++] = argv[++i];
		else if (i < argc && strcmp(argv[i], "--tmpfs-upper") == 0)
			opts.tmpfs_upper = true;
		else if (i < argc && strcmp(argv[i], "--no-overlay") == 0)
			opts.no_overlay = true;
		else
			break;
	}
	int r;
	if (argc - i < 2 || argv[i][0] == '-' || (argc - i > 2 && strcmp(argv[i + 2], "--") != 0) ||
	    (nenv && !strchr(env[nenv - 1], '=')))
		r = pith_fail(err, EINVAL, "usage: bundle [--tmpfs-upper] [--no-overlay] [-e NAME=VALUE]... IMAGE DIR "
			      "[-- CMD...] | bundle --rm DIR");
	else if (opts.tmpfs_upper && opts.no_overlay)
		r = pith_fail(err, EINVAL, "bundle: --tmpfs-upper and --no-overlay exclude each other");
	else
		r = bundle_create(st, argv[i], argv[i + 1], argv + i + 3, argc - i > 3 ? argc - i - 3 : 0, env, nenv,
				  &opts, err);
	free(env);
	return r;
}

/* Every name given goes, even after one that is not there (the first such is
 * the error): a service's names are removed in one call, whichever exist. */
static int cmd_rm(struct store *st, int argc, char **argv, struct pith_error *err)
{
	int r = 0;
	for (int i = 1; i < argc; i++) {
		struct pith_error one = { 0 };
		if (store_rm(st, argv[i], &one) < 0 && r == 0) {
			*err = one;
			r = -1;
		}
	}
	return r;
}

static int run(const char *store_path, int argc, char **argv, struct pith_error *err)
{
	const char *cmd = argv[0];
	struct store st;
	bool shared = strcmp(cmd, "ls") == 0 || strcmp(cmd, "inspect") == 0 || strcmp(cmd, "df") == 0 ||
		      strcmp(cmd, "bundle") == 0 || strcmp(cmd, "pull") == 0;
	int r = store_open(store_path, shared ? LOCK_SH : LOCK_EX, &st, err);
	if (r < 0)
		return r;
	if (strcmp(cmd, "load") == 0)
		r = cmd_load(&st, argc, argv, err);
	else if (strcmp(cmd, "pull") == 0)
		r = cmd_pull(&st, argc, argv, err);
	else if (strcmp(cmd, "push") == 0)
		r = cmd_push(&st, argc, argv, err);
	else if (strcmp(cmd, "ls") == 0 && argc == 1)
		r = store_ls(&st, err);
	else if (strcmp(cmd, "inspect") == 0 && argc == 2)
		r = store_inspect(&st, argv[1], err);
	else if (strcmp(cmd, "rm") == 0 && argc >= 2)
		r = cmd_rm(&st, argc, argv, err);
	else if (strcmp(cmd, "tag") == 0 && argc == 3)
		r = store_tag(&st, argv[1], argv[2], err);
	else if (strcmp(cmd, "df") == 0 && argc == 1)
		r = store_df(&st, err);
	else if (strcmp(cmd, "gc") == 0 && argc == 1)
		r = store_gc(&st, false, err);
	else if (strcmp(cmd, "bundle") == 0)
		r = cmd_bundle(&st, argc, argv, err);
	else
		r = pith_fail(err, EINVAL, "unknown command or wrong arguments: %s (see --help)", cmd);
	store_close(&st);
	return r;
}

int main(int argc, char **argv)
{
	const char *store = getenv("PITH_IMAGE_STORE") ?: DEFAULT_STORE;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
			store = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "pith-image: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	struct pith_error err = { 0 };
	if (run(store, argc - i, argv + i, &err) == 0)
		return 0;
	char buf[1200];
	fprintf(stderr, "pith-image: %s\n", pith_error_text(&err, buf, sizeof(buf)));
	return 1;
}
