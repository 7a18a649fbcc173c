/* The container's network namespace over rtnetlink (libmnl): lo up, linux.netDevices (net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
};

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

#define auto_nl __attribute__((cleanup(nl_close))) struct nl

/* A NETLINK_ROUTE socket in the calling thread's current network namespace. */
static int nl_open(struct nl *nl)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		nl_close(nl);
		return -e;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return 0;
}

/* The same, created inside netns_fd's namespace (see net.h for why setns). */
static int nl_open_in(struct nl *nl, int netns_fd, struct pith_error *err)
{
	auto_fd self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return pith_fail(err, errno, "network namespace: open /proc/thread-self/ns/net");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return pith_fail(err, errno, "network namespace: enter");
	int r = nl_open(nl);
	if (setns(self, CLONE_NEWNET) < 0) {
		nl_close(nl);
		return pith_fail(err, errno, "network namespace: return to pith's own");
	}
	if (r < 0)
		return pith_fail(err, -r, "network namespace: netlink socket");
	return 0;
}

/* Send one request and process replies until its ACK (or the end of a dump).
 * Returns 0 or -errno (the kernel's error for this request). */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		int r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (r == MNL_CB_ERROR)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, int index, struct ifinfomsg **ifm)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	*ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifm));
	(*ifm)->ifi_family = AF_UNSPEC;
	(*ifm)->ifi_index = index;
	return nlh;
}

/* Set or clear IFF_UP of a link given by index, or by name when index is 0. */
static int link_set_up(struct nl *nl, int index, const char *name, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index, &ifm);
	ifm->ifi_flags = up ? IFF_UP : 0;
	ifm->ifi_change = IFF_UP;
	if (!index)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK) {
		const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
		*(int *)data = ifm->ifi_index;
	}
	return MNL_CB_OK;
}

static int link_index(struct nl *nl, const char *name, int *index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, 0, &ifm);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*index = 0;
	int r = nl_talk(nl, nlh, link_index_cb, index);
	if (r == 0 && *index <= 0)
		r = -ENODEV;
	return r;
}

int net_loopback_up(int netns_fd, struct pith_error *err)
{
	auto_nl nl = { 0 };
	if (nl_open_in(&nl, netns_fd, err) < 0)
		return -1;
	int r = link_set_up(&nl, 0, "lo", true);
	if (r < 0)
		return pith_fail(err, -r, "network namespace: bring lo up");
	return 0;
}

/* ---------- addresses ---------- */

struct addr {
	uint8_t family;
	uint8_t prefixlen;
	uint8_t scope;
	uint32_t flags;
	uint8_t local[16];
	uint8_t address[16];
	uint8_t broadcast[4];
	bool has_local, has_address, has_broadcast;
};

struct addr_list {
	int index;                /* only this link's */
	struct addr *v;
	size_t n;
	int error;
};

/* Flags worth carrying over to the re-added address; the rest describe its
 * state on the host (tentative, deprecated, ...). */
#define ADDR_KEEP_FLAGS (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | \
			 IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

static void addr_copy(uint8_t *dst, const struct nlattr *a, size_t max, bool *has)
{
	size_t len = mnl_attr_get_payload_len(a);
	if (len > max)
		return;
	memcpy(dst, mnl_attr_get_payload(a), len);
	*has = true;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != l->index)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;

	struct addr a = { .family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen,
			  .scope = ifa->ifa_scope, .flags = ifa->ifa_flags };
	size_t alen = a.family == AF_INET ? 4 : 16;
	const struct nlattr *at;
	mnl_attr_for_each(at, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(at)) {
		case IFA_LOCAL: addr_copy(a.local, at, alen, &a.has_local); break;
		case IFA_ADDRESS: addr_copy(a.address, at, alen, &a.has_address); break;
		case IFA_BROADCAST: addr_copy(a.broadcast, at, 4, &a.has_broadcast); break;
		case IFA_FLAGS: a.flags = mnl_attr_get_u32(at); break;
		}
	}
	/* Only what a user configured, as runc: permanent and global scope. */
	if (!(a.flags & IFA_F_PERMANENT) || a.scope != RT_SCOPE_UNIVERSE || !a.has_address)
		return MNL_CB_OK;
	struct addr *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		l->error = ENOMEM;
		return MNL_CB_ERROR;
	}
	l->v = v;
	l->v[l->n++] = a;
	return MNL_CB_OK;
}

