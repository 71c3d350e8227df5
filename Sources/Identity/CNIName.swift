/// The character rule CNI gives container IDs and network names (libcni's), with a length limit of
/// ours: every encoding of an attachment (the host link alias, the firewall owner text) must hold
/// the whole of both names.
enum CNIName {
    static func problem(with text: String, maximumLength: Int) -> String? {
        guard let first = text.utf8.first, isAlphanumeric(first),
              text.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                  || $0 == UInt8(ascii: "-") })
        else { return "must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$" }
        guard text.utf8.count <= maximumLength else {
            return "is \(text.utf8.count) bytes long; at most \(maximumLength) are allowed"
        }
        return nil
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }
}
