import Addressing

/// What one owner has in the firewall, kept in the table itself: elements of the `owners` set,
/// keyed by `FirewallOwner.recordKey`, whose user data holds the owner's entries. It is written in
/// the same batch as the elements it describes, so it can never disagree with them, and finding an
/// owner's elements is one lookup however many containers there are.
///
/// An element's user data is limited (see `UserData.maximumLength`), so a long list (many published ports) is split
/// into chunks, numbered in the key; chunk 0 says how many there are.
struct OwnerRecord: Equatable {
    let owner: FirewallOwner
    let entries: [FirewallEntry]

    static let maximumChunks = 36
    private static let version: UInt8 = 1

    /// The user data of every element: nftables' comment TLV, which `nft list` prints.
    static func comment(_ owner: FirewallOwner) -> [UInt8] {
        let text = Array(owner.text.utf8) + [0]
        return [UserData.comment, UInt8(text.count)] + text
    }

    /// The record's elements in the `owners` set, each with its chunk of the encoded entries.
    func elements() throws -> [(key: [UInt8], userData: [UInt8])] {
        var writer = ByteWriter()
        for entry in entries { writer.write(entry) }
        let comment = Self.comment(owner)
        let room = UserData.maximumLength - comment.count - 2 - 3
        let payload = writer.bytes
        let chunks = stride(from: 0, to: max(payload.count, 1), by: room).map {
            Array(payload[$0..<min($0 + room, payload.count)])
        }
        guard chunks.count <= Self.maximumChunks else {
            throw FirewallError.tooLarge("\(owner): \(entries.count) entries do not fit in \(Self.maximumChunks) records")
        }
        return chunks.enumerated().map { index, chunk in
            let body = [Self.version, UInt8(index), UInt8(chunks.count)] + chunk
            return (owner.recordKey(chunk: index), comment + [UserData.record, UInt8(body.count)] + body)
        }
    }

    /// The chunk count chunk 0 announces, or `nil` if its user data is not a record of ours.
    static func chunkCount(userData: [UInt8]) -> Int? {
        guard let body = UserData.value(of: UserData.record, in: userData), body.count >= 3,
              body[0] == version, body[1] == 0 else { return nil }
        return Int(body[2])
    }

    /// Decodes a record from the user data of its chunks, in order.
    init(chunks: [[UInt8]]) throws {
        guard let first = chunks.first,
              let text = UserData.value(of: UserData.comment, in: first).map({ String(decoding: $0.dropLast(), as: UTF8.self) }),
              let owner = FirewallOwner(text: text) else {
            throw FirewallError.corruptRecord("an owner record without a readable owner")
        }
        var payload: [UInt8] = []
        for (index, chunk) in chunks.enumerated() {
            guard let body = UserData.value(of: UserData.record, in: chunk), body.count >= 3, body[0] == Self.version,
                  Int(body[1]) == index, Int(body[2]) == chunks.count else {
                throw FirewallError.corruptRecord("record chunk \(index) of \(owner) is unreadable")
            }
            payload += body[3...]
        }
        var reader = ByteReader(payload)
        var entries: [FirewallEntry] = []
        while !reader.atEnd {
            guard let entry = reader.readEntry() else {
                throw FirewallError.corruptRecord("the record of \(owner) has an entry this version cannot read")
            }
            entries.append(entry)
        }
        self.owner = owner
        self.entries = entries
    }

    init(owner: FirewallOwner, entries: [FirewallEntry]) {
        self.owner = owner
        self.entries = entries
    }
}

/// libnftnl's user data layout: type-length-value, one byte each for type and length.
enum UserData {
    /// NFT_USERDATA_MAXLEN is 256, but Linux 6.18 stores an element's user data only when the
    /// whole element stays smaller than that (it dropped 256 bytes beside a 16-byte key without an
    /// error, and kept 240): stay well below.
    static let maximumLength = 224
    /// NFTNL_UDATA_SET_ELEM_COMMENT.
    static let comment: UInt8 = 0
    /// Ours; nftables ignores types it does not know.
    static let record: UInt8 = 0xc5

    static func value(of type: UInt8, in data: [UInt8]) -> [UInt8]? {
        var index = 0
        while index + 2 <= data.count {
            let length = Int(data[index + 1])
            guard index + 2 + length <= data.count else { return nil }
            if data[index] == type { return Array(data[(index + 2)..<(index + 2 + length)]) }
            index += 2 + length
        }
        return nil
    }
}

// MARK: - Entry encoding

