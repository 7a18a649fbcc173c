/* Malformed and edge-case config.json files: each must be refused with the
 * exact message a user sees (file, JSON path, problem), and nothing left
 * allocated in *out. JSON is written with ' for " to stay readable. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void expect_err(const char *json, const char *msg)
{
	char *text = unquote(json);
	struct spec *s = (struct spec *)0x1;
	struct pith_error err = { 0 };
	int r = spec_load_string(text, "config.json", &s, &err);
	cr_assert_lt(r, 0, "accepted: %s", text);
	cr_assert_eq(s, (struct spec *)0x1, "*out was written on failure");
	cr_assert_str_eq(err.msg, msg);
	free(text);
}

/* A valid prefix: ociVersion, root, a uts namespace for hostname tests. */
#define BASE "'ociVersion':'1.0.2','root':{'path':'rootfs'}"
#define PROC(x) "{" BASE ",'process':{'args':['sh'],'cwd':'/'," x "}}"
#define LINUX(x) "{" BASE ",'linux':{" x "}}"
#define RES(x) LINUX("'resources':{" x "}")

/* ---------- JSON and top level ---------- */

Test(config_errors, syntax_error_has_line_and_column)
{
	expect_err("{\n  'ociVersion': '1.0.0',\n  'root': }",
		   "config.json:3:11: unexpected token near '}'");
}

Test(config_errors, empty_text)
{
	expect_err("", "config.json:1:0: '[' or '{' expected near end of file");
}

Test(config_errors, top_level_not_object)
{
	expect_err("['ociVersion']", "config.json: must be a JSON object");
}

Test(config_errors, oci_version_missing)
{
	expect_err("{'root':{'path':'r'}}", "config.json: ociVersion: required");
}

Test(config_errors, oci_version_not_string)
{
	expect_err("{'ociVersion':1,'root':{'path':'r'}}", "config.json: ociVersion: must be a string");
}

Test(config_errors, oci_version_major_2)
{
	expect_err("{'ociVersion':'2.0.0','root':{'path':'r'}}",
		   "config.json: ociVersion: unsupported version \"2.0.0\" (pith supports 1.x)");
}

Test(config_errors, oci_version_major_0)
{
	expect_err("{'ociVersion':'0.5.0-dev','root':{'path':'r'}}",
		   "config.json: ociVersion: unsupported version \"0.5.0-dev\" (pith supports 1.x)");
}

Test(config_errors, oci_version_10)
{
	expect_err("{'ociVersion':'10.0.0','root':{'path':'r'}}",
		   "config.json: ociVersion: unsupported version \"10.0.0\" (pith supports 1.x)");
}

Test(config_errors, root_missing)
{
	expect_err("{'ociVersion':'1.0.0'}", "config.json: root: required");
}

Test(config_errors, root_not_object)
{
	expect_err("{'ociVersion':'1.0.0','root':'rootfs'}", "config.json: root: must be an object");
}

Test(config_errors, root_path_missing)
{
	expect_err("{'ociVersion':'1.0.0','root':{'readonly':true}}", "config.json: root.path: required");
}

Test(config_errors, root_path_empty)
{
	expect_err("{'ociVersion':'1.0.0','root':{'path':''}}", "config.json: root.path: must not be empty");
}

Test(config_errors, root_readonly_not_bool)
{
	expect_err("{'ociVersion':'1.0.0','root':{'path':'r','readonly':'yes'}}",
		   "config.json: root.readonly: must be a boolean");
}

Test(config_errors, refused_platform_windows)
{
	expect_err("{" BASE ",'windows':{'layerFolders':[]}}", "config.json: windows: not supported by pith");
}

Test(config_errors, refused_vm)
{
	expect_err("{" BASE ",'vm':{'kernel':{'path':'/k'}}}", "config.json: vm: not supported by pith");
}

Test(config_errors, hostname_not_string)
{
	expect_err("{" BASE ",'hostname':5}", "config.json: hostname: must be a string");
}

Test(config_errors, hostname_without_uts_namespace)
{
	expect_err("{" BASE ",'hostname':'box','linux':{'namespaces':[{'type':'pid'}]}}",
		   "config.json: hostname: needs a uts namespace in linux.namespaces");
}

