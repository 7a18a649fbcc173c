/* Valid configs: the typed struct must hold what the JSON said, converted
 * (mount flags, capability masks, namespace bits, rlimits, seccomp...). */
#include <criterion/criterion.h>

#include <linux/ioprio.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../config/spec.h"

static char *unquote(const char *s)
{
	char *d = strdup(s);
	cr_assert_not_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static struct spec *load(const char *json)
{
	char *text = unquote(json);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	int r = spec_load_string(text, "config.json", &s, &err);
	cr_assert_eq(r, 0, "refused: %s\n%s", err.msg, text);
	cr_assert_not_null(s);
	free(text);
	return s;
}

#define BASE "'ociVersion':'1.0.2','root':{'path':'rootfs'}"

#define CAP(n) (UINT64_C(1) << (n))

Test(config_parse, minimal)
{
	struct spec *s = load("{" BASE "}");
	cr_assert_str_eq(s->oci_version, "1.0.2");
	cr_assert_str_eq(s->root.path, "rootfs");
	cr_assert_not(s->root.readonly);
	cr_assert_not(s->has_process);
	cr_assert_not(s->has_linux);
	cr_assert_eq(s->n_mounts, 0);
	cr_assert_null(s->hostname);
	spec_free(s);
}

Test(config_parse, versions_in_the_wild)
{
	const char *versions[] = { "1.0.2-dev", "1.3.0", "1.0", "1.1.0+dev", "1" };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		char json[128];
		snprintf(json, sizeof(json), "{'ociVersion':'%s','root':{'path':'r'}}", versions[i]);
		struct spec *s = load(json);
		cr_assert_str_eq(s->oci_version, versions[i]);
		spec_free(s);
	}
}

Test(config_parse, unknown_fields_and_nulls_are_ignored)
{
	struct spec *s = load("{" BASE ",'platform':{'os':'linux'},'x-vendor':[1,2],'process':null,"
			      "'windows':null,'linux':{'intelRdt':null,'future':{'a':1},'seccomp':null},"
			      "'annotations':null}");
	cr_assert_not(s->has_process);
	cr_assert(s->has_linux);
	cr_assert_not(s->linux_.has_seccomp);
	cr_assert_eq(s->annotations.n, 0);
	spec_free(s);
}

Test(config_parse, process_fields)
{
	struct spec *s = load(
		"{" BASE ",'process':{'terminal':true,'consoleSize':{'height':24,'width':80},"
		"'user':{'uid':1000,'gid':100,'umask':18,'additionalGids':[5,4294967295]},"
		"'args':['/bin/sh','-c','echo hi'],'env':['PATH=/bin','EMPTY='],'cwd':'/home',"
		"'noNewPrivileges':true,'apparmorProfile':'prof','oomScoreAdj':-999,"
		"'selinuxLabel':'lbl','ioPriority':{'class':'IOPRIO_CLASS_IDLE','priority':7},"
		"'scheduler':{'policy':'SCHED_FIFO','priority':10,'flags':['SCHED_FLAG_RESET_ON_FORK']},"
		"'execCPUAffinity':{'initial':'0-1','final':'1'}}}");
	const struct spec_process *p = &s->process;
	cr_assert(s->has_process);
	cr_assert(p->terminal);
	cr_assert(p->has_console_size);
	cr_assert_eq(p->console_height, 24);
	cr_assert_eq(p->console_width, 80);
	cr_assert_eq(p->user.uid, 1000);
	cr_assert_eq(p->user.gid, 100);
	cr_assert(p->user.umask.set);
	cr_assert_eq(p->user.umask.v, 18);
	cr_assert_eq(p->user.n_additional_gids, 2);
	cr_assert_eq(p->user.additional_gids[1], 4294967295u);
	cr_assert_eq(p->args.n, 3);
	cr_assert_str_eq(p->args.v[2], "echo hi");
	cr_assert_null(p->args.v[3], "args must be NULL-terminated for execve");
	cr_assert_eq(p->env.n, 2);
	cr_assert_null(p->env.v[2]);
	cr_assert_str_eq(p->cwd, "/home");
	cr_assert(p->no_new_privileges);
	cr_assert_str_eq(p->apparmor_profile, "prof");
	cr_assert(p->oom_score_adj.set);
	cr_assert_eq(p->oom_score_adj.v, -999);
	cr_assert_str_eq(p->selinux_label, "lbl");
	cr_assert(p->has_io_priority);
	cr_assert_eq(p->io_priority.class_, IOPRIO_CLASS_IDLE);
	cr_assert_eq(p->io_priority.priority, 7);
	cr_assert(p->has_scheduler);
	cr_assert_eq(p->scheduler.policy, SCHED_FIFO);
	cr_assert_eq(p->scheduler.priority.v, 10);
	cr_assert_eq(p->scheduler.flags, 1);
	cr_assert_not(p->scheduler.nice.set);
	cr_assert_str_eq(p->exec_cpu_affinity_initial, "0-1");
	cr_assert_str_eq(p->exec_cpu_affinity_final, "1");
	cr_assert_not(p->has_capabilities);
	spec_free(s);
}