private enum Tag: UInt8 {
    case sameNetwork = 1, masquerade, isolate, spoofCheck, publish, masqueradePublished, tunnelSources
}

struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ entry: FirewallEntry) {
        switch entry {
        case .sameNetwork(let address):
            bytes.append(Tag.sameNetwork.rawValue)
            write(address.address)
            bytes.append(UInt8(address.prefixLength))
        case .masquerade(let address):
            bytes.append(Tag.masquerade.rawValue)
            write(address)
        case .isolate(let address):
            bytes.append(Tag.isolate.rawValue)
            write(address)
        case let .spoofCheck(port, mac):
            bytes.append(Tag.spoofCheck.rawValue)
            write(port)
            bytes += mac.bytes
        case .publish(let forward):
            bytes.append(Tag.publish.rawValue)
            bytes.append(forward.proto.number)
            write(forward.hostPort)
            write(forward.containerPort)
            if let host = forward.hostAddress { write(host) } else { bytes.append(0) }
            write(forward.container)
        case let .masqueradePublished(source, container):
            bytes.append(Tag.masqueradePublished.rawValue)
            write(source.network)
            bytes.append(UInt8(source.prefixLength))
            write(container)
        case let .tunnelSources(port, network):
            bytes.append(Tag.tunnelSources.rawValue)
            write(port)
            write(network.network)
            bytes.append(UInt8(network.prefixLength))
        }
    }

    private mutating func write(_ name: InterfaceName) {
        let text = Array(name.rawValue.utf8)
        bytes.append(UInt8(text.count))
        bytes += text
    }

    private mutating func write(_ address: IPAddress) {
        bytes.append(address.family == .ipv4 ? 4 : 6)
        bytes += address.bytes
    }

    private mutating func write(_ value: UInt16) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
    }
}

struct ByteReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    mutating func readEntry() -> FirewallEntry? {
        guard let tag = byte().flatMap(Tag.init) else { return nil }
        switch tag {
        case .sameNetwork:
            guard let address = address(), let prefix = byte(), Int(prefix) <= address.bitWidth else { return nil }
            return .sameNetwork(InterfaceAddress(address: address, prefixLength: Int(prefix)))
        case .masquerade:
            return address().map(FirewallEntry.masquerade)
        case .isolate:
            return address().map(FirewallEntry.isolate)
        case .spoofCheck:
            guard let port = interfaceName(), let macBytes = take(6), let mac = MACAddress(bytes: macBytes) else { return nil }
            return .spoofCheck(port: port, mac: mac)
        case .publish:
            guard let number = byte(), let proto = TransportProtocol(number: number), let hostPort = uint16(),
                  let containerPort = uint16(), let host = optionalAddress(), let container = address(),
                  let forward = PortForward(hostAddress: host, proto: proto, hostPort: hostPort, container: container,
                                            containerPort: containerPort) else { return nil }
            return .publish(forward)
        case .masqueradePublished:
            guard let network = address(), let prefix = byte(), Int(prefix) <= network.bitWidth,
                  let container = address() else { return nil }
            return .masqueradePublished(source: Subnet(containing: network, prefixLength: Int(prefix)),
                                        container: container)
        case .tunnelSources:
            guard let port = interfaceName(), let network = address(), let prefix = byte(), Int(prefix) <= network.bitWidth
            else { return nil }
            return .tunnelSources(port: port, network: Subnet(containing: network, prefixLength: Int(prefix)))
        }
    }

    private mutating func byte() -> UInt8? { take(1)?.first }

    private mutating func interfaceName() -> InterfaceName? {
        guard let length = byte(), let name = take(Int(length)) else { return nil }
        return InterfaceName(String(decoding: name, as: UTF8.self))
    }

    private mutating func uint16() -> UInt16? {
        take(2).map { UInt16($0[$0.startIndex]) << 8 | UInt16($0[$0.startIndex + 1]) }
    }

    private mutating func address() -> IPAddress? {
        switch byte() {
        case 4: take(4).flatMap { IPAddress(bytes: $0) }
        case 6: take(16).flatMap { IPAddress(bytes: $0) }
        default: nil
        }
    }

    /// `.some(nil)` for an encoded absence, `nil` for garbage.
    private mutating func optionalAddress() -> IPAddress?? {
        if index < bytes.count, bytes[index] == 0 {
            index += 1
            return .some(nil)
        }
        return address().map { .some($0) }
    }

    private mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard index + count <= bytes.count else { return nil }
        defer { index += count }
        return bytes[index..<(index + count)]
    }
}