Test(config_errors, annotation_value_not_string)
{
	expect_err("{" BASE ",'annotations':{'a':'1','b.c':2}}",
		   "config.json: annotations[\"b.c\"]: must be a string");
}

Test(config_errors, annotation_empty_key)
{
	expect_err("{" BASE ",'annotations':{'':'x'}}", "config.json: annotations: keys must not be empty");
}

/* ---------- process ---------- */

Test(config_errors, process_not_object)
{
	expect_err("{" BASE ",'process':[]}", "config.json: process: must be an object");
}

Test(config_errors, args_missing)
{
	expect_err("{" BASE ",'process':{'cwd':'/'}}", "config.json: process.args: required");
}

Test(config_errors, args_empty)
{
	expect_err("{" BASE ",'process':{'cwd':'/','args':[]}}",
		   "config.json: process.args: must be a non-empty array of strings");
}

Test(config_errors, args_not_strings)
{
	expect_err("{" BASE ",'process':{'cwd':'/','args':['sh',1]}}",
		   "config.json: process.args: must be a non-empty array of strings");
}

Test(config_errors, args_string_not_array)
{
	expect_err("{" BASE ",'process':{'cwd':'/','args':'sh -c true'}}",
		   "config.json: process.args: must be a non-empty array of strings");
}

Test(config_errors, cwd_missing)
{
	expect_err("{" BASE ",'process':{'args':['sh']}}", "config.json: process.cwd: required");
}

Test(config_errors, cwd_relative)
{
	expect_err("{" BASE ",'process':{'args':['sh'],'cwd':'tmp'}}",
		   "config.json: process.cwd: must be an absolute path, got \"tmp\"");
}

Test(config_errors, env_not_array)
{
	expect_err(PROC("'env':'PATH=/bin'"), "config.json: process.env: must be an array of strings");
}

Test(config_errors, env_entry_not_string)
{
	expect_err(PROC("'env':['A=1',null]"), "config.json: process.env[1]: must be a string");
}

Test(config_errors, env_entry_without_equals)
{
	expect_err(PROC("'env':['A=1','TERM']"),
		   "config.json: process.env[1]: must be \"NAME=value\", got \"TERM\"");
}

Test(config_errors, terminal_not_bool)
{
	expect_err(PROC("'terminal':1"), "config.json: process.terminal: must be a boolean");
}

Test(config_errors, console_size_width_missing)
{
	expect_err(PROC("'consoleSize':{'height':24}"), "config.json: process.consoleSize.width: required");
}

Test(config_errors, console_size_too_large)
{
	expect_err(PROC("'consoleSize':{'height':24,'width':70000}"),
		   "config.json: process.consoleSize.width: 70000 is out of range (maximum 65535)");
}

Test(config_errors, user_uid_missing)
{
	expect_err(PROC("'user':{'gid':0}"), "config.json: process.user.uid: required");
}

Test(config_errors, user_uid_out_of_range)
{
	expect_err(PROC("'user':{'uid':4294967296,'gid':0}"),
		   "config.json: process.user.uid: 4294967296 is out of range (maximum 4294967295)");
}

Test(config_errors, user_gid_negative)
{
	expect_err(PROC("'user':{'uid':0,'gid':-1}"),
		   "config.json: process.user.gid: must not be negative (got -1)");
}

Test(config_errors, user_uid_real_number)
{
	expect_err(PROC("'user':{'uid':1.5,'gid':0}"), "config.json: process.user.uid: must be an integer");
}

Test(config_errors, additional_gid_not_number)
{
	expect_err(PROC("'user':{'uid':0,'gid':0,'additionalGids':[1,'wheel']}"),
		   "config.json: process.user.additionalGids[1]: must be an integer");
}

Test(config_errors, user_username_refused)
{
	expect_err(PROC("'user':{'uid':0,'gid':0,'username':'root'}"),
		   "config.json: process.user.username: not supported by pith");
}

Test(config_errors, command_line_refused)
{
	expect_err(PROC("'commandLine':'sh -c true'"), "config.json: process.commandLine: not supported by pith");
}

