/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var recordClass: UInt16

    public init(name: DNSName, type: DNSType, recordClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}
