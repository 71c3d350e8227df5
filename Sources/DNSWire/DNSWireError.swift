/// Why a DNS message could not be read or written. Every malformed input ends in one of these,
/// never in a trap or an unbounded loop.
public enum DNSWireError: Error, Equatable, Sendable {
    /// The message ended inside the named part (header, name, question, record).
    case truncated(String)
    /// A label longer than 63 octets, or a label type other than a plain length or a pointer.
    case badLabel
    /// A name longer than 255 octets on the wire.
    case nameTooLong
    /// A compression pointer that does not point strictly backwards, or more jumps than a name can need.
    case badPointer
    /// A count in the header that the message cannot hold, or more records than `limit` allows.
    case badCount
    /// Record data whose length does not fit its type (an A record of 5 octets).
    case badRecordData
    /// More than one OPT record, or one outside the additional section.
    case badOPT
    /// A message too large for the wire even without its records.
    case tooLarge
}
