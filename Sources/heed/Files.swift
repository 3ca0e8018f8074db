import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing the files a user names, with plain messages ("cannot write
/// nodir/x.svg: no such directory nodir"), never a Foundation error domain.
enum Files {
    /// A file problem, printed as `heed: <description>` with exit status 1.
    struct Error: Swift.Error, CustomStringConvertible { let description: String }

    /// The whole file at `path`; `what` names it in errors ("the corpus", "the text file").
    static func read(_ path: String, what: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Error(description: "cannot read \(what) \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw Error(description: "cannot read \(what) \(path): it is a directory, not a file") }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Error(description: "cannot read \(what) \(path): \(reason(errno))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw Error(description: "cannot read \(what) \(path): \(reason(errno))") }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    /// Throws unless `path` can be created or replaced: its directory exists and it is not a
    /// directory itself. Lets a command refuse before any long work.
    static func checkWritable(_ path: String, what: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty {
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
                throw Error(description: "cannot write \(what) to \(path): there is no directory \(directory)")
            }
            guard isDirectory.boolValue else { throw Error(description: "cannot write \(what) to \(path): \(directory) is not a directory") }
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Error(description: "cannot write \(what) to \(path): it is a directory")
        }
    }

    /// Writes `bytes` to `path` (created or replaced); `what` names it in errors ("the SVG").
    static func write(_ bytes: [UInt8], to path: String, what: String) throws {
        try checkWritable(path, what: what)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Error(description: "cannot write \(what) to \(path): \(reason(errno))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw Error(description: "cannot write \(what) to \(path): \(reason(errno))") }
            offset += n
        }
    }

    /// strerror's text, starting in lower case ("permission denied").
    static func reason(_ code: Int32) -> String {
        let s = String(cString: strerror(code))
        return s.prefix(1).lowercased() + s.dropFirst()
    }

    /// A plain message for any error: ours as they are, Foundation's without their domain.
    static func plainMessage(_ error: Swift.Error) -> String {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
        var message = ns.localizedFailureReason ?? ns.localizedDescription
        if let path = ns.userInfo[NSFilePathErrorKey] as? String { message += " (\(path))" }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            message = "\(reason(Int32(underlying.code)))" + ((ns.userInfo[NSFilePathErrorKey] as? String).map { " (\($0))" } ?? "")
        }
        return message
    }
}

/// The text a command analyses: `TEXT` (the positional arguments joined by spaces), `-` (all of
/// stdin) or `--file PATH`. From stdin or a file, one final line break is dropped.
enum InputText {
    static func read(_ args: Arguments, command: String) throws -> String {
        let file = args.value("file")
        if file != nil, !args.positional.isEmpty {
            throw Arguments.Error(description: "give the text once: TEXT, - (stdin) or --file PATH, not both --file and \"\(args.positional.joined(separator: " "))\"")
        }
        if let file { return try decode(Files.read(file, what: "the text file"), source: file) }
        if args.positional == ["-"] {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            return try decode(bytes, source: "stdin")
        }
        guard !args.positional.isEmpty else {
            throw Arguments.Error(description: "missing TEXT: give it as an argument, - to read stdin, or --file PATH (heed \(command) --help)")
        }
        return args.positional.joined(separator: " ")
    }

    static func decode(_ bytes: [UInt8], source: String) throws -> String {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw Files.Error(description: "the text from \(source) is not valid UTF-8")
        }
        if text.hasSuffix("\r\n") { text.removeLast() } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
