import Foundation
#if canImport(Glibc)
import Glibc
@_silgen_name("malloc_trim")
private func c_malloc_trim(_ pad: Int) -> Int32
#endif

/// Gives freed heap memory back to the system when the process holds more than `--max-memory`.
/// `heed` keeps large blocks in the heap between forward passes (`Allocator.keepLargeBlocks`:
/// mmap and trim thresholds of 1 GiB, for speed), so after a request's working set is freed glibc
/// keeps it, in every arena a worker thread used; under a tight budget that alone held the
/// process hundreds of MB above it (docs/performance.md). Trimming only when resident memory is
/// over the budget and no request is being computed costs nothing while the process is within it.
enum MemoryTrim {
    /// Resident bytes of this process (/proc/self/statm), nil where unknown.
    static func residentBytes() -> Int? {
        #if os(Linux)
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = s.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }

    static func afterRequest(budget: Int, idle: Bool, log: (String) -> Void) {
        #if os(Linux)
        guard idle, let before = residentBytes(), before > budget else { return }
        _ = c_malloc_trim(0)
        log("resident \(before) bytes over --max-memory \(budget): malloc_trim -> \(residentBytes() ?? -1) bytes")
        #endif
    }
}
