#ifndef CSYSTEM_H
#define CSYSTEM_H

#include <stddef.h>
#include <sys/socket.h>

/* One datagram of a batch: its buffer, the length received or to send, and the peer. */
struct csystem_datagram {
    void *buffer;
    size_t capacity;
    size_t length;
    struct sockaddr_storage peer;
    socklen_t peer_length;
};

/* What Swift's Glibc module lacks: the batch calls and accept4 need _GNU_SOURCE, and malloc.h is not in it. */
#define CSYSTEM_BATCH_MAX 64

/* recvmmsg without blocking: the number of datagrams received (0 if none), or -1 with errno. */
int csystem_receive_datagrams(int fd, struct csystem_datagram *datagrams, unsigned count);
/* sendmmsg without blocking: the number sent, or -1 with errno. */
int csystem_send_datagrams(int fd, struct csystem_datagram *datagrams, unsigned count);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int csystem_accept(int fd, struct sockaddr_storage *peer, socklen_t *peer_length);

/* malloc_trim(0): returns the heap's free pages to the kernel. */
int csystem_trim_heap(void);

#endif
