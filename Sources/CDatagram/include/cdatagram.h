#ifndef CDATAGRAM_H
#define CDATAGRAM_H

#include <stddef.h>
#include <sys/socket.h>

/* One datagram of a batch: its buffer, the length received or to send, and the peer. */
struct cdatagram {
    void *buffer;
    size_t capacity;
    size_t length;
    struct sockaddr_storage peer;
    socklen_t peer_length;
};

/* The batch calls need _GNU_SOURCE, which Swift's Glibc module is not built with. */
#define CDATAGRAM_BATCH_MAX 64

/* recvmmsg without blocking: the number of datagrams received (0 if none), or -1 with errno. */
int cdatagram_receive(int fd, struct cdatagram *datagrams, unsigned count);
/* sendmmsg without blocking: the number sent, or -1 with errno. */
int cdatagram_send(int fd, struct cdatagram *datagrams, unsigned count);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int cdatagram_accept(int fd, struct sockaddr_storage *peer, socklen_t *peer_length);

#endif