Test(config_parse, absent_optional_scalars_are_not_zero)
{
	struct spec *s = load("{" BASE ",'process':{'args':['sh'],'cwd':'/','oomScoreAdj':0}}");
	cr_assert(s->process.oom_score_adj.set);
	cr_assert_eq(s->process.oom_score_adj.v, 0);
	cr_assert_not(s->process.user.umask.set);
	cr_assert_eq(s->process.env.n, 0);
	cr_assert_not(s->process.has_io_priority);
	spec_free(s);
}

Test(config_parse, capabilities_masks)
{
	struct spec *s = load("{" BASE ",'process':{'args':['sh'],'cwd':'/','capabilities':{"
			      "'bounding':['CAP_CHOWN','CAP_KILL','CAP_CHECKPOINT_RESTORE','CAP_KILL'],"
			      "'effective':['CAP_NET_BIND_SERVICE'],'permitted':['CAP_SYS_ADMIN','CAP_BPF'],"
			      "'inheritable':[],'ambient':['CAP_AUDIT_WRITE']}}}");
	const struct spec_capabilities *c = &s->process.capabilities;
	cr_assert(s->process.has_capabilities);
	cr_assert_eq(c->bounding, CAP(0) | CAP(5) | CAP(40));
	cr_assert_eq(c->effective, CAP(10));
	cr_assert_eq(c->permitted, CAP(21) | CAP(39));
	cr_assert_eq(c->inheritable, 0);
	cr_assert_eq(c->ambient, CAP(29));
	spec_free(s);
}

Test(config_parse, rlimits_including_infinity)
{
	struct spec *s = load("{" BASE ",'process':{'args':['sh'],'cwd':'/','rlimits':["
			      "{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096},"
			      "{'type':'RLIMIT_CORE','soft':18446744073709551615,'hard':18446744073709551615},"
			      "{'type':'RLIMIT_MEMLOCK','soft':9223372036854775808,'hard':18446744073709551614}]}}");
	const struct spec_process *p = &s->process;
	cr_assert_eq(p->n_rlimits, 3);
	cr_assert_eq(p->rlimits[0].resource, RLIMIT_NOFILE);
	cr_assert_str_eq(p->rlimits[0].name, "RLIMIT_NOFILE");
	cr_assert_eq(p->rlimits[0].soft, 1024);
	cr_assert_eq(p->rlimits[0].hard, 4096);
	cr_assert_eq(p->rlimits[1].resource, RLIMIT_CORE);
	cr_assert_eq(p->rlimits[1].soft, UINT64_MAX);
	cr_assert_eq(p->rlimits[1].hard, UINT64_MAX);
	cr_assert_eq(p->rlimits[2].soft, UINT64_C(9223372036854775808));
	cr_assert_eq(p->rlimits[2].hard, UINT64_C(18446744073709551614));
	spec_free(s);
}

