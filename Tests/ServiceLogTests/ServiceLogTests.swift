import Glibc
import Logging
import XCTest

@testable import ServiceLog

final class ServiceLogTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/servicelog-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        unlink("\(directory)/log")
        rmdir(directory)
    }

    private func contents(_ path: String) throws -> String {
        let file = try XCTUnwrap(fopen(path, "r"))
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil { text += String(cString: buffer) }
        return text
    }

    func testLinesCarryTimeLevelLabelMessageAndSortedMetadata() throws {
        let path = "\(directory)/log"
        var logger = Logger(label: "cni-dns") { label in try! ServiceLog.handler(label: label, .file(path)) }
        logger[metadataKey: "network"] = "app"
        logger.info("serving", metadata: ["address": "10.89.0.1:53"])
        logger.debug("not at info level")

        let lines = try contents(path).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let line = String(lines[0])
        XCTAssertTrue(line.hasSuffix(" info cni-dns: serving address=10.89.0.1:53 network=app"), line)
        let stamp = line.prefix(while: { $0 != " " })
        XCTAssertEqual(stamp.count, 24, String(stamp))
        XCTAssertTrue(stamp.hasSuffix("Z"))
    }

    func testAppendsToWhatIsThere() throws {
        let path = "\(directory)/log"
        for round in 1...2 {
            let logger = Logger(label: "agent") { label in try! ServiceLog.handler(label: label, .file(path)) }
            logger.notice("start \(round)")
        }
        XCTAssertEqual(try contents(path).split(separator: "\n").map { $0.split(separator: " ").dropFirst().joined(separator: " ") },
                       ["notice agent: start 1", "notice agent: start 2"])
    }

    func testAnUnopenableFileNamesItsPath() {
        XCTAssertThrowsError(try ServiceLog.handler(label: "x", .file("\(directory)/missing/log"))) { error in
            XCTAssertEqual(String(describing: error), "cannot open log file \(directory)/missing/log: No such file or directory")
        }
    }

    func testTimestampFormat() {
        XCTAssertEqual(LogTimestamp.format(seconds: 1_796_196_963, milliseconds: 7), "2026-12-02T07:36:03.007Z")
        XCTAssertEqual(LogTimestamp.format(seconds: 0, milliseconds: 0), "1970-01-01T00:00:00.000Z")
    }
}