Test(config_errors, rlimit_unknown_type)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
			"{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
		   "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
}

Test(config_errors, rlimit_duplicate)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_CORE','soft':1,'hard':1},"
			"{'type':'RLIMIT_CORE','soft':2,'hard':2}]"),
		   "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_CORE\"");
}

Test(config_errors, rlimit_soft_above_hard)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':2048,'hard':1024}]"),
		   "config.json: process.rlimits[0]: soft limit 2048 exceeds hard limit 1024");
}

Test(config_errors, rlimit_hard_missing)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
		   "config.json: process.rlimits[0].hard: required");
}

Test(config_errors, rlimit_negative)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1}]"),
		   "config.json: process.rlimits[0].soft: must not be negative (got -1)");
}

Test(config_errors, rlimit_above_uint64)
{
	expect_err(PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':18446744073709551616}]"),
		   "config.json: process.rlimits[0].hard: 18446744073709551616 is out of range "
		   "(maximum 18446744073709551615)");
}

Test(config_errors, rlimits_not_array)
{
	expect_err(PROC("'rlimits':{'type':'RLIMIT_NOFILE'}"), "config.json: process.rlimits: must be an array");
}

Test(config_errors, capability_unknown)
{
	expect_err(PROC("'capabilities':{'bounding':['CAP_CHOWN','CAP_FLY']}"),
		   "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_FLY\"");
}

Test(config_errors, capability_lowercase)
{
	expect_err(PROC("'capabilities':{'ambient':['cap_chown']}"),
		   "config.json: process.capabilities.ambient[0]: unknown capability \"cap_chown\"");
}

Test(config_errors, capabilities_old_array_form)
{
	expect_err(PROC("'capabilities':['CAP_CHOWN']"), "config.json: process.capabilities: must be an object");
}

Test(config_errors, oom_score_adj_out_of_range)
{
	expect_err(PROC("'oomScoreAdj':1001"), "config.json: process.oomScoreAdj: 1001 is out of range (-1000 to 1000)");
}

Test(config_errors, big_negative_in_signed_field)
{
	expect_err(PROC("'oomScoreAdj':-18446744073709551615"),
		   "config.json: process.oomScoreAdj: -18446744073709551615 is out of range (-1000 to 1000)");
}

Test(config_errors, io_priority_unknown_class)
{
	expect_err(PROC("'ioPriority':{'class':'IOPRIO_CLASS_FAST','priority':1}"),
		   "config.json: process.ioPriority.class: unknown class \"IOPRIO_CLASS_FAST\"");
}