Test(config_parse, big_integers_keep_line_numbers_and_strings)
{
	/* The re-read path must not disturb other strings or numbers. */
	struct spec *s = load("{" BASE ",'hostname':'h-18446744073709551615\\\"x','process':{'args':['sh'],"
			      "'cwd':'/','rlimits':[{'type':'RLIMIT_AS','soft':-0,'hard':18446744073709551615}],"
			      "'oomScoreAdj':-5},'linux':{'namespaces':[{'type':'uts'}]}}");
	cr_assert_str_eq(s->hostname, "h-18446744073709551615\"x");
	cr_assert_eq(s->process.rlimits[0].soft, 0);
	cr_assert_eq(s->process.rlimits[0].hard, UINT64_MAX);
	cr_assert_eq(s->process.oom_score_adj.v, -5);
	spec_free(s);
}

static const struct spec_mount *mount_at(const struct spec *s, size_t i)
{
	cr_assert_lt(i, s->n_mounts);
	return &s->mounts[i];
}

Test(config_parse, mounts_flags_and_data)
{
	struct spec *s = load(
		"{" BASE ",'mounts':["
		"{'destination':'/proc','type':'proc','source':'proc'},"
		"{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},"
		"{'destination':'/data','type':'bind','source':'/vol','options':['rbind','ro','nodev','rslave']},"
		"{'destination':'/ro','source':'/x','options':['bind','rw','suid','exec','noatime','relatime','private']},"
		"{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime','ro']},"
		"{'destination':'merged','type':'overlay','source':'overlay','options':['lowerdir=/a:/b','upperdir=/u','workdir=/w','nosuid']}"
		"]}");
	cr_assert_eq(s->n_mounts, 6);

	const struct spec_mount *m = mount_at(s, 0);
	cr_assert_str_eq(m->destination, "/proc");
	cr_assert_str_eq(m->type, "proc");
	cr_assert_eq(m->kind, SPEC_MOUNT_FS);
	cr_assert_eq(m->flags, 0);
	cr_assert_null(m->data);
	cr_assert_eq(m->options.n, 0);

	m = mount_at(s, 1);
	cr_assert_eq(m->flags, MS_NOSUID | MS_STRICTATIME);
	cr_assert_str_eq(m->data, "mode=755,size=65536k");
	cr_assert_eq(m->options.n, 4);

	m = mount_at(s, 2);
	cr_assert_eq(m->kind, SPEC_MOUNT_RBIND);
	cr_assert_eq(m->flags, MS_RDONLY | MS_NODEV);
	cr_assert_eq(m->propagation, MS_SLAVE | MS_REC);
	cr_assert_str_eq(m->source, "/vol");
	cr_assert_null(m->data);

	m = mount_at(s, 3);
	cr_assert_null(m->type);
	cr_assert_eq(m->kind, SPEC_MOUNT_BIND);
	cr_assert_eq(m->flags, MS_NOATIME | MS_RELATIME);
	cr_assert_eq(m->clear_flags, MS_RDONLY | MS_NOSUID | MS_NOEXEC);
	cr_assert_eq(m->propagation, MS_PRIVATE);

	m = mount_at(s, 4);
	cr_assert_eq(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);

	m = mount_at(s, 5);
	cr_assert_str_eq(m->destination, "merged", "relative destinations are allowed");
	cr_assert_str_eq(m->data, "lowerdir=/a:/b,upperdir=/u,workdir=/w");
	cr_assert_eq(m->flags, MS_NOSUID);
	spec_free(s);
}

Test(config_parse, mount_later_option_wins)
{
	struct spec *s = load("{" BASE ",'mounts':[{'destination':'/t','type':'tmpfs','options':"
			      "['ro','rw','nosuid','suid','dev','nodev','shared','unbindable']}]}");
	const struct spec_mount *m = mount_at(s, 0);
	cr_assert_eq(m->flags, MS_NODEV);
	cr_assert_eq(m->clear_flags, MS_RDONLY | MS_NOSUID);
	cr_assert_eq(m->propagation, MS_UNBINDABLE);
	spec_free(s);
}

