#ifndef MIGFW_CNFTNL_SHIM_H
#define MIGFW_CNFTNL_SHIM_H
// Order matters: the socket and netinet headers must come before linux/netfilter.h,
// which pulls linux/in.h and otherwise clashes with glibc's definitions.
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <sys/types.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <errno.h>
#include <time.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/gen.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <sys/syscall.h>

// setns(2) is only declared under _GNU_SOURCE, and open(2) is variadic (not importable):
// two thin wrappers keep both out of Swift's way.
static inline int migfw_setns_net(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */);
}
static inline int migfw_open_readonly(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC);
}
// recvmmsg(2) and struct mmsghdr are only declared under _GNU_SOURCE too: the kernel's
// layout of one received message, and a wrapper that waits for the first datagram only
// (MSG_WAITFORONE) and then takes whatever else is queued.
struct migfw_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
static inline int migfw_recv_queued(int fd, struct migfw_mmsghdr *messages, unsigned int count) {
    return (int)syscall(SYS_recvmmsg, fd, messages, count, 0x10000 /* MSG_WAITFORONE */, (void *)0);
}
#endif
