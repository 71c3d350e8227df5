import KV
import Testing

@Suite struct TransactionTests {
    @Test(arguments: Backend.allCases) func missingKeyComparesAsEmptyValueAndZeroRevisions(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let holding: [Compare] = [
                .createRevision("x", .equal, 0), .modRevision("x", .equal, 0),
                .version("x", .equal, 0), .absent("x"),
            ]
            for compare in holding {
                #expect(try store.commit(Transaction(compares: [compare])).succeeded, "\(compare)")
            }
            #expect(try !store.commit(Transaction(compares: [.version("x", .greater, 0)])).succeeded)
            // As in etcd, a value compare never holds for a missing key, not even against [].
            for compare: Compare in [.value("x", .equal, []), .value("x", .notEqual, "a".bytes), .value("x", .less, "a".bytes)] {
                #expect(try !store.commit(Transaction(compares: [compare])).succeeded, "\(compare)")
            }
        }
    }

    @Test(arguments: Backend.allCases, [
        (Compare.value("k", .equal, "bb".bytes), true),
        (.value("k", .notEqual, "bb".bytes), false),
        (.value("k", .greater, "b".bytes), true),
        (.value("k", .greater, "bc".bytes), false),
        (.value("k", .less, "c".bytes), true),
        (.value("k", .less, "ba".bytes), false),
        (.createRevision("k", .equal, 1), true),
        (.createRevision("k", .greater, 1), false),
        (.modRevision("k", .equal, 2), true),
        (.modRevision("k", .less, 2), false),
        (.modRevision("k", .greater, 1), true),
        (.version("k", .equal, 2), true),
        (.version("k", .notEqual, 2), false),
        (.absent("k"), false),
    ])
    func comparesAgainstStoredKey(_ backend: Backend, _ check: (compare: Compare, holds: Bool)) throws {
        try backend.withStore { store throws in
            try store.put("k", "a")
            try store.put("k", "bb")
            let result = try store.commit(Transaction(compares: [check.compare], success: [.get("k")],
                                                      failure: [.get("k")]))
            #expect(result.succeeded == check.holds)
        }
    }

    @Test(arguments: Backend.allCases) func successBranchWritesEverythingAtOneRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("old", "0")
            let result = try store.commit(Transaction(
                compares: [.absent("a"), .value("old", .equal, "0".bytes)],
                success: [.put("a", "1".bytes), .put("b", "2".bytes), .delete("old"), .get("a"), .range(prefix: "")],
                failure: [.put("failed", "1".bytes)]))

            #expect(result.succeeded)
            #expect(result.revision == 2)
            let a = KeyValue(key: "a", value: "1".bytes, createRevision: 2, modRevision: 2, version: 1)
            let b = KeyValue(key: "b", value: "2".bytes, createRevision: 2, modRevision: 2, version: 1)
            #expect(result.results == [.put, .put, .delete(1), .range([a]), .range([a, b])])
            #expect(try store.revision() == 2)
            #expect(try store.get("failed") == nil)
        }
    }

    @Test(arguments: Backend.allCases) func failureBranchRunsWhenAnyCompareFails(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            let result = try store.commit(Transaction(
                compares: [.absent("b"), .absent("a")],
                success: [.put("b", "1".bytes)],
                failure: [.get("a"), .put("conflict", "a".bytes)]))

            #expect(!result.succeeded)
            #expect(result.revision == 2)
            #expect(result.results == [
                .range([KeyValue(key: "a", value: "1".bytes, createRevision: 1, modRevision: 1, version: 1)]), .put,
            ])
            #expect(try store.get("b") == nil)
            #expect(try store.get("conflict")?.string == "a")
        }
    }

    @Test(arguments: Backend.allCases) func transactionThatWritesNothingKeepsTheRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            let result = try store.commit(Transaction(
                compares: [.absent("a")], success: [.put("b", "1".bytes)], failure: [.delete("missing"), .get("a")]))
            #expect(!result.succeeded)
            #expect(result.revision == 1)
            #expect(try store.revision() == 1)
        }
    }

    @Test(arguments: Backend.allCases) func writingOneKeyTwiceIsRefused(_ backend: Backend) throws {
        try backend.withStore { store throws in
            for branch: [KV.Operation] in [[.put("a", "1".bytes), .put("a", "2".bytes)], [.put("a", "1".bytes), .delete("a")],
                                           [.put("p/a", "1".bytes), .deletePrefix("p/")]] {
                #expect(throws: KVError.self) { try store.commit(Transaction(success: branch)) }
                #expect(throws: KVError.self) { try store.commit(Transaction(compares: [.absent("z")], failure: branch)) }
            }
            #expect(try store.revision() == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func prefixModRevisionsCompareSeesCreationsUnderThePrefix(_ backend: Backend) throws {
        try backend.withStore { store throws in
            let unchanged = Transaction(compares: [.modRevisions(prefix: "p/", .less, 2)])
            #expect(try store.commit(unchanged).succeeded)

            try store.put("p/a", "1")
            try store.put("q", "1")
            #expect(try store.commit(unchanged).succeeded)

            try store.put("p/b", "1")
            #expect(try !store.commit(unchanged).succeeded)
            #expect(try store.commit(Transaction(compares: [.modRevisions(prefix: "p/", .greater, 0)])).succeeded)
        }
    }

    @Test(arguments: Backend.allCases) func anEmptyKeyAbortsTheWholeTransaction(_ backend: Backend) throws {
        try backend.withStore { store throws in
            #expect(throws: KVError.invalidArgument("a key must not be empty")) {
                try store.commit(Transaction(success: [.put("a", "1".bytes), .put("", "1".bytes)]))
            }
            #expect(try store.get("a") == nil)
            #expect(try store.revision() == 0)
        }
    }
}