static int addr_list(struct nl *nl, int index, struct addr_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	l->index = index;
	int r = nl_talk(nl, nlh, addr_cb, l);
	return l->error ? -l->error : r;
}

static int addr_add(struct nl *nl, int index, const struct addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	size_t alen = a->family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t flags = a->flags & ADDR_KEEP_FLAGS;
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = a->scope;
	ifa->ifa_flags = (uint8_t)flags;
	ifa->ifa_index = (uint32_t)index;
	if (a->has_local)
		mnl_attr_put(nlh, IFA_LOCAL, alen, a->local);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->address);
	if (a->has_broadcast)
		mnl_attr_put(nlh, IFA_BROADCAST, 4, a->broadcast);
	if (flags > 0xff)
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	return nl_talk(nl, nlh, NULL, NULL);
}

static const char *addr_text(const struct addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->has_local ? a->local : a->address, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, a->prefixlen);
	return buf;
}

/* ---------- moving a device ---------- */

/* RTM_NEWLINK with the target namespace and the new name together: the
 * kernel moves, uses the name if the old one is taken inside, and renames. */
static int link_move(struct nl *host, int index, int netns_fd, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index, &ifm);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(host, nlh, NULL, NULL);
}

static int link_rename(struct nl *nl, int index, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index, &ifm);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Its index inside, renaming it there if the kernel kept the host name. */
static int find_moved(struct nl *ns, const char *host_name, const char *name, int *index)
{
	int r = link_index(ns, name, index);
	if (r != -ENODEV || strcmp(host_name, name) == 0)
		return r;
	r = link_index(ns, host_name, index);
	return r < 0 ? r : link_rename(ns, *index, name);
}

static int move_one(struct nl *host, struct nl *ns, const struct spec_net_device *d, int netns_fd,
		    struct pith_error *err)
{
	const char *name = d->name && *d->name ? d->name : d->host_name;
	int index, r;
	char text[INET6_ADDRSTRLEN + 8];

	r = link_index(host, d->host_name, &index);
	if (r == -ENODEV)
		return pith_fail(err, 0, "linux.netDevices: \"%s\": no such network interface", d->host_name);
	if (r < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": look up", d->host_name);

	/* The kernel moves first and renames after: a clash would leave the
	 * device inside under its host name. Refuse before touching anything. */
	int taken;
	if (strcmp(name, d->host_name) != 0 && link_index(ns, name, &taken) == 0)
		return pith_fail(err, 0, "linux.netDevices: \"%s\": \"%s\" already exists in the container's network namespace",
				 d->host_name, name);

	struct addr_list addrs = { 0 };
	r = addr_list(host, index, &addrs);
	auto_free struct addr *owned = addrs.v;
	if (r < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": read its addresses", d->host_name);
	/* Down first, so nothing on the host uses it half-moved. */
	if ((r = link_set_up(host, index, NULL, false)) < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": set down", d->host_name);
	if ((r = link_move(host, index, netns_fd, name)) < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": move into the container's network namespace as \"%s\"",
				 d->host_name, name);
	if ((r = find_moved(ns, d->host_name, name, &index)) < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": find it as \"%s\" in the container", d->host_name,
				 name);
	for (size_t i = 0; i < addrs.n; i++)
		if ((r = addr_add(ns, index, &addrs.v[i])) < 0)
			return pith_fail(err, -r, "linux.netDevices: \"%s\": add address %s", d->host_name,
					 addr_text(&addrs.v[i], text, sizeof(text)));
	if ((r = link_set_up(ns, index, NULL, true)) < 0)
		return pith_fail(err, -r, "linux.netDevices: \"%s\": bring \"%s\" up", d->host_name, name);
	return 0;
}

int net_move_devices(const struct spec_net_device *devs, size_t n, int netns_fd, struct pith_error *err)
{
	if (n == 0)
		return 0;
	auto_nl host = { 0 };
	auto_nl ns = { 0 };
	int r = nl_open(&host);
	if (r < 0)
		return pith_fail(err, -r, "linux.netDevices: netlink socket");
	if (nl_open_in(&ns, netns_fd, err) < 0)
		return pith_wrap(err, "linux.netDevices");
	for (size_t i = 0; i < n; i++)
		if ((r = move_one(&host, &ns, &devs[i], netns_fd, err)) < 0)
			return r;
	return 0;
}
