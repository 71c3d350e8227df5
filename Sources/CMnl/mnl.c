// The part of libmnl's API that libnftnl and the Firewall module use, for static executables.
//
// Debian's libmnl-dev ships only the shared library, and our release plugins link fully static
// (see Package.swift), so libnftnl.a's references to mnl_* must be met from source. These are the
// documented semantics of libmnl 1.0 (netlink message and attribute helpers, batches, sockets,
// the callback runner), written against its own header so the signatures cannot drift.
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

// MARK: Messages

size_t mnl_nlmsg_size(size_t len) { return len + MNL_NLMSG_HDRLEN; }

size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh) { return nlh->nlmsg_len - MNL_NLMSG_HDRLEN; }

struct nlmsghdr *mnl_nlmsg_put_header(void *buf) {
    struct nlmsghdr *nlh = buf;
    memset(buf, 0, MNL_NLMSG_HDRLEN);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
    return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size) {
    char *ptr = (char *)nlh + nlh->nlmsg_len;
    size_t len = MNL_ALIGN(size);
    nlh->nlmsg_len += len;
    memset(ptr, 0, len);
    return ptr;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh) { return (char *)nlh + MNL_NLMSG_HDRLEN; }

void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset) {
    return (char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(offset);
}

void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh) { return (char *)nlh + MNL_ALIGN(nlh->nlmsg_len); }

bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len) {
    return len >= (int)sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr)
        && (int)nlh->nlmsg_len <= len;
}

struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len) {
    *len -= MNL_ALIGN(nlh->nlmsg_len);
    return (struct nlmsghdr *)((char *)nlh + MNL_ALIGN(nlh->nlmsg_len));
}

// MARK: Attributes

uint16_t mnl_attr_get_type(const struct nlattr *attr) { return attr->nla_type & NLA_TYPE_MASK; }

uint16_t mnl_attr_get_len(const struct nlattr *attr) { return attr->nla_len; }

uint16_t mnl_attr_get_payload_len(const struct nlattr *attr) { return attr->nla_len - MNL_ATTR_HDRLEN; }

void *mnl_attr_get_payload(const struct nlattr *attr) { return (char *)attr + MNL_ATTR_HDRLEN; }

bool mnl_attr_ok(const struct nlattr *attr, int len) {
    return len >= (int)sizeof(struct nlattr) && attr->nla_len >= sizeof(struct nlattr) && (int)attr->nla_len <= len;
}

struct nlattr *mnl_attr_next(const struct nlattr *attr) {
    return (struct nlattr *)((char *)attr + MNL_ALIGN(attr->nla_len));
}

int mnl_attr_type_valid(const struct nlattr *attr, uint16_t max) {
    if (mnl_attr_get_type(attr) > max) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return 1;
}

static const size_t fixed_lengths[MNL_TYPE_MAX] = {
    [MNL_TYPE_U8] = 1, [MNL_TYPE_U16] = 2, [MNL_TYPE_U32] = 4, [MNL_TYPE_U64] = 8, [MNL_TYPE_MSECS] = 8,
};

static int validate(const struct nlattr *attr, enum mnl_attr_data_type type, size_t expected) {
    uint16_t len = mnl_attr_get_payload_len(attr);
    const char *data = mnl_attr_get_payload(attr);
    if (len < expected) {
        errno = ERANGE;
        return -1;
    }
    switch (type) {
    case MNL_TYPE_FLAG:
        if (len > 0) { errno = ERANGE; return -1; }
        break;
    case MNL_TYPE_NUL_STRING:
        if (len == 0) { errno = ERANGE; return -1; }
        if (data[len - 1] != '\0') { errno = EINVAL; return -1; }
        break;
    case MNL_TYPE_STRING:
        if (len == 0) { errno = ERANGE; return -1; }
        break;
    case MNL_TYPE_NESTED:
        if (len != 0 && len < MNL_ATTR_HDRLEN) { errno = ERANGE; return -1; }
        break;
    default:
        break;
    }
    if (expected && len > expected) {
        errno = ERANGE;
        return -1;
    }
    return 0;
}