Test(config_parse, mount_recursive_attrs)
{
	struct spec *s = load("{" BASE ",'mounts':["
			      "{'destination':'/a','type':'bind','source':'/a','options':['rbind','rro','rnosuid','rnodev','rnoexec','rnosymfollow']},"
			      "{'destination':'/b','type':'bind','source':'/b','options':['rbind','rrw','rsuid','rdev','rexec','rsymfollow']},"
			      "{'destination':'/c','type':'bind','source':'/c','options':['rbind','rnoatime']},"
			      "{'destination':'/d','type':'bind','source':'/d','options':['rbind','rstrictatime','rrelatime']},"
			      "{'destination':'/e','type':'bind','source':'/e','options':['rbind','nosymfollow']}]}");
	const struct spec_mount *m = mount_at(s, 0);
	cr_assert(m->recursive_attrs);
	cr_assert_eq(m->attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
					  MOUNT_ATTR_NOSYMFOLLOW);
	cr_assert_eq(m->attr_clr, 0);
	cr_assert_eq(m->flags, 0, "recursive options must not become MS_* flags");

	m = mount_at(s, 1);
	cr_assert_eq(m->attr_set, 0);
	cr_assert_eq(m->attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
					  MOUNT_ATTR_NOSYMFOLLOW);

	m = mount_at(s, 2);
	cr_assert_eq(m->attr_set, MOUNT_ATTR_NOATIME);
	cr_assert_eq(m->attr_clr, MOUNT_ATTR__ATIME, "the kernel needs the whole atime field cleared");

	m = mount_at(s, 3);
	cr_assert_eq(m->attr_set, MOUNT_ATTR_RELATIME, "the last atime mode wins");
	cr_assert_eq(m->attr_clr, MOUNT_ATTR__ATIME);

	m = mount_at(s, 4);
	cr_assert_not(m->recursive_attrs);
	cr_assert_eq(m->flags, MS_NOSYMFOLLOW);
	spec_free(s);
}

Test(config_parse, mount_idmap_and_tmpcopyup)
{
	struct spec *s = load("{" BASE ",'mounts':["
			      "{'destination':'/a','type':'bind','source':'/a','options':['idmap']},"
			      "{'destination':'/b','source':'/b','options':['rbind','ridmap'],"
			      "'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
			      "'gidMappings':[{'containerID':0,'hostID':200000,'size':1000}]},"
			      "{'destination':'/c','type':'bind','source':'/c',"
			      "'uidMappings':[{'containerID':0,'hostID':1,'size':1}],'gidMappings':[{'containerID':0,'hostID':1,'size':1}]},"
			      "{'destination':'/tmp','type':'tmpfs','source':'tmpfs','options':['tmpcopyup','defaults','']}]}");
	const struct spec_mount *m = mount_at(s, 0);
	cr_assert(m->idmap);
	cr_assert_not(m->idmap_recursive);
	cr_assert_eq(m->uid_mappings.n, 0);

	m = mount_at(s, 1);
	cr_assert(m->idmap);
	cr_assert(m->idmap_recursive);
	cr_assert_eq(m->uid_mappings.n, 1);
	cr_assert_eq(m->uid_mappings.v[0].host_id, 100000);
	cr_assert_eq(m->uid_mappings.v[0].size, 65536);
	cr_assert_eq(m->gid_mappings.v[0].host_id, 200000);

	m = mount_at(s, 2);
	cr_assert(m->idmap, "mappings without an option mean idmap");

	m = mount_at(s, 3);
	cr_assert(m->tmpcopyup);
	cr_assert_null(m->data, "known and empty options are not filesystem data");
	spec_free(s);
}

Test(config_parse, hooks)
{
	struct spec *s = load("{" BASE ",'hooks':{"
			      "'prestart':[{'path':'/bin/a'}],"
			      "'createRuntime':[{'path':'/bin/b','args':['b','1'],'env':['X=1'],'timeout':5},{'path':'/bin/c'}],"
			      "'poststop':[],'unknownKind':[{'path':'rel'}]}}");
	cr_assert_eq(s->hooks[SPEC_HOOK_PRESTART].n, 1);
	cr_assert_str_eq(s->hooks[SPEC_HOOK_PRESTART].v[0].path, "/bin/a");
	cr_assert_not(s->hooks[SPEC_HOOK_PRESTART].v[0].timeout.set);
	const struct spec_hooks *h = &s->hooks[SPEC_HOOK_CREATE_RUNTIME];
	cr_assert_eq(h->n, 2);
	cr_assert_eq(h->v[0].args.n, 2);
	cr_assert_str_eq(h->v[0].args.v[1], "1");
	cr_assert_null(h->v[0].args.v[2]);
	cr_assert_str_eq(h->v[0].env.v[0], "X=1");
	cr_assert(h->v[0].timeout.set);
	cr_assert_eq(h->v[0].timeout.v, 5);
	cr_assert_str_eq(h->v[1].path, "/bin/c");
	cr_assert_eq(s->hooks[SPEC_HOOK_POSTSTOP].n, 0);
	cr_assert_eq(s->hooks[SPEC_HOOK_POSTSTART].n, 0);
	spec_free(s);
}

