// A read-only memory mapping of a whole file (POSIX mmap).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a file, mapped read-only and private for the lifetime of this object.
/// An empty file maps to a zero-length buffer.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CheckpointError(file: path, problem: "cannot open: \(Self.lastError())")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw CheckpointError(file: path, problem: "cannot stat: \(Self.lastError())")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(file: path, problem: "not a regular file")
        }
        let byteCount = Int(status.st_size)
        if byteCount == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, byteCount, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw CheckpointError(file: path, problem: "cannot map \(byteCount) bytes: \(Self.lastError())")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: byteCount)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    var count: Int { bytes.count }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