int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type) {
    if (type >= MNL_TYPE_MAX) {
        errno = EINVAL;
        return -1;
    }
    return validate(attr, type, fixed_lengths[type]);
}

int mnl_attr_validate2(const struct nlattr *attr, enum mnl_attr_data_type type, size_t len) {
    if (type >= MNL_TYPE_MAX) {
        errno = EINVAL;
        return -1;
    }
    return validate(attr, type, len);
}

int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data) {
    int ret = MNL_CB_OK;
    const struct nlattr *attr;
    mnl_attr_for_each(attr, nlh, offset) {
        if ((ret = cb(attr, data)) <= MNL_CB_STOP) return ret;
    }
    return ret;
}

int mnl_attr_parse_nested(const struct nlattr *nested, mnl_attr_cb_t cb, void *data) {
    int ret = MNL_CB_OK;
    const struct nlattr *attr;
    mnl_attr_for_each_nested(attr, nested) {
        if ((ret = cb(attr, data)) <= MNL_CB_STOP) return ret;
    }
    return ret;
}

uint8_t mnl_attr_get_u8(const struct nlattr *attr) { return *(const uint8_t *)mnl_attr_get_payload(attr); }

uint16_t mnl_attr_get_u16(const struct nlattr *attr) {
    uint16_t value;
    memcpy(&value, mnl_attr_get_payload(attr), sizeof(value));
    return value;
}

uint32_t mnl_attr_get_u32(const struct nlattr *attr) {
    uint32_t value;
    memcpy(&value, mnl_attr_get_payload(attr), sizeof(value));
    return value;
}

uint64_t mnl_attr_get_u64(const struct nlattr *attr) {
    uint64_t value;
    memcpy(&value, mnl_attr_get_payload(attr), sizeof(value));
    return value;
}

const char *mnl_attr_get_str(const struct nlattr *attr) { return mnl_attr_get_payload(attr); }

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data) {
    struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
    uint16_t attr_len = MNL_ATTR_HDRLEN + len;
    attr->nla_type = type;
    attr->nla_len = attr_len;
    memcpy(mnl_attr_get_payload(attr), data, len);
    size_t pad = MNL_ALIGN(len) - len;
    if (pad > 0) memset((char *)mnl_attr_get_payload(attr) + len, 0, pad);
    nlh->nlmsg_len += MNL_ALIGN(attr_len);
}

void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data) { mnl_attr_put(nlh, type, sizeof(data), &data); }
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data) { mnl_attr_put(nlh, type, sizeof(data), &data); }
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data) { mnl_attr_put(nlh, type, sizeof(data), &data); }
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data) { mnl_attr_put(nlh, type, sizeof(data), &data); }
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data) { mnl_attr_put(nlh, type, strlen(data), data); }
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data) {
    mnl_attr_put(nlh, type, strlen(data) + 1, data);
}

struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type) {
    struct nlattr *start = mnl_nlmsg_get_payload_tail(nlh);
    start->nla_type = NLA_F_NESTED | type;
    nlh->nlmsg_len += MNL_ALIGN(sizeof(struct nlattr));
    return start;
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start) {
    start->nla_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)start;
}

// MARK: Batches

struct mnl_nlmsg_batch {
    void *buf;
    size_t limit;
    size_t buflen;
    void *cur;
    bool overflow;
};

struct mnl_nlmsg_batch *mnl_nlmsg_batch_start(void *buf, size_t limit) {
    struct mnl_nlmsg_batch *b = malloc(sizeof(*b));
    if (!b) return NULL;
    b->buf = buf;
    b->limit = limit;
    b->buflen = 0;
    b->cur = buf;
    b->overflow = false;
    return b;
}