Test(config_parse, annotations_and_hostname)
{
	struct spec *s = load("{" BASE ",'hostname':'box','domainname':'example.org',"
			      "'annotations':{'a':'1','org.opencontainers.x':''},"
			      "'linux':{'namespaces':[{'type':'uts'}]}}");
	cr_assert_str_eq(s->hostname, "box");
	cr_assert_str_eq(s->domainname, "example.org");
	cr_assert_eq(s->annotations.n, 2);
	cr_assert_str_eq(s->annotations.v[0].key, "a");
	cr_assert_str_eq(s->annotations.v[0].value, "1");
	cr_assert_str_eq(s->annotations.v[1].key, "org.opencontainers.x");
	cr_assert_str_eq(s->annotations.v[1].value, "");
	spec_free(s);
}

Test(config_parse, empty_hostname_needs_no_uts)
{
	struct spec *s = load("{" BASE ",'hostname':''}");
	cr_assert_str_eq(s->hostname, "");
	spec_free(s);
}

Test(config_parse, namespaces_bits)
{
	struct spec *s = load("{" BASE ",'linux':{'namespaces':["
			      "{'type':'pid'},{'type':'network','path':'/var/run/netns/a'},{'type':'mount'},"
			      "{'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},{'type':'time'}],"
			      "'timeOffsets':{'monotonic':{'secs':-10,'nanosecs':5},'boottime':{'secs':86400}}}}");
	const struct spec_linux *l = &s->linux_;
	cr_assert_eq(l->n_namespaces, 8);
	cr_assert_eq(l->new_namespaces, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
						CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME);
	cr_assert_eq(l->join_namespaces, CLONE_NEWNET);
	cr_assert_eq(l->namespaces[1].type, CLONE_NEWNET);
	cr_assert_str_eq(l->namespaces[1].name, "network");
	cr_assert_str_eq(l->namespaces[1].path, "/var/run/netns/a");
	cr_assert_null(l->namespaces[0].path);
	cr_assert(l->time_monotonic.set);
	cr_assert_eq(l->time_monotonic.secs, -10);
	cr_assert_eq(l->time_monotonic.nanosecs, 5);
	cr_assert(l->time_boottime.set);
	cr_assert_eq(l->time_boottime.secs, 86400);
	spec_free(s);
}

