/* process.terminal with --console-socket, as runc's docs/terminals.md
 * describes: the container's init makes a pty in the container's devpts,
 * keeps the slave as its stdio and controlling terminal, and sends the master
 * over a unix socket to whoever asked for it (conmon, containerd, `pith run
 * -t`).
 *
 * Order in the container's init:
 *   1. before pivot_root (the socket lives on the host):
 *        sock = terminal_connect_socket(console_socket, err)
 *   2. after /dev/pts is mounted AND after pivot_root:
 *        terminal_open("/dev/ptmx", &spec->process, &master, &slave, err)
 *      After the pivot, so that /dev/ptmx (often a symlink to pts/ptmx)
 *      resolves inside the container and the master belongs to the
 *      container's devpts instance, whose /dev/pts/N name the process sees.
 *      Before the pivot, pass "<rootfs>/dev/pts/ptmx" instead (never a path
 *      that follows a symlink from the image).
 *   3. terminal_send_master(sock, master, err); close(master); close(sock)
 *   4. terminal_become_controlling(slave, err)   (just before exec)
 */
#ifndef PITH_TERMINAL_H
#define PITH_TERMINAL_H

#include "../../config/spec.h"
#include "../error.h"

/* Open a new pty from ptmx_path (O_RDWR|O_NOCTTY|O_CLOEXEC), unlock it, get
 * the peer with TIOCGPTPEER (or, on kernels before 4.13, by opening its
 * pts/N next to ptmx_path), and apply p->console_{height,width} when
 * p->has_console_size (p may be NULL). Both fds are O_CLOEXEC and never 0-2.
 * On failure nothing is left open. */
int terminal_open(const char *ptmx_path, const struct spec_process *p, int *master, int *slave,
		  struct pith_error *err);

/* A connected SOCK_STREAM (or SOCK_SEQPACKET, if that is what listens) unix
 * socket to path; paths longer than sun_path are reached through their
 * directory's fd. Returns the fd (O_CLOEXEC) or a negative value. */
int terminal_connect_socket(const char *path, struct pith_error *err);

/* Send master with SCM_RIGHTS; the payload is the slave's name inside the
 * container ("/dev/pts/N"). Receivers (conmon, go-runc) ignore it. */
int terminal_send_master(int sockfd, int master, struct pith_error *err);

/* Receive a pty master sent by terminal_send_master (or runc/crun). fd is a
 * listening socket (one connection is accepted) or a connected one. The
 * result is O_CLOEXEC and checked to be a terminal. */
int terminal_recv_master(int listen_or_conn_fd, int *master, struct pith_error *err);

/* setsid, make slave the controlling terminal (TIOCSCTTY) and dup it to
 * 0, 1 and 2 (without O_CLOEXEC). `slave` itself stays open and owned by the
 * caller, who closes it (terminal_open's fd is O_CLOEXEC and above 2, so
 * forgetting does not leak it into the process either). */
int terminal_become_controlling(int slave, struct pith_error *err);

#endif
