/// The key of an array element in a coding path: `intValue` is the index, so a path prints as
/// `ranges[0][1]`.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `super`, under which `superEncoder()` and `superDecoder()` keep a superclass's members.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { guard stringValue == "super" else { return nil } }
    init?(intValue: Int) { nil }
}

extension Array<any CodingKey> {
    /// The coding path one level down, at `key`.
    func appending(_ key: any CodingKey) -> [any CodingKey] {
        var path = self
        path.append(key)
        return path
    }
}
