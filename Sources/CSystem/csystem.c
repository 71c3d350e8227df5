#define _GNU_SOURCE
#include "csystem.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <sys/uio.h>

/* Points each header at its datagram's buffer and peer; `receiving` offers the whole buffer and
   peer storage, otherwise the length and peer to send. Returns the count, capped at the batch size. */
static unsigned prepare(struct mmsghdr *headers, struct iovec *vectors, struct csystem_datagram *datagrams,
                        unsigned count, int receiving) {
    if (count > CSYSTEM_BATCH_MAX) count = CSYSTEM_BATCH_MAX;
    memset(headers, 0, sizeof(headers[0]) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = datagrams[i].buffer;
        vectors[i].iov_len = receiving ? datagrams[i].capacity : datagrams[i].length;
        headers[i].msg_hdr.msg_name = &datagrams[i].peer;
        headers[i].msg_hdr.msg_namelen = receiving ? sizeof(datagrams[i].peer) : datagrams[i].peer_length;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    return count;
}

int csystem_receive_datagrams(int fd, struct csystem_datagram *datagrams, unsigned count) {
    struct mmsghdr headers[CSYSTEM_BATCH_MAX];
    struct iovec vectors[CSYSTEM_BATCH_MAX];
    count = prepare(headers, vectors, datagrams, count, 1);
    int received = recvmmsg(fd, headers, count, MSG_DONTWAIT, NULL);
    if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    for (int i = 0; i < received; i++) {
        datagrams[i].length = headers[i].msg_len;
        datagrams[i].peer_length = headers[i].msg_hdr.msg_namelen;
    }
    return received;
}

int csystem_send_datagrams(int fd, struct csystem_datagram *datagrams, unsigned count) {
    struct mmsghdr headers[CSYSTEM_BATCH_MAX];
    struct iovec vectors[CSYSTEM_BATCH_MAX];
    count = prepare(headers, vectors, datagrams, count, 0);
    return sendmmsg(fd, headers, count, MSG_DONTWAIT);
}

int csystem_accept(int fd, struct sockaddr_storage *peer, socklen_t *peer_length) {
    *peer_length = sizeof(*peer);
    return accept4(fd, (struct sockaddr *)peer, peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int csystem_trim_heap(void) {
    return malloc_trim(0);
}