Test(config_errors, io_priority_out_of_range)
{
	expect_err(PROC("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
		   "config.json: process.ioPriority.priority: 8 is out of range (0 to 7)");
}

Test(config_errors, scheduler_unknown_policy)
{
	expect_err(PROC("'scheduler':{'policy':'SCHED_FAST'}"),
		   "config.json: process.scheduler.policy: unknown policy \"SCHED_FAST\"");
}

Test(config_errors, scheduler_priority_for_other)
{
	expect_err(PROC("'scheduler':{'policy':'SCHED_OTHER','priority':5}"),
		   "config.json: process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority");
}

Test(config_errors, scheduler_unknown_flag)
{
	expect_err(PROC("'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_RECLAIM','X']}"),
		   "config.json: process.scheduler.flags[1]: unknown flag \"X\"");
}

Test(config_errors, cpu_affinity_invalid)
{
	expect_err(PROC("'execCPUAffinity':{'initial':'0-3','final':'all'}"),
		   "config.json: process.execCPUAffinity.final: invalid cpu list \"all\"");
}

/* ---------- mounts ---------- */

Test(config_errors, mounts_not_array)
{
	expect_err("{" BASE ",'mounts':{'destination':'/proc'}}", "config.json: mounts: must be an array");
}

Test(config_errors, mount_destination_missing)
{
	expect_err("{" BASE ",'mounts':[{'destination':'/proc','type':'proc'},{'destination':'/tmp'},"
		   "{'type':'tmpfs','source':'tmpfs'}]}",
		   "config.json: mounts[2].destination: required");
}

Test(config_errors, mount_not_object)
{
	expect_err("{" BASE ",'mounts':['/proc']}", "config.json: mounts[0]: must be an object");
}

Test(config_errors, mount_option_not_string)
{
	expect_err("{" BASE ",'mounts':[{'destination':'/tmp','type':'tmpfs','options':['ro',7]}]}",
		   "config.json: mounts[0].options[1]: must be a string");
}

Test(config_errors, mount_uid_mappings_alone)
{
	expect_err("{" BASE ",'mounts':[{'destination':'/d','type':'bind','source':'/s',"
		   "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]}]}",
		   "config.json: mounts[0]: uidMappings and gidMappings must be given together");
}

Test(config_errors, mount_idmap_not_bind)
{
	expect_err("{" BASE ",'mounts':[{'destination':'/t','type':'tmpfs','options':['idmap']}]}",
		   "config.json: mounts[0]: idmapped mounts need a bind mount (type \"bind\" or option "
		   "\"bind\"/\"rbind\")");
}

Test(config_errors, mount_mapping_size_zero)
{
	expect_err("{" BASE ",'mounts':[{'destination':'/d','type':'bind','source':'/s',"
		   "'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
		   "'gidMappings':[{'containerID':0,'hostID':1000,'size':0}]}]}",
		   "config.json: mounts[0].gidMappings[0].size: must not be zero");
}

/* ---------- hooks ---------- */

Test(config_errors, hook_path_relative)
{
	expect_err("{" BASE ",'hooks':{'createRuntime':[{'path':'/bin/true'},{'path':'hook.sh'}]}}",
		   "config.json: hooks.createRuntime[1].path: must be an absolute path, got \"hook.sh\"");
}

Test(config_errors, hook_path_missing)
{
	expect_err("{" BASE ",'hooks':{'poststop':[{'args':['x']}]}}", "config.json: hooks.poststop[0].path: required");
}

Test(config_errors, hook_timeout_zero)
{
	expect_err("{" BASE ",'hooks':{'prestart':[{'path':'/bin/true','timeout':0}]}}",
		   "config.json: hooks.prestart[0].timeout: must be greater than zero (got 0)");
}

Test(config_errors, hooks_kind_not_array)
{
	expect_err("{" BASE ",'hooks':{'poststart':{'path':'/bin/true'}}}",
		   "config.json: hooks.poststart: must be an array");
}

/* ---------- linux ---------- */

Test(config_errors, linux_not_object)
{
	expect_err("{" BASE ",'linux':true}", "config.json: linux: must be an object");
}

Test(config_errors, intel_rdt_refused)
{
	expect_err(LINUX("'intelRdt':{'closID':'x'}"), "config.json: linux.intelRdt: not supported by pith");
}

Test(config_errors, memory_policy_refused)
{
	expect_err(LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0'}"),
		   "config.json: linux.memoryPolicy: not supported by pith");
}

Test(config_errors, namespace_unknown_type)
{
	expect_err(LINUX("'namespaces':[{'type':'pid'},{'type':'net'}]"),
		   "config.json: linux.namespaces[1].type: unknown namespace type \"net\"");
}

Test(config_errors, namespace_duplicate)
{
	expect_err(LINUX("'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'pid','path':'/proc/1/ns/pid'}]"),
		   "config.json: linux.namespaces[2].type: duplicate namespace \"pid\"");
}

Test(config_errors, namespace_type_missing)
{
	expect_err(LINUX("'namespaces':[{'path':'/proc/1/ns/net'}]"),
		   "config.json: linux.namespaces[0].type: required");
}

Test(config_errors, namespace_path_relative)
{
	expect_err(LINUX("'namespaces':[{'type':'network','path':'netns/a'}]"),
		   "config.json: linux.namespaces[0].path: must be an absolute path, got \"netns/a\"");
}

Test(config_errors, uid_mapping_size_zero)
{
	expect_err(LINUX("'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]"),
		   "config.json: linux.uidMappings[0].size: must not be zero");
}

Test(config_errors, uid_mapping_overflow)
{
	expect_err(LINUX("'gidMappings':[{'containerID':0,'hostID':4294967295,'size':2}]"),
		   "config.json: linux.gidMappings[0]: range exceeds the 32-bit id space");
}

Test(config_errors, time_offsets_without_time_namespace)
{
	expect_err(LINUX("'namespaces':[{'type':'pid'}],'timeOffsets':{'monotonic':{'secs':10}}"),
		   "config.json: linux.timeOffsets: needs a new time namespace in linux.namespaces");
}

Test(config_errors, time_offsets_unknown_clock)
{
	expect_err(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'realtime':{'secs':10}}"),
		   "config.json: linux.timeOffsets: unknown clock \"realtime\" (monotonic or boottime)");
}