void mnl_nlmsg_batch_stop(struct mnl_nlmsg_batch *b) { free(b); }

bool mnl_nlmsg_batch_next(struct mnl_nlmsg_batch *b) {
    struct nlmsghdr *nlh = b->cur;
    if (b->buflen + nlh->nlmsg_len > b->limit) {
        b->overflow = true;
        return false;
    }
    b->cur = (char *)b->buf + b->buflen + nlh->nlmsg_len;
    b->buflen += nlh->nlmsg_len;
    return true;
}

size_t mnl_nlmsg_batch_size(struct mnl_nlmsg_batch *b) { return b->buflen; }
void *mnl_nlmsg_batch_head(struct mnl_nlmsg_batch *b) { return b->buf; }
void *mnl_nlmsg_batch_current(struct mnl_nlmsg_batch *b) { return b->cur; }
bool mnl_nlmsg_batch_is_empty(struct mnl_nlmsg_batch *b) { return b->buflen == 0; }

// MARK: Callbacks

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid, mnl_cb_t cb_data,
               void *data) {
    int ret = MNL_CB_OK, len = numbytes;
    const struct nlmsghdr *nlh = buf;
    while (mnl_nlmsg_ok(nlh, len)) {
        if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid) {
            errno = ESRCH;
            return -1;
        }
        if (nlh->nlmsg_seq && seq && nlh->nlmsg_seq != seq) {
            errno = EPROTO;
            return -1;
        }
        if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
            errno = EINTR;
            return -1;
        }
        if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
            if (cb_data) {
                ret = cb_data(nlh, data);
                if (ret <= MNL_CB_STOP) return ret;
            }
        } else if (nlh->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
            if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
                errno = EBADMSG;
                return MNL_CB_ERROR;
            }
            errno = err->error < 0 ? -err->error : err->error;
            return err->error == 0 ? MNL_CB_STOP : MNL_CB_ERROR;
        } else if (nlh->nlmsg_type == NLMSG_DONE) {
            return MNL_CB_STOP;
        }
        nlh = mnl_nlmsg_next(nlh, &len);
    }
    return ret;
}

// MARK: Sockets

struct mnl_socket {
    int fd;
    struct sockaddr_nl addr;
};

struct mnl_socket *mnl_socket_open(int bus) {
    struct mnl_socket *nl = calloc(1, sizeof(*nl));
    if (!nl) return NULL;
    nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
    if (nl->fd == -1) {
        free(nl);
        return NULL;
    }
    return nl;
}

int mnl_socket_get_fd(const struct mnl_socket *nl) { return nl->fd; }

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl) { return nl->addr.nl_pid; }

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid) {
    nl->addr.nl_family = AF_NETLINK;
    nl->addr.nl_groups = groups;
    nl->addr.nl_pid = pid;
    if (bind(nl->fd, (struct sockaddr *)&nl->addr, sizeof(nl->addr)) < 0) return -1;
    socklen_t addr_len = sizeof(nl->addr);
    if (getsockname(nl->fd, (struct sockaddr *)&nl->addr, &addr_len) < 0) return -1;
    if (addr_len != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len) {
    static const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    return sendto(nl->fd, buf, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t bufsiz) {
    struct sockaddr_nl addr;
    struct iovec iov = {.iov_base = buf, .iov_len = bufsiz};
    struct msghdr msg = {.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t ret = recvmsg(nl->fd, &msg, 0);
    if (ret == -1) return ret;
    if (msg.msg_flags & MSG_TRUNC) {
        errno = ENOSPC;
        return -1;
    }
    if (msg.msg_namelen != sizeof(struct sockaddr_nl)) {
        errno = EINVAL;
        return -1;
    }
    return ret;
}

int mnl_socket_close(struct mnl_socket *nl) {
    int ret = close(nl->fd);
    free(nl);
    return ret;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len) {
    return setsockopt(nl->fd, SOL_NETLINK, type, buf, len);
}
