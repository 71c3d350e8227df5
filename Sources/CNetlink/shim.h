// The C surface the Netlink module needs: libnl-route-3, plus the namespace and mount calls Swift's
// Glibc module does not offer.
//
// No _GNU_SOURCE here: it changes how glibc's headers declare shared types (fd_set and others), and Clang
// then rejects every Swift file that imports both this module and Glibc. The two GNU-only calls needed
// are declared directly instead.
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/neighbour.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

// MARK: Namespaces and mounts

extern int setns(int fd, int nstype);
extern int unshare(int flags);
#define CNL_CLONE_NEWNET 0x40000000

static inline int cnl_setns_net(int fd) { return setns(fd, CNL_CLONE_NEWNET); }

static inline int cnl_unshare_net(void) { return unshare(CNL_CLONE_NEWNET); }

/// 1 if `fd` refers to a network namespace, 0 if to another kind of namespace or to no namespace at all,
/// -1 (with errno) if the kernel could not tell.
static inline int cnl_is_network_namespace(int fd) {
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type >= 0) return type == CNL_CLONE_NEWNET;
    return errno == ENOTTY || errno == EINVAL ? 0 : -1;
}

/// A new descriptor for the network namespace that socket `fd` works on (SIOCGSKNS), or -1 with errno.
static inline int cnl_socket_namespace(int fd) { return ioctl(fd, SIOCGSKNS); }

static inline int cnl_mount_make_shared(const char *path) {
    return mount("", path, "none", MS_SHARED | MS_REC, NULL);
}

static inline int cnl_mount_bind(const char *source, const char *target, int recursive) {
    return mount(source, target, "none", MS_BIND | (recursive ? MS_REC : 0), NULL);
}

static inline int cnl_umount_detach(const char *path) { return umount2(path, MNT_DETACH); }

// MARK: Capabilities

/// 1 if the calling thread's effective capabilities include CAP_NET_ADMIN, 0 if they do not, -1 (with
/// errno) if the kernel could not say. glibc wraps no capget; libcap would be one more library.
static inline int cnl_has_effective_net_admin(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    return (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

// MARK: Kernel error capture

/// The last error the kernel reported on a socket: its errno and, when the kernel attached one,
/// the extended-ack message ("Nexthop has invalid gateway", ...). libnl alone keeps neither.
struct cnl_kernel_error {
    int error;
    char message[256];
};

static inline int cnl_error_handler(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg) {
    (void)who;
    struct cnl_kernel_error *slot = (struct cnl_kernel_error *)arg;
    slot->error = -err->error;
    slot->message[0] = '\0';

    // The nlmsgerr is the payload of the NLMSG_ERROR header right before it.
    const struct nlmsghdr *hdr = (const struct nlmsghdr *)((const char *)err - NLMSG_HDRLEN);
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return NL_STOP;

    size_t offset = sizeof(*err);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
    offset = NLMSG_ALIGN(offset);
    long length = (long)hdr->nlmsg_len - (long)NLMSG_HDRLEN - (long)offset;
    if (length <= 0) return NL_STOP;

    const struct nlattr *text = nla_find((const struct nlattr *)((const char *)err + offset),
                                         (int)length, NLMSGERR_ATTR_MSG);
    if (text && nla_len(text) > 0) {
        size_t n = (size_t)nla_len(text);
        if (n >= sizeof(slot->message)) n = sizeof(slot->message) - 1;
        memcpy(slot->message, nla_data(text), n);
        slot->message[n] = '\0';
    }
    return NL_STOP;
}

/// Routes the socket's kernel errors into `slot` and asks the kernel for extended-ack messages.
static inline int cnl_capture_errors(struct nl_sock *sock, struct cnl_kernel_error *slot) {
    int on = 1;
    int fd = nl_socket_get_fd(sock);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
    return nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, cnl_error_handler, slot);
}

// MARK: Messages

/// Starts a nested attribute flagged NLA_F_NESTED, which the kernel's strict parsers require.
static inline struct nlattr *cnl_nest_start(struct nl_msg *msg, int type) {
    return nla_nest_start(msg, type | NLA_F_NESTED);
}

// MARK: Removing a link

/// Sends the `length` bytes at `request` on netlink socket `fd` from a detached process, which waits
/// in that system call for as long as the kernel takes and then exits. Returns 0 once that process
/// exists, -1 if it could not be started.
///
/// The sender is a grandchild whose parent has already exited, so it belongs to init (or the nearest
/// subreaper) from the start and the caller is left with no child to reap. It closes standard input,
/// output and error first: a runtime reads a plugin's output until every copy of the pipe is closed,
/// and must not wait for the sender. It keeps every other descriptor open until it exits, so whatever
/// the kernel does when the last copy of one closes happens then, not when the caller exits. Only
/// async-signal-safe calls run in the forked processes.
static inline int cnl_send_detached(int fd, const void *request, size_t length) {
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        pid_t sender = fork();
        if (sender == 0) {
            close(0);
            close(1);
            close(2);
            (void)prctl(PR_SET_NAME, "cni-link-del", 0, 0, 0);
            (void)send(fd, request, length, 0);
        }
        _exit(sender < 0 ? 1 : 0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/// What the rtnetlink messages in `buffer` say about removing link `index` with the request numbered
/// `seq`: 1 if the link has left the namespace (its RTM_DELLINK, or the request's acknowledgement), 2 if
/// the kernel found no such link, the negative errno it refused the request with, or 0 if they say
/// nothing about it.
static inline int cnl_link_removal_outcome(const void *buffer, int length, int index, unsigned int seq) {
    for (const struct nlmsghdr *h = buffer; NLMSG_OK(h, length); h = NLMSG_NEXT(h, length)) {
        if (h->nlmsg_type == RTM_DELLINK && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
            const struct ifinfomsg *info = NLMSG_DATA(h);
            // Bridge port notifications (AF_BRIDGE) use RTM_DELLINK too; only the link's own counts.
            if (info->ifi_family == AF_UNSPEC && info->ifi_index == index) return 1;
        } else if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq) {
            const struct nlmsgerr *err = NLMSG_DATA(h);
            if (err->error == -ENODEV) return 2;
            return err->error == 0 ? 1 : err->error;
        }
    }
    return 0;
}
