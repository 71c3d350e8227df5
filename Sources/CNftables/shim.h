// The C surface the Firewall module needs: libnftnl (nf_tables objects, expressions, set elements)
// and libmnl (netlink sockets, batches, attribute parsing), plus the kernel's nf_tables and
// ctnetlink constants.
//
// _GNU_SOURCE stays undefined: with it glibc declares shared types (fd_set and others) differently,
// and Clang then rejects every Swift file that imports both this module and Glibc (see CNetlink).
// Nothing below needs a GNU-only declaration.
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
// glibc's in.h before any <linux/...> header, so linux/libc-compat.h keeps the kernel's copies of
// in_addr and friends out: Glibc's definitions are the ones Swift knows.
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

// Messages newer than the installed kernel headers (Linux 6.3): DESTROY is DELETE that succeeds
// when the object is already gone, which is what makes a repeated DEL harmless.
#ifndef NFT_MSG_DESTROYSETELEM
#define NFT_MSG_DESTROYSETELEM 30
#endif
static const uint16_t cnft_msg_destroysetelem = NFT_MSG_DESTROYSETELEM;

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

// MARK: Sockets

/// A netfilter netlink socket, bound, with extended-ack error messages on. NULL (with errno) on failure.
static inline struct mnl_socket *cnft_socket_open(void) {
    struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
    if (!nl) return NULL;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int saved = errno;
        mnl_socket_close(nl);
        errno = saved;
        return NULL;
    }
    int on = 1;
    (void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on));
    (void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof(on));
    return nl;
}

/// MNL_SOCKET_BUFFER_SIZE, a macro that calls sysconf.
static inline size_t cnft_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

// MARK: Message headers

/// The netlink header of an nf_tables request inside a batch (nftnl_nlmsg_build_hdr, with the
/// message type composed for the nf_tables subsystem).
static inline struct nlmsghdr *cnft_nftables_header(void *buffer, uint16_t type, uint16_t family,
                                                   uint16_t flags, uint32_t seq) {
    return nftnl_nlmsg_build_hdr((char *)buffer, type, family, flags, seq);
}

/// The header of a ctnetlink request: type is an IPCTNL_MSG_CT_* value.
static inline struct nlmsghdr *cnft_conntrack_header(void *buffer, uint16_t type, uint8_t family,
                                                    uint16_t flags, uint32_t seq) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buffer);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = family;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh;
}

/// The nf_tables message type of a reply (the low byte of nlmsg_type).
static inline uint16_t cnft_message_type(const struct nlmsghdr *nlh) { return nlh->nlmsg_type & 0xff; }

/// The address family of an nfnetlink message.
static inline uint8_t cnft_message_family(const struct nlmsghdr *nlh) {
    const struct nfgenmsg *nfh = mnl_nlmsg_get_payload(nlh);
    return nfh->nfgen_family;
}

/// CTA_FILTER_FLAG(x), a macro.
static inline uint32_t cnft_ct_filter_flag(uint32_t attribute) { return 1u << attribute; }

// MARK: Replies

/// What the kernel answered to one request of a batch: errno 0 for an ack, the error otherwise,
/// with the extended-ack message when the kernel gave one.
struct cnft_ack {
    uint32_t seq;
    int error;
    char message[200];
};

/// Decodes one NLMSG_ERROR message into `ack`. Returns 1 if `nlh` was one, 0 otherwise.
static inline int cnft_decode_ack(const struct nlmsghdr *nlh, struct cnft_ack *ack) {
    if (nlh->nlmsg_type != NLMSG_ERROR) return 0;
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    ack->seq = nlh->nlmsg_seq;
    ack->error = -err->error;
    ack->message[0] = '\0';
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return 1;

    size_t offset = sizeof(*err);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
    offset = NLMSG_ALIGN(offset);
    const struct nlattr *attr;
    const char *start = (const char *)err;
    const char *end = (const char *)nlh + nlh->nlmsg_len;
    for (attr = (const struct nlattr *)(start + offset);
         (const char *)attr + sizeof(*attr) <= end && attr->nla_len >= sizeof(*attr)
             && (const char *)attr + attr->nla_len <= end;
         attr = (const struct nlattr *)((const char *)attr + NLMSG_ALIGN(attr->nla_len))) {
        if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG) continue;
        size_t n = mnl_attr_get_payload_len(attr);
        if (n >= sizeof(ack->message)) n = sizeof(ack->message) - 1;
        memcpy(ack->message, mnl_attr_get_payload(attr), n);
        ack->message[n] = '\0';
        break;
    }
    return 1;
}

/// The next message in a receive buffer, or NULL past its end (mnl_nlmsg_ok/mnl_nlmsg_next).
static inline const struct nlmsghdr *cnft_next_message(const struct nlmsghdr *nlh, int *remaining) {
    const struct nlmsghdr *next = mnl_nlmsg_next(nlh, remaining);
    return mnl_nlmsg_ok(next, *remaining) ? next : NULL;
}

static inline const struct nlmsghdr *cnft_first_message(const void *buffer, int length) {
    const struct nlmsghdr *nlh = buffer;
    return mnl_nlmsg_ok(nlh, length) ? nlh : NULL;
}
