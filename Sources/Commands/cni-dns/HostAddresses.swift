import Addressing
import Glibc

/// The addresses of this host's (this network namespace's) interfaces: the gateways the responder
/// may listen on. Sockets bind with IP_FREEBIND, so binding alone would not tell another host's
/// gateway (routed mode) from ours.
enum HostAddresses {
    static func current() -> Set<IPAddress> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: Set<IPAddress> = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ifa_addr {
                var storage = sockaddr_storage()
                let length = address.pointee.sa_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
                if address.pointee.sa_family == sa_family_t(AF_INET) || address.pointee.sa_family == sa_family_t(AF_INET6) {
                    withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length)) }
                    if let socketAddress = SocketAddress(&storage) { found.insert(socketAddress.address) }
                }
            }
            entry = current.pointee.ifa_next
        }
        return found
    }
}
