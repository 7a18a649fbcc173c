/* mounts[]: option strings become MS_* flags, propagation, mount_setattr
 * attributes and idmap settings here, once, so the container's init only
 * issues syscalls. Options the table does not know are filesystem data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "parse_internal.h"

#ifndef MOUNT_ATTR__ATIME
#define MOUNT_ATTR__ATIME 0x00000070
#endif

/* Append an unknown option to m->data. The buffer is sized once, on the
 * first unknown option, for all options from there on. */
static int add_data(const struct pctx *c, struct spec_mount *m, size_t from, const char *opt,
		    size_t *used)
{
	if (!m->data) {
		size_t need = 1;
		for (size_t i = from; i < m->options.n; i++)
			need += strlen(m->options.v[i]) + 1;
		m->data = malloc(need);
		if (!m->data)
			return perr_oom(c);
		*used = 0;
	} else {
		m->data[(*used)++] = ',';
	}
	size_t len = strlen(opt);
	memcpy(m->data + *used, opt, len + 1);
	*used += len;
	return 0;
}

static void apply_option(struct spec_mount *m, const struct mount_opt *o)
{
	switch (o->kind) {
	case MOPT_NOP:
		break;
	case MOPT_SET:
		m->flags |= o->value;
		m->clear_flags &= ~o->value;
		break;
	case MOPT_CLEAR:
		m->clear_flags |= o->value;
		m->flags &= ~o->value;
		break;
	case MOPT_PROPAGATION:
		m->propagation = o->value; /* the last one wins, as with mount(8) */
		break;
	case MOPT_ATTR_SET:
		m->attr_set |= o->value;
		m->attr_clr &= ~(uint64_t)o->value;
		m->recursive_attrs = true;
		break;
	case MOPT_ATTR_CLR:
		m->attr_clr |= o->value;
		m->attr_set &= ~(uint64_t)o->value;
		m->recursive_attrs = true;
		break;
	case MOPT_ATTR_ATIME:
		/* atime is an enum inside MOUNT_ATTR__ATIME: the kernel wants the
		 * whole field cleared to change it. */
		m->attr_clr |= MOUNT_ATTR__ATIME;
		m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | o->value;
		m->recursive_attrs = true;
		break;
	case MOPT_BIND:
		if (m->kind != SPEC_MOUNT_RBIND)
			m->kind = SPEC_MOUNT_BIND;
		break;
	case MOPT_RBIND:
		m->kind = SPEC_MOUNT_RBIND;
		break;
	case MOPT_IDMAP:
		m->idmap = true;
		break;
	case MOPT_RIDMAP:
		m->idmap = true;
		m->idmap_recursive = true;
		break;
	case MOPT_TMPCOPYUP:
		m->tmpcopyup = true;
		break;
	}
}

static int parse_options(const struct pctx *c, struct spec_mount *m)
{
	size_t used = 0;
	for (size_t i = 0; i < m->options.n; i++) {
		const char *opt = m->options.v[i];
		const struct mount_opt *o = mount_option_lookup(opt);
		if (o)
			apply_option(m, o);
		else if (opt[0])
			TRY(add_data(c, m, i, opt, &used));
	}
	return 0;
}

static int parse_mount(const struct pctx *c, json_t *o, const struct jpath *at, struct spec_mount *m)
{
	json_t *um, *gm;
	TRY(rd_object(c, o, at));
	/* Relative destinations are allowed on Linux (relative to the rootfs). */
	TRY(f_str(c, o, at, "destination", true, &m->destination));
	if (!m->destination[0])
		return perr(c, JP_KEY(at, "destination"), "must not be empty");
	TRY(f_str(c, o, at, "type", false, &m->type));
	TRY(f_str(c, o, at, "source", false, &m->source));
	TRY(f_strv(c, o, at, "options", &m->options));
	m->kind = m->type && strcmp(m->type, "bind") == 0 ? SPEC_MOUNT_BIND : SPEC_MOUNT_FS;
	TRY(parse_options(c, m));
	um = json_object_get(o, "uidMappings");
	gm = json_object_get(o, "gidMappings");
	if (j_absent(um) != j_absent(gm))
		return perr(c, at, "uidMappings and gidMappings must be given together");
	if (!j_absent(um)) {
		TRY(parse_id_mappings(c, um, JP_KEY(at, "uidMappings"), &m->uid_mappings));
		TRY(parse_id_mappings(c, gm, JP_KEY(at, "gidMappings"), &m->gid_mappings));
		m->idmap = true; /* mappings without "idmap"/"ridmap" mean "idmap" */
	}
	if (m->idmap && m->kind == SPEC_MOUNT_FS)
		return perr(c, at, "idmapped mounts need a bind mount (type \"bind\" or option \"bind\"/\"rbind\")");
	return 0;
}

int parse_mounts(const struct pctx *c, json_t *v, const struct jpath *at, struct spec *s)
{
	TRY(rd_array(c, v, at));
	size_t n = json_array_size(v);
	s->mounts = p_calloc(c, n, sizeof(*s->mounts));
	if (!s->mounts)
		return -ENOMEM;
	s->n_mounts = n;
	for (size_t i = 0; i < n; i++)
		TRY(parse_mount(c, json_array_get(v, i), JP_IDX(at, i), &s->mounts[i]));
	return 0;
}

void mounts_release(struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct spec_mount *m = &s->mounts[i];
		free(m->options.v);
		free(m->data);
		free(m->uid_mappings.v);
		free(m->gid_mappings.v);
	}
	free(s->mounts);
	s->mounts = NULL;
	s->n_mounts = 0;
}
