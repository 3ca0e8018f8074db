import Foundation

/// Errors reading an experiment corpus.
public struct CorpusError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

/// A corpus: one sentence per line.
public enum Corpus {
    /// One line of a corpus, with its 1-based line number in the source.
    public struct Line: Equatable, Sendable {
        public let number: Int
        public let text: String
        public init(number: Int, text: String) { self.number = number; self.text = text }
    }

    /// The lines of `text`, trimmed of surrounding whitespace; empty lines are skipped.
    /// "\n", "\r\n", "\r" and the Unicode line separators all end a line.
    public static func parse(_ text: String) -> [Line] {
        var lines: [Line] = []
        var number = 0
        text.enumerateLines { line, _ in
            number += 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { lines.append(Line(number: number, text: trimmed)) }
        }
        return lines
    }

    /// Reads a UTF-8 file (a leading byte-order mark is ignored).
    public static func load(_ url: URL) throws -> [Line] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CorpusError(file: url.path, problem: "cannot read the file (\(error.localizedDescription))")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CorpusError(file: url.path, problem: "not valid UTF-8")
        }
        return parse(text)
    }

    /// The default corpus (DefaultCorpus.swift).
    public static var defaultLines: [Line] { parse(DefaultCorpus.text) }
}
