#define _GNU_SOURCE
#include <netlink/netlink.h>
#include <netlink/route/link.h>
