/* The parent/child protocol of create and exec: typed frames over a
 * SOCK_SEQPACKET socketpair, an error frame carrying the child's message. */
#ifndef PITH_SYNC_H
#define PITH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sync_type {
	SYNC_GO = 1,        /* parent -> child: ids mapped; payload: state JSON */
	SYNC_CGROUP,        /* parent -> child: the child is in its cgroup, network set up */
	SYNC_HOOKS,         /* child -> parent: mounts done, run prestart/createRuntime hooks */
	SYNC_HOOKS_DONE,    /* parent -> child */
	SYNC_READY,         /* child -> parent: created, about to wait for start */
	SYNC_PID,           /* child -> parent: a pid (exec's grandchild) in `value` */
	SYNC_ERROR,         /* child -> parent: payload is the message, value the errno */
};

int sync_pair(int fds[2], struct pith_error *err);
int sync_send(int fd, enum sync_type type, int32_t value, const char *payload, struct pith_error *err);
/* Receive a frame of the expected type. An ERROR frame becomes err (its
 * message and errno) and -1. payload may be NULL; it is NUL-terminated. */
int sync_recv(int fd, enum sync_type expected, int32_t *value, char *payload, size_t payload_len,
	      struct pith_error *err);
/* Parent side, after one of its own steps failed: if the child already
 * reported an error (it failed first, and that is the cause), take it into
 * err and return 1; else 0, err untouched. Never blocks. */
int sync_take_error(int fd, struct pith_error *err);
/* Child side: report err to the parent (best effort). */
void sync_send_error(int fd, const struct pith_error *err);

#endif
