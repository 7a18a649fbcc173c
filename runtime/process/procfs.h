/* Small readers of /proc/<pid> files. */
#ifndef PITH_PROCFS_H
#define PITH_PROCFS_H

#include <sys/types.h>

struct proc_stat {
	char state;                    /* R, S, D, Z, T, ... */
	unsigned long long start_time; /* clock ticks after boot (field 22) */
};

/* 0, or a negative errno (ENOENT when the process is gone). */
int procfs_read_stat(pid_t pid, struct proc_stat *out);

#endif
