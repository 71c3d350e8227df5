import KV
import Testing

@Suite struct KeyValueOperationTests {
    @Test(arguments: Backend.allCases) func putAndGetTrackRevisionsAndVersions(_ backend: Backend) throws {
        try backend.withStore { store throws in
            #expect(try store.revision() == 0)
            #expect(try store.get("a") == nil)

            #expect(try store.put("a", "1") == 1)
            #expect(try store.put("b", "2") == 2)
            #expect(try store.put("a", "3") == 3)
            #expect(try store.get("a") == KeyValue(key: "a", value: "3".bytes, createRevision: 1, modRevision: 3, version: 2))
            #expect(try store.get("b") == KeyValue(key: "b", value: "2".bytes, createRevision: 2, modRevision: 2, version: 1))
            #expect(try store.revision() == 3)
        }
    }

    @Test(arguments: Backend.allCases) func deleteBumpsOnlyWhenSomethingIsDeleted(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            #expect(try store.delete("a") == 1)
            #expect(try store.revision() == 2)
            #expect(try store.get("a") == nil)

            #expect(try store.delete("a") == 0)
            #expect(try store.delete("never") == 0)
            #expect(try store.revision() == 2)
        }
    }

    @Test(arguments: Backend.allCases) func recreatedKeyStartsOver(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("a", "1")
            try store.put("a", "2")
            try store.delete("a")
            #expect(try store.put("a", "3") == 4)
            #expect(try store.get("a") == KeyValue(key: "a", value: "3".bytes, createRevision: 4, modRevision: 4, version: 1))
        }
    }

    @Test(arguments: Backend.allCases) func rangeReturnsExactlyThePrefixInByteOrder(_ backend: Backend) throws {
        try backend.withStore { store throws in
            for key in ["q", "p/é", "p/b", "p0", "p/", "o", "p/z/1", "p/a", "p"] {
                try store.put(key, key)
            }
            let result = try store.range(prefix: "p/")
            #expect(result.kvs.map(\.key) == ["p/", "p/a", "p/b", "p/z/1", "p/é"])
            #expect(result.kvs.allSatisfy { $0.string == $0.key })
            #expect(result.revision == 9)

            #expect(try store.range(prefix: "").kvs.map(\.key) == ["o", "p", "p/", "p/a", "p/b", "p/z/1", "p/é", "p0", "q"])
            #expect(try store.range(prefix: "p/é").kvs.map(\.key) == ["p/é"])
            #expect(try store.range(prefix: "x") == RangeResult(kvs: [], revision: 9))
        }
    }

    @Test(arguments: Backend.allCases) func pagedRangeHandsOverThePrefixInPagesOfAtMostTheLimit(_ backend: Backend) throws {
        try backend.withStore { store throws in
            for key in ["q", "p/é", "p/b", "p0", "p/", "o", "p/z/1", "p/a", "p"] {
                try store.put(key, key)
            }
            func pages(_ prefix: String, limit: Int) throws -> (pages: [[String]], revision: Int64) {
                var pages: [[String]] = []
                let revision = try store.range(prefix: prefix, limit: limit) { pages.append($0.map(\.key)) }
                return (pages, revision)
            }
            let two = try pages("p/", limit: 2)
            #expect(two.pages == [["p/", "p/a"], ["p/b", "p/z/1"], ["p/é"]])
            #expect(two.revision == 9)
            #expect(try pages("p/", limit: 5).pages == [["p/", "p/a", "p/b", "p/z/1", "p/é"]])
            #expect(try pages("", limit: 4).pages == [["o", "p", "p/", "p/a"], ["p/b", "p/z/1", "p/é", "p0"], ["q"]])
            #expect(try pages("x", limit: 1) == ([], 9))
            #expect(throws: KVError.invalidArgument("a range page limit must be positive, not 0")) {
                try store.range(prefix: "p/", limit: 0) { _ in }
            }
        }
    }

    @Test(arguments: Backend.allCases) func pagedRangeReadsOneRevisionWhileOthersWrite(_ backend: Backend) throws {
        try backend.withConnections { connect throws in
            let store = try connect(), writer = try connect()
            for key in ["a/1", "a/2", "a/3", "a/4"] {
                try store.put(key, "old")
            }
            var seen: [KeyValue] = []
            let revision = try store.range(prefix: "a/", limit: 2) { page in
                if seen.isEmpty {
                    try writer.put("a/3", "new")
                    try writer.delete("a/4")
                    try writer.put("a/5", "new")
                }
                seen += page
            }
            #expect(revision == 4)
            #expect(seen.map(\.key) == ["a/1", "a/2", "a/3", "a/4"])
            #expect(seen.allSatisfy { $0.string == "old" })
            #expect(try store.range(prefix: "a/").kvs.map(\.string) == ["old", "old", "new", "new"])
        }
    }

    @Test(arguments: Backend.allCases) func deletePrefixRemovesAllUnderItInOneRevision(_ backend: Backend) throws {
        try backend.withStore { store throws in
            for key in ["n/1", "n/2", "n/3", "n0", "m"] {
                try store.put(key, "v")
            }
            #expect(try store.delete(prefix: "n/") == 3)
            #expect(try store.revision() == 6)
            #expect(try store.range(prefix: "").kvs.map(\.key) == ["m", "n0"])

            #expect(try store.delete(prefix: "n/") == 0)
            #expect(try store.revision() == 6)
        }
    }

    @Test(arguments: Backend.allCases) func emptyValueIsStoredAsEmpty(_ backend: Backend) throws {
        try backend.withStore { store throws in
            try store.put("k", [])
            #expect(try store.get("k")?.value == [])
        }
    }

    @Test(arguments: Backend.allCases) func emptyKeysAreRejected(_ backend: Backend) throws {
        try backend.withStore { store throws in
            #expect(throws: KVError.invalidArgument("a key must not be empty")) { try store.put("", "v") }
            #expect(throws: KVError.invalidArgument("a key must not be empty")) { try store.get("") }
            #expect(throws: KVError.invalidArgument("a key must not be empty")) { try store.delete("") }
            #expect(try store.revision() == 0)
        }
    }

}
