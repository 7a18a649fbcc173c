/* The container's network namespace, set up from pith (not from the
 * container's init) over rtnetlink with libmnl: `lo` up and
 * linux.netDevices. */
#ifndef PITH_NET_H
#define PITH_NET_H

#include <stddef.h>

#include "../config/spec.h"
#include "error.h"

/* Bring `lo` up in the network namespace netns_fd refers to (an fd of
 * /proc/<pid>/ns/net; a pidfd also works on kernels >= 5.8).
 *
 * The netlink socket is created inside that namespace: the calling thread
 * setns()es into it, opens the socket, and setns()es straight back to its
 * own namespace (kept open as an fd beforehand). A socket stays bound to the
 * namespace it was created in, so everything after that is ordinary
 * messaging. Two setns calls are far cheaper than forking a helper, touch
 * only the calling thread, and need nothing the caller (root, or holding
 * CAP_SYS_ADMIN over the namespace) does not have. */
int net_loopback_up(int netns_fd, struct pith_error *err);

/* linux.netDevices: for each device, from the caller's namespace: read its
 * permanent global-scope IPv4/IPv6 addresses (the ones a user configured;
 * link-local and dynamic ones are left to the kernel, as runc does), set it
 * down, move it into netns_fd (an fd of /proc/<pid>/ns/net) and give it
 * `name` in the same RTM_NEWLINK (so the host name clashing with one already
 * in the container cannot fail the move), then, inside, re-add the
 * addresses and bring it up. Stops at the first failure; a device already
 * moved goes back to the host when the namespace dies (virtual ones, like
 * veth, are destroyed with it). Errors name the device:
 *   linux.netDevices: "eth9": no such network interface */
int net_move_devices(const struct spec_net_device *devs, size_t n, int netns_fd, struct pith_error *err);

#endif
