import Glibc

/// An IPv4 or IPv6 socket address, convertible to and from the kernel's structures.
public struct SocketAddress: Hashable, Sendable {
    public let address: IPAddress
    public let port: UInt16

    /// Calls `body` with the address as a `sockaddr` and its length.
    public func withSockAddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch address {
        case .v4(let v4):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let v6):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: v6.bytes) }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Writes the address into `storage`, returning its length.
    public func write(to storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        withSockAddr { pointer, length in
            UnsafeMutableRawPointer(storage).copyMemory(from: pointer, byteCount: Int(length))
            return length
        }
    }

    /// Reads an AF_INET or AF_INET6 address; `nil` for any other family.
    public init?(_ storage: UnsafePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(storage).load(as: sockaddr_in.self)
            address = .v4(IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr)))
            port = UInt16(bigEndian: sin.sin_port)
        case AF_INET6:
            let sin6 = UnsafeRawPointer(storage).load(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            // A v4-mapped source on a v6 socket is the v4 client it stands for.
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                address = IPAddress(bytes: bytes[12...])!
            } else {
                address = IPAddress(bytes: bytes)!
            }
            port = UInt16(bigEndian: sin6.sin6_port)
        default:
            return nil
        }
    }

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }
}
