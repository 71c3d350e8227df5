import Addressing
import Glibc

/// The UDP and TCP sockets on port 53 of one gateway address.
struct Listener {
    let address: IPAddress
    let udp: Int32
    let tcp: Int32

    static let port: UInt16 = 53

    /// Binds both sockets on `address`. IP_FREEBIND lets a v6 gateway still in DAD (tentative) bind.
    static func bind(_ address: IPAddress, port: UInt16 = Listener.port) throws(SystemCallError) -> Listener {
        let udp = try open(address, SOCK_DGRAM, port: port)
        let tcp: Int32
        do {
            tcp = try open(address, SOCK_STREAM, port: port)
        } catch {
            Glibc.close(udp)
            throw error
        }
        guard listen(tcp, 128) == 0 else {
            let error = SystemCallError("listen")
            Glibc.close(tcp)
            Glibc.close(udp)
            throw error
        }
        return Listener(address: address, udp: udp, tcp: tcp)
    }

    private static func open(_ address: IPAddress, _ type: __socket_type, port: UInt16) throws(SystemCallError) -> Int32 {
        let family = address.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemCallError("socket") }
        if family == AF_INET6 {
            setOption(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY)
            setOption(descriptor, Int32(IPPROTO_IPV6), 78)  // IPV6_FREEBIND
        } else {
            setOption(descriptor, Int32(IPPROTO_IP), IP_FREEBIND)
        }
        if type == SOCK_STREAM { setOption(descriptor, SOL_SOCKET, SO_REUSEADDR) }
        let result = SocketAddress(address: address, port: port).withSockAddr { Glibc.bind(descriptor, $0, $1) }
        guard result == 0 else {
            let error = SystemCallError("bind \(address) port \(port)")
            Glibc.close(descriptor)
            throw error
        }
        return descriptor
    }

    func close() {
        Glibc.close(udp)
        Glibc.close(tcp)
    }
}
