import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedKernels
import XCTest

/// protocol.md documents exactly what the server handles and sends:
/// - the methods and notifications a client may send are the backticked names in the `###`
///   headings of sections 2 (Lifecycle) and 5 (Methods), parenthesised remarks excluded;
/// - the notifications the server sends are those of section 6's `###` headings;
/// - the error table of section 9 lists exactly the codes of `JSONRPCErrorCode`;
/// - the analysis-method table of section 7 and the `initialize` result example list exactly
///   what `initialize` advertises;
/// - the `format` row of `heed/analyze`'s table (section 5.5) lists exactly the advertised
///   `tensorFormats`, and section 1.1 names the attachment's header as the server writes it.
final class ProtocolDocumentTests: XCTestCase {
    /// The sections of protocol.md by number: `## 5. Methods` -> "5" -> its lines.
    static let sections: [String: [String]] = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        let text = (try? String(contentsOf: url.appendingPathComponent("protocol.md"), encoding: .utf8)) ?? ""
        var sections: [String: [String]] = [:]
        var current = "0"
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("## ") {
                current = String(line.dropFirst(3).prefix { $0.isNumber })
                continue
            }
            sections[current, default: []].append(line)
        }
        return sections
    }()

    /// Backticked names of the `###` headings in `section`, outside parentheses.
    static func headingNames(_ section: String) -> [String] {
        (sections[section] ?? []).filter { $0.hasPrefix("### ") }.flatMap { heading -> [String] in
            var depth = 0, outside = ""
            for c in heading {
                if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1) } else if depth == 0 { outside.append(c) }
            }
            return backticked(outside)
        }
    }

    static func backticked(_ s: String) -> [String] {
        let parts = s.components(separatedBy: "`")
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0] }
    }

    /// First cells of the table rows in `section`.
    static func firstCells(_ section: String) -> [String] {
        (sections[section] ?? []).filter { $0.hasPrefix("|") }.compactMap { row in
            row.split(separator: "|", omittingEmptySubsequences: true).first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    func testDocumentIsFound() {
        XCTAssertFalse(Self.sections.isEmpty, "protocol.md not found or empty")
        for n in ["2", "5", "6", "7", "9"] { XCTAssertNotNil(Self.sections[n], "protocol.md has no section \(n)") }
    }

    func testClientMethodsAreDocumentedExactly() {
        let documented = Self.headingNames("2") + Self.headingNames("5")
        XCTAssertEqual(documented.count, Set(documented).count, "a method is documented twice: \(documented)")
        XCTAssertEqual(Set(documented), Set(ClientMethod.allCases.map(\.rawValue)),
                       "documented only: \(Set(documented).subtracting(ClientMethod.allCases.map(\.rawValue))); "
                       + "handled only: \(Set(ClientMethod.allCases.map(\.rawValue)).subtracting(documented))")
    }

    func testServerNotificationsAreDocumentedExactly() {
        XCTAssertEqual(Set(Self.headingNames("6")), Set(ServerNotification.allCases.map(\.rawValue)))
    }

    func testErrorTableMatchesTheCodes() {
        let codes = Self.firstCells("9").compactMap { Int($0) }
        XCTAssertEqual(codes.count, Set(codes).count, "a code is listed twice")
        XCTAssertEqual(Set(codes), Set(JSONRPCErrorCode.allCases.map(\.rawValue)))
    }

    func testAnalysisMethodTableMatches() {
        let names = Self.firstCells("7").flatMap { Self.backticked($0) }
        XCTAssertEqual(names, AnalysisMethod.allCases.map(\.rawValue))
    }

    /// The formats `heed/analyze` documents are the ones the server takes and advertises, and
    /// the attachment header the framing section shows is the one the server writes.
    func testAnalyzeFormatsAndTheAttachmentHeaderAreDocumented() throws {
        let row = try XCTUnwrap((Self.sections["5"] ?? []).first { $0.hasPrefix("| `format` |") }, "section 5.5 has no `format` row")
        // Cells are split at `|` but not at an escaped `\|` (the type cell's alternatives).
        let typeCell = row.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|", omittingEmptySubsequences: true)[1]
        XCTAssertEqual(Self.backticked(String(typeCell)).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) },
                       ServerInfo.tensorFormats.map(\.rawValue))
        let framing = (Self.sections["1"] ?? []).joined(separator: "\n")
        XCTAssertTrue(framing.contains("    \(FrameWriter.binaryLengthHeader): "), "section 1.1 shows the \(FrameWriter.binaryLengthHeader) header")
        XCTAssertTrue(framing.contains("multiple of\n  \(BinaryAttachment.alignment) bytes") || framing.contains("multiple of \(BinaryAttachment.alignment) bytes"),
                      "section 1.1 states the alignment, \(BinaryAttachment.alignment) bytes")
    }

    /// The `initialize` result shown in section 2 is what the server advertises.
    func testInitializeExampleMatchesTheServer() throws {
        let lines = Self.sections["2"] ?? []
        let heading = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("### ") && Self.backticked($0) == ["initialize"] })
        let resultLine = try XCTUnwrap(lines[heading...].firstIndex { $0.hasPrefix("Result:") })
        let block = lines[(resultLine + 1)...].drop { $0.isEmpty }.prefix { $0.hasPrefix("    ") }
        let example = try JSONParser.parse(block.joined(separator: "\n"))
        let caps = try XCTUnwrap(example["capabilities"])
        XCTAssertEqual(caps["methods"]?.arrayValue?.compactMap(\.stringValue), ClientMethod.workMethods.map(\.rawValue))
        XCTAssertEqual(caps["analysisMethods"]?.arrayValue?.compactMap(\.stringValue), AnalysisMethod.allCases.map(\.rawValue))
        XCTAssertEqual(caps["tensorFormats"]?.arrayValue?.compactMap(\.stringValue), ServerInfo.tensorFormats.map(\.rawValue))
        XCTAssertEqual(example["serverInfo"]?["name"]?.stringValue, ServerInfo.name)
        // serverInfo.isa: the example shows one of the variants, and the text lists them all.
        let isaExample = try XCTUnwrap(example["serverInfo"]?["isa"]?.stringValue)
        XCTAssertNotNil(ISA(rawValue: isaExample))
        let text = lines.joined(separator: "\n")
        for isa in ISA.allCases { XCTAssertTrue(text.contains("\"\(isa.rawValue)\""), "protocol.md section 2 lists \(isa)") }

        // And the server says the same.
        let daemon = InProcessDaemon()
        let live = try daemon.initialize()
        XCTAssertEqual(live["capabilities"]?["methods"], caps["methods"])
        XCTAssertEqual(live["capabilities"]?["analysisMethods"], caps["analysisMethods"])
        XCTAssertEqual(live["capabilities"]?["tensorFormats"], caps["tensorFormats"])
        XCTAssertEqual(live["serverInfo"]?["isa"]?.stringValue, ISA.current.rawValue)
        XCTAssertEqual(live["serverInfo"]?["version"]?.stringValue, ServerInfo.version)
        _ = daemon.finish()
    }
}