Test(config_parse, linux_misc)
{
	struct spec *s = load("{" BASE ",'linux':{"
			      "'namespaces':[{'type':'network'}],"
			      "'uidMappings':[{'containerID':0,'hostID':1000,'size':1},{'containerID':1,'hostID':100000,'size':65536}],"
			      "'gidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
			      "'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0},"
			      "{'path':'/dev/fifo','type':'p'}],"
			      "'cgroupsPath':'/pith/x','rootfsPropagation':'slave',"
			      "'sysctl':{'net.ipv4.ip_forward':'1'},"
			      "'maskedPaths':['/proc/kcore'],'readonlyPaths':['/proc/sys','/proc/bus'],"
			      "'mountLabel':'lbl','personality':{'domain':'LINUX32','flags':[]},"
			      "'netDevices':{'eth1':{},'dummy0':{'name':'ctr0'}}}}");
	const struct spec_linux *l = &s->linux_;
	cr_assert_eq(l->uid_mappings.n, 2);
	cr_assert_eq(l->uid_mappings.v[1].container_id, 1);
	cr_assert_eq(l->uid_mappings.v[1].host_id, 100000);
	cr_assert_eq(l->uid_mappings.v[1].size, 65536);
	cr_assert_eq(l->gid_mappings.n, 1);
	cr_assert_eq(l->n_devices, 2);
	cr_assert_eq(l->devices[0].type, 'c');
	cr_assert_eq(l->devices[0].major, 10);
	cr_assert_eq(l->devices[0].minor, 229);
	cr_assert(l->devices[0].file_mode.set);
	cr_assert_eq(l->devices[0].file_mode.v, 0666);
	cr_assert_eq(l->devices[1].type, 'p');
	cr_assert_not(l->devices[1].file_mode.set);
	cr_assert_str_eq(l->cgroups_path, "/pith/x");
	cr_assert_eq(l->rootfs_propagation, MS_SLAVE | MS_REC);
	cr_assert_eq(l->sysctl.n, 1);
	cr_assert_str_eq(l->sysctl.v[0].key, "net.ipv4.ip_forward");
	cr_assert_str_eq(l->masked_paths.v[0], "/proc/kcore");
	cr_assert_eq(l->readonly_paths.n, 2);
	cr_assert_null(l->readonly_paths.v[2]);
	cr_assert_str_eq(l->mount_label, "lbl");
	cr_assert(l->has_personality);
	cr_assert_eq(l->personality.domain, PER_LINUX32);
	cr_assert_eq(l->n_net_devices, 2);
	cr_assert_str_eq(l->net_devices[0].host_name, "eth1");
	cr_assert_str_eq(l->net_devices[0].name, "eth1");
	cr_assert_str_eq(l->net_devices[1].host_name, "dummy0");
	cr_assert_str_eq(l->net_devices[1].name, "ctr0");
	cr_assert_not(l->resources.present);
	spec_free(s);
}

Test(config_parse, rootfs_propagation_names)
{
	const struct { const char *name; unsigned long flags; } cases[] = {
		{ "shared", MS_SHARED | MS_REC }, { "rslave", MS_SLAVE | MS_REC },
		{ "private", MS_PRIVATE | MS_REC }, { "unbindable", MS_UNBINDABLE | MS_REC },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[160];
		snprintf(json, sizeof(json), "{" BASE ",'linux':{'rootfsPropagation':'%s'}}", cases[i].name);
		struct spec *s = load(json);
		cr_assert_eq(s->linux_.rootfs_propagation, cases[i].flags, "%s", cases[i].name);
		spec_free(s);
	}
}

Test(config_parse, seccomp_rules)
{
	struct spec *s = load("{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
			      "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_ARM'],"
			      "'flags':['SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],"
			      "'listenerPath':'/run/agent.sock','listenerMetadata':'m',"
			      "'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
			      "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
			      "{'index':0,'value':4294967295,'op':'SCMP_CMP_EQ'},"
			      "{'index':5,'value':18446744073709551615,'valueTwo':1,'op':'SCMP_CMP_MASKED_EQ'}]},"
			      "{'names':['mknod'],'action':'SCMP_ACT_NOTIFY'},"
			      "{'names':['ptrace'],'action':'SCMP_ACT_ERRNO','errnoRet':1}]}}}");
	const struct spec_seccomp *sc = &s->linux_.seccomp;
	cr_assert(s->linux_.has_seccomp);
	cr_assert_eq(sc->default_action, SPEC_SCMP_ACT_ERRNO);
	cr_assert(sc->default_errno_ret.set);
	cr_assert_eq(sc->default_errno_ret.v, 38);
	cr_assert_eq(sc->architectures.n, 2);
	cr_assert_str_eq(sc->architectures.v[1], "SCMP_ARCH_ARM");
	cr_assert_eq(sc->flags, SPEC_SCMP_FLAG_LOG | SPEC_SCMP_FLAG_SPEC_ALLOW);
	cr_assert_str_eq(sc->listener_path, "/run/agent.sock");
	cr_assert_str_eq(sc->listener_metadata, "m");
	cr_assert_not_null(sc->json);
	cr_assert_eq(sc->n_syscalls, 4);
	cr_assert_eq(sc->syscalls[0].names.n, 2);
	cr_assert_str_eq(sc->syscalls[0].names.v[1], "write");
	cr_assert_eq(sc->syscalls[0].action, SPEC_SCMP_ACT_ALLOW);
	cr_assert_eq(sc->syscalls[1].n_args, 2);
	cr_assert_eq(sc->syscalls[1].args[0].value, 4294967295u);
	cr_assert_eq(sc->syscalls[1].args[0].op, SPEC_SCMP_CMP_EQ);
	cr_assert_eq(sc->syscalls[1].args[1].index, 5);
	cr_assert_eq(sc->syscalls[1].args[1].value, UINT64_MAX);
	cr_assert_eq(sc->syscalls[1].args[1].value_two, 1);
	cr_assert_eq(sc->syscalls[1].args[1].op, SPEC_SCMP_CMP_MASKED_EQ);
	cr_assert_eq(sc->syscalls[2].action, SPEC_SCMP_ACT_NOTIFY);
	cr_assert_eq(sc->syscalls[3].errno_ret.v, 1);
	spec_free(s);
}