Test(config_errors, time_offsets_nanosecs_range)
{
	expect_err(LINUX("'namespaces':[{'type':'time'}],'timeOffsets':{'boottime':{'nanosecs':1000000000}}"),
		   "config.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range (maximum 999999999)");
}

Test(config_errors, device_bad_type)
{
	expect_err(LINUX("'devices':[{'path':'/dev/fuse','type':'x','major':10,'minor':229}]"),
		   "config.json: linux.devices[0].type: must be one of c, b, u, p (got \"x\")");
}

Test(config_errors, device_relative_path)
{
	expect_err(LINUX("'devices':[{'path':'dev/fuse','type':'c','major':10,'minor':229}]"),
		   "config.json: linux.devices[0].path: must be an absolute path, got \"dev/fuse\"");
}

Test(config_errors, device_major_missing)
{
	expect_err(LINUX("'devices':[{'path':'/dev/fuse','type':'c','minor':229}]"),
		   "config.json: linux.devices[0].major: required");
}

Test(config_errors, device_file_mode_range)
{
	expect_err(LINUX("'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':70000}]"),
		   "config.json: linux.devices[0].fileMode: 70000 is out of range (maximum 4095)");
}

Test(config_errors, rootfs_propagation_unknown)
{
	expect_err(LINUX("'rootfsPropagation':'everywhere'"),
		   "config.json: linux.rootfsPropagation: unknown propagation \"everywhere\" "
		   "(shared, slave, private or unbindable)");
}

Test(config_errors, rootfs_propagation_not_propagation_option)
{
	expect_err(LINUX("'rootfsPropagation':'ro'"),
		   "config.json: linux.rootfsPropagation: unknown propagation \"ro\" "
		   "(shared, slave, private or unbindable)");
}

Test(config_errors, seccomp_default_action_unknown)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_MAYBE'}"),
		   "config.json: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\"");
}

Test(config_errors, seccomp_default_action_missing)
{
	expect_err(LINUX("'seccomp':{'syscalls':[]}"), "config.json: linux.seccomp.defaultAction: required");
}

Test(config_errors, seccomp_arg_index_too_big)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
			 "'action':'SCMP_ACT_ERRNO'},{'names':['clone'],'action':'SCMP_ACT_ERRNO',"
			 "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}"),
		   "config.json: linux.seccomp.syscalls[1].args[0].index: must be between 0 and 5 (got 6)");
}

Test(config_errors, seccomp_unknown_op)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['clone'],"
			 "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_SIMILAR'}]}]}"),
		   "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_SIMILAR\"");
}

Test(config_errors, seccomp_unknown_flag)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_LOG','FAST']}"),
		   "config.json: linux.seccomp.flags[1]: unknown seccomp flag \"FAST\"");
}

Test(config_errors, seccomp_errno_with_allow)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
			 "'action':'SCMP_ACT_ALLOW','errnoRet':1}]}"),
		   "config.json: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
}

Test(config_errors, seccomp_names_empty)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_LOG'}]}"),
		   "config.json: linux.seccomp.syscalls[0].names: must not be empty");
}

Test(config_errors, seccomp_notify_without_listener)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mknod'],'action':'SCMP_ACT_NOTIFY'}]}"),
		   "config.json: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
}

Test(config_errors, seccomp_arg_value_missing)
{
	expect_err(LINUX("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['clone'],"
			 "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}"),
		   "config.json: linux.seccomp.syscalls[0].args[0].value: required");
}

Test(config_errors, personality_unknown_domain)
{
	expect_err(LINUX("'personality':{'domain':'BSD'}"),
		   "config.json: linux.personality.domain: unknown domain \"BSD\" (LINUX or LINUX32)");
}

