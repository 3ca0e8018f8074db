import Foundation
import HeedDaemon

/// `heed serve`: the daemon (protocol.md). Started from a terminal, it says on stderr what it
/// expects, so a person who types it is not left staring at nothing.
enum ServeCommand {
    static let valued: Set<String> = ["log-level", "max-memory", "max-frame"]

    /// The line printed on stderr when stdin is a terminal.
    static let terminalNote = "heed serve: reading LSP-framed JSON-RPC 2.0 (Content-Length headers) on stdin, answering on stdout; the protocol is protocol.md in Heed's repository; Ctrl-D ends"

    static func run(_ argv: [String]) throws -> Never {
        let args = try Arguments(argv, valued: valued, boolean: [])
        if args.wantsHelp { print(Help.serve); exit(0) }
        guard args.positional.isEmpty else { throw Arguments.Error(description: "heed serve takes no arguments (got \"\(args.positional[0])\"); see heed serve --help") }
        var options = ServerOptions()
        if let l = args.value("log-level") {
            guard let level = LogLevel(name: l) else { throw Arguments.Error(description: "--log-level is error, warn, info or debug") }
            options.logLevel = level
        }
        if let m = args.value("max-memory") {
            guard let bytes = parseByteCount(m) else { throw Arguments.Error(description: "--max-memory takes a byte count such as 2G or 512M") }
            options.maxMemoryBytes = bytes
        }
        if let m = args.value("max-frame") {
            guard let bytes = parseByteCount(m) else { throw Arguments.Error(description: "--max-frame takes a byte count such as 64M") }
            options.maxFrameBytes = bytes
        }
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data((terminalNote + "\n").utf8))
        }
        let server = Server(options: options, outputFD: Server.takeOverStdout())
        exit(server.run())
    }

    /// "512M", "4G", "1048576" -> bytes.
    static func parseByteCount(_ s: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = s.last?.uppercased().first, let unit = units[last] {
            return Int(s.dropLast()).flatMap { $0 >= 0 ? $0 * unit : nil }
        }
        return Int(s).flatMap { $0 >= 0 ? $0 : nil }
    }
}