Test(config_parse, resources)
{
	struct spec *s = load(
		"{" BASE ",'linux':{'resources':{"
		"'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':10,'minor':229,'access':'rw'}],"
		"'memory':{'limit':536870912,'reservation':-1,'swap':1073741824,'kernel':-1,'kernelTCP':0,"
		"'swappiness':0,'disableOOMKiller':false,'checkBeforeUpdate':true},"
		"'cpu':{'shares':1024,'quota':-1,'period':100000,'realtimeRuntime':950000,'realtimePeriod':1000000,"
		"'cpus':'2-3','mems':'0','idle':1},"
		"'pids':{'limit':32771},"
		"'blockIO':{'weight':10,'leafWeight':10,'weightDevice':[{'major':8,'minor':0,'weight':500}],"
		"'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':600}],"
		"'throttleWriteIOPSDevice':[{'major':8,'minor':16,'rate':300}]},"
		"'hugepageLimits':[{'pageSize':'2MB','limit':209715200},{'pageSize':'64KB','limit':1}],"
		"'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500}]},"
		"'rdma':{'mlx5_1':{'hcaHandles':3,'hcaObjects':10000}},"
		"'unified':{'io.max':'259:0 rbps=2097152'}}}}");
	const struct spec_resources *r = &s->linux_.resources;
	cr_assert(r->present);
	cr_assert_eq(r->n_devices, 2);
	cr_assert_not(r->devices[0].allow);
	cr_assert_eq(r->devices[0].type, 'a');
	cr_assert_eq(r->devices[0].major, -1);
	cr_assert_eq(r->devices[0].minor, -1);
	cr_assert_str_eq(r->devices[0].access, "rwm");
	cr_assert(r->devices[1].allow);
	cr_assert_eq(r->devices[1].type, 'c');
	cr_assert_eq(r->devices[1].minor, 229);
	cr_assert_str_eq(r->devices[1].access, "rw");
	cr_assert(r->has_memory);
	cr_assert_eq(r->memory.limit.v, 536870912);
	cr_assert_eq(r->memory.reservation.v, -1);
	/* zero-value rules (test_zero_values.c): kernel -1, kernelTCP 0 and
	 * disableOOMKiller false ask for nothing; swappiness 0 is a value */
	cr_assert_not(r->memory.kernel.set);
	cr_assert_not(r->memory.kernel_tcp.set);
	cr_assert(r->memory.swappiness.set);
	cr_assert_eq(r->memory.swappiness.v, 0);
	cr_assert_not(r->memory.disable_oom_killer.set);
	cr_assert_not(r->memory.use_hierarchy.set);
	cr_assert(r->memory.check_before_update.v);
	cr_assert(r->has_cpu);
	cr_assert_eq(r->cpu.shares.v, 1024);
	cr_assert_eq(r->cpu.quota.v, -1);
	cr_assert_not(r->cpu.burst.set);
	cr_assert_str_eq(r->cpu.cpus, "2-3");
	cr_assert_eq(r->cpu.idle.v, 1);
	cr_assert(r->pids_limit.set);
	cr_assert_eq(r->pids_limit.v, 32771);
	cr_assert(r->has_block_io);
	cr_assert_eq(r->block_io.weight.v, 10);
	cr_assert_eq(r->block_io.n_weight_device, 1);
	cr_assert_eq(r->block_io.weight_device[0].weight.v, 500);
	cr_assert_not(r->block_io.weight_device[0].leaf_weight.set);
	cr_assert_eq(r->block_io.throttle_read_bps.n, 1);
	cr_assert_eq(r->block_io.throttle_read_bps.v[0].rate, 600);
	cr_assert_eq(r->block_io.throttle_write_iops.v[0].minor, 16);
	cr_assert_eq(r->block_io.throttle_write_bps.n, 0);
	cr_assert_eq(r->n_hugepage_limits, 2);
	cr_assert_str_eq(r->hugepage_limits[1].page_size, "64KB");
	cr_assert(r->has_network);
	cr_assert_eq(r->network.class_id.v, 1048577);
	cr_assert_str_eq(r->network.priorities[0].name, "eth0");
	cr_assert_eq(r->network.priorities[0].priority, 500);
	cr_assert_eq(r->n_rdma, 1);
	cr_assert_str_eq(r->rdma[0].device, "mlx5_1");
	cr_assert_eq(r->rdma[0].hca_objects.v, 10000);
	cr_assert_eq(r->unified.n, 1);
	cr_assert_str_eq(r->unified.v[0].key, "io.max");
	spec_free(s);
}