Test(config_errors, personality_flags)
{
	expect_err(LINUX("'personality':{'domain':'LINUX32','flags':['ADDR_NO_RANDOMIZE']}"),
		   "config.json: linux.personality.flags: no personality flags are supported");
}

Test(config_errors, masked_path_relative)
{
	expect_err(LINUX("'maskedPaths':['/proc/kcore','proc/keys']"),
		   "config.json: linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"");
}

Test(config_errors, sysctl_value_not_string)
{
	expect_err(LINUX("'sysctl':{'net.ipv4.ip_forward':1}"),
		   "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: must be a string");
}

Test(config_errors, net_devices_without_network_namespace)
{
	expect_err(LINUX("'namespaces':[{'type':'mount'}],'netDevices':{'eth1':{}}"),
		   "config.json: linux.netDevices: needs a network namespace in linux.namespaces");
}

Test(config_errors, net_device_bad_name)
{
	expect_err(LINUX("'namespaces':[{'type':'network'}],'netDevices':{'eth1':{'name':'a/b'}}"),
		   "config.json: linux.netDevices[\"eth1\"].name: invalid interface name \"a/b\"");
}

Test(config_errors, net_device_name_too_long)
{
	expect_err(LINUX("'namespaces':[{'type':'network'}],'netDevices':{'averyveryverylongname':{}}"),
		   "config.json: linux.netDevices[\"averyveryverylongname\"]: invalid interface name "
		   "\"averyveryverylongname\"");
}

Test(config_errors, net_devices_same_target)
{
	expect_err(LINUX("'namespaces':[{'type':'network'}],'netDevices':{'eth1':{'name':'x0'},'eth2':{'name':'x0'}}"),
		   "config.json: linux.netDevices[\"eth2\"]: two devices named \"x0\" in the container");
}

/* ---------- resources ---------- */

Test(config_errors, memory_limit_below_minus_one)
{
	expect_err(RES("'memory':{'limit':-2}"),
		   "config.json: linux.resources.memory.limit: -2 is out of range (-1 to 9223372036854775807)");
}

Test(config_errors, memory_swappiness_above_100)
{
	expect_err(RES("'memory':{'swappiness':101}"),
		   "config.json: linux.resources.memory.swappiness: must be between 0 and 100 (got 101)");
}

Test(config_errors, memory_swap_below_limit)
{
	expect_err(RES("'memory':{'limit':2000000,'swap':1000000}"),
		   "config.json: linux.resources.memory.swap: memory+swap limit 1000000 is below the memory limit 2000000");
}

Test(config_errors, pids_limit_missing)
{
	expect_err(RES("'pids':{}"), "config.json: linux.resources.pids.limit: required");
}

Test(config_errors, device_rule_allow_missing)
{
	expect_err(RES("'devices':[{'access':'rwm'}]"), "config.json: linux.resources.devices[0].allow: required");
}

Test(config_errors, device_rule_bad_access)
{
	expect_err(RES("'devices':[{'allow':false,'access':'rwx'}]"),
		   "config.json: linux.resources.devices[0].access: must be made of r, w and m (got \"rwx\")");
}

Test(config_errors, device_rule_bad_type)
{
	expect_err(RES("'devices':[{'allow':true,'type':'p'}]"),
		   "config.json: linux.resources.devices[0].type: must be one of a, b, c (got \"p\")");
}

Test(config_errors, hugepage_bad_size)
{
	expect_err(RES("'hugepageLimits':[{'pageSize':'2M','limit':1}]"),
		   "config.json: linux.resources.hugepageLimits[0].pageSize: must look like 2MB, 1GB or 64KB (got \"2M\")");
}

Test(config_errors, weight_device_without_weight)
{
	expect_err(RES("'blockIO':{'weightDevice':[{'major':8,'minor':0}]}"),
		   "config.json: linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight");
}

Test(config_errors, throttle_rate_missing)
{
	expect_err(RES("'blockIO':{'throttleWriteIOPSDevice':[{'major':8,'minor':0}]}"),
		   "config.json: linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: required");
}

Test(config_errors, cpu_idle_out_of_range)
{
	expect_err(RES("'cpu':{'idle':2}"), "config.json: linux.resources.cpu.idle: 2 is out of range (0 to 1)");
}

Test(config_errors, cpu_burst_above_quota)
{
	expect_err(RES("'cpu':{'quota':1000,'burst':2000}"),
		   "config.json: linux.resources.cpu.burst: 2000 exceeds quota 1000");
}

Test(config_errors, rdma_entry_empty)
{
	expect_err(RES("'rdma':{'mlx5_1':{}}"),
		   "config.json: linux.resources.rdma[\"mlx5_1\"]: needs hcaHandles or hcaObjects");
}

Test(config_errors, unified_value_not_string)
{
	expect_err(RES("'unified':{'memory.max':1}"),
		   "config.json: linux.resources.unified[\"memory.max\"]: must be a string");
}

/* ---------- big integers, NUL bytes, files ---------- */

Test(config_errors, nul_in_string_after_big_integer)
{
	/* The big literal sends the text through the re-read path, where
	 * strings may hold NUL bytes: they must still be refused. */
	expect_err("{" BASE ",'process':{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_CORE',"
		   "'soft':18446744073709551615,'hard':18446744073709551615}],'env':['A=\\u0000x']}}",
		   "config.json: process.env[0]: must not contain NUL bytes");
}

Test(config_errors, big_integer_where_string_expected)
{
	expect_err("{" BASE ",'hostname':18446744073709551615}", "config.json: hostname: must be a string");
}

Test(config_errors, nul_in_string)
{
	expect_err("{" BASE ",'hostname':'a\\u0000b'}",
		   "config.json:1:68: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'");
}

Test(config_errors, file_missing)
{
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	char buf[1200];
	cr_assert_lt(spec_load_file("/nonexistent/config.json", "config.json", &s, &err), 0);
	cr_assert_null(s);
	cr_assert_eq(err.errnum, ENOENT);
	cr_assert_str_eq(pith_error_text(&err, buf, sizeof(buf)),
			 "/nonexistent/config.json: cannot open: No such file or directory");
}

Test(config_errors, file_is_directory)
{
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_lt(spec_load_file("/", "config.json", &s, &err), 0);
	cr_assert_eq(err.errnum, EISDIR);
	cr_assert_str_eq(err.msg, "/: cannot read");
}

Test(config_errors, file_syntax_error_uses_name)
{
	char path[] = "/tmp/pith-config-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *text = "{\n\t\"ociVersion\": \"1.0.0\",\n\t\"root\": {\"path\": \"r\",}\n}\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	int r = spec_load_file(path, "bundle/config.json", &s, &err);
	unlink(path);
	cr_assert_lt(r, 0);
	cr_assert_str_eq(err.msg, "bundle/config.json:3:23: string or '}' expected near '}'");
}

Test(config_errors, standalone_process_errors_have_root_paths)
{
	char *text = unquote("{'args':['sh'],'cwd':'/','rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}");
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	cr_assert_not_null(j);
	struct spec_process p;
	struct pith_error err = { 0 };
	cr_assert_lt(spec_parse_process(j, "process.json", &p, &err), 0);
	cr_assert_str_eq(err.msg, "process.json: rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
	cr_assert_null(p.rlimits);
	json_decref(j);
}

Test(config_errors, standalone_resources_errors)
{
	json_t *j = json_loads("{\"pids\":{\"limit\":\"10\"}}", 0, NULL);
	cr_assert_not_null(j);
	struct spec_resources r;
	struct pith_error err = { 0 };
	cr_assert_lt(spec_parse_resources(j, "-", &r, &err), 0);
	cr_assert_str_eq(err.msg, "-: pids.limit: must be an integer");
	json_decref(j);
}

Test(config_errors, standalone_resources_not_object)
{
	json_t *j = json_loads("[]", 0, NULL);
	struct spec_resources r;
	struct pith_error err = { 0 };
	cr_assert_lt(spec_parse_resources(j, "resources.json", &r, &err), 0);
	cr_assert_str_eq(err.msg, "resources.json: must be an object");
	json_decref(j);
}
