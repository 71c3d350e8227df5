import DNSWire

/// libFuzzer's entry point for the DNS wire format: every input is one received message, as a
/// client or an upstream sends it.
///
/// Besides not crashing or hanging, what parses must encode again, and that encoding must parse to
/// the same message (names compare ignoring case; compression may differ, so bytes may not);
/// encoding to 512 octets must give at most 512 octets that parse, with TC if answers were left out.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNS(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DNSMessage(parsing: bytes) else { return 0 }
    do {
        var expected = message
        expected.header.additionalCount = UInt16(message.additionals.count + (message.edns == nil ? 0 : 1))
        let again = try DNSMessage(parsing: try message.encoded())
        precondition(again == expected, "re-encoded message differs")
        if let small = try? message.encoded(limit: DNSMessage.classicUDPSize) {
            precondition(small.count <= DNSMessage.classicUDPSize, "encoding exceeded its limit")
            let cut = try DNSMessage(parsing: small)
            precondition(cut.answers.count == message.answers.count || cut.header.isTruncated,
                         "answers left out without TC")
        }
    } catch {
        preconditionFailure("a parsed message did not round-trip: \(error)")
    }
    return 0
}