Test(config_parse, swappiness_minus_one_as_uint64_means_unset)
{
	struct spec *s = load("{" BASE ",'linux':{'resources':{'memory':{'swappiness':18446744073709551615}}}}");
	cr_assert(s->linux_.resources.has_memory);
	cr_assert_not(s->linux_.resources.memory.swappiness.set);
	spec_free(s);
}

Test(config_parse, load_file)
{
	char path[] = "/tmp/pith-config-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *text = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"/r\",\"readonly\":true},"
			   "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"}}";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	int r = spec_load_file(path, "config.json", &s, &err);
	unlink(path);
	cr_assert_eq(r, 0, "%s", err.msg);
	cr_assert(s->root.readonly);
	cr_assert_str_eq(s->process.args.v[0], "true");
	spec_free(s);
}

Test(config_parse, from_json_steals_root)
{
	json_t *j = json_pack("{s:s, s:{s:s}}", "ociVersion", "1.0.0", "root", "path", "rootfs");
	cr_assert_not_null(j);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_from_json(j, "config.json", &s, &err), 0, "%s", err.msg);
	cr_assert_eq(s->json, j);
	cr_assert_eq(j->refcount, 1);
	spec_free(s);
}

Test(config_parse, standalone_process)
{
	json_t *j = json_pack("{s:[s,s], s:s, s:[s], s:{s:i, s:i}}", "args", "ls", "-l", "cwd", "/tmp", "env",
			      "A=b", "user", "uid", 5, "gid", 6);
	cr_assert_not_null(j);
	struct spec_process p;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_parse_process(j, "process.json", &p, &err), 0, "%s", err.msg);
	cr_assert_eq(p.args.n, 2);
	cr_assert_str_eq(p.args.v[1], "-l");
	cr_assert_null(p.args.v[2]);
	cr_assert_str_eq(p.cwd, "/tmp");
	cr_assert_eq(p.user.uid, 5);
	cr_assert_eq(p.user.gid, 6);
	spec_process_release(&p);
	json_decref(j);
}

Test(config_parse, standalone_resources)
{
	json_t *j = json_pack("{s:{s:I}, s:{s:i}}", "memory", "limit", (json_int_t)1 << 30, "pids", "limit", 100);
	cr_assert_not_null(j);
	struct spec_resources r;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_parse_resources(j, "-", &r, &err), 0, "%s", err.msg);
	cr_assert(r.present);
	cr_assert_eq(r.memory.limit.v, (int64_t)1 << 30);
	cr_assert_eq(r.pids_limit.v, 100);
	cr_assert_not(r.has_cpu);
	spec_resources_release(&r);
	json_decref(j);
}
