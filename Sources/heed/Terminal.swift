import Foundation

/// Terminal output: ANSI background shading when stdout is a terminal, plain text otherwise.
enum Terminal {
    static let isTTY: Bool = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    /// 256-colour backgrounds from pale to strong.
    static let ramp = [231, 230, 229, 228, 227, 226, 220, 214, 208, 202, 196]

    /// `text` on a background whose strength follows `score` in [0, 1].
    static func shade(_ text: String, score: Float) -> String {
        let s = max(0, min(1, score.isFinite ? score : 0))
        let code = ramp[Int((s * Float(ramp.count - 1)).rounded())]
        return "\u{1B}[48;5;\(code)m\u{1B}[38;5;16m\(text)\u{1B}[0m"
    }

    static func legend() -> String {
        "low " + ramp.map { "\u{1B}[48;5;\($0)m  \u{1B}[0m" }.joined() + " high"
    }

    /// A progress line from a library (already prefixed) on stderr.
    static func printProgress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("heed: \(message)\n".utf8))
    }
}
