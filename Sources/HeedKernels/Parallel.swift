import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread configuration for every kernel. `HEED_THREADS` overrides the core count.
///
/// Parallel regions do not nest: a `forEach` called from inside another `forEach` body (say a
/// GEMM inside a loop over heads) runs inline on the calling thread, so the outer loop keeps
/// every core busy and no core is oversubscribed.
public enum Parallel {
    public static let threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["HEED_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// True while the current thread runs the body of a parallel `forEach`.
    public static var isInsideParallelRegion: Bool { pthread_getspecific(regionKey) != nil }

    /// Threads a kernel called from here may use: 1 inside a parallel region, else `threadCount`.
    public static var availableThreads: Int { isInsideParallelRegion ? 1 : threadCount }

    /// Runs `body(i)` for i in 0..<count, spread over the worker threads (inline when count == 1,
    /// with one thread, or when already inside a parallel region).
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 || isInsideParallelRegion {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count) { i in
            pthread_setspecific(regionKey, regionMarker)
            body(i)
            pthread_setspecific(regionKey, nil)
        }
    }

    /// Splits 0..<count into at most `availableThreads` contiguous chunks of at least `grain`
    /// items and runs `body(range)` for each, in parallel.
    public static func forRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = max(1, min(availableThreads, count / max(1, grain)))
        if chunks == 1 { body(0..<count); return }
        forEach(chunks) { c in body((c * count / chunks)..<((c + 1) * count / chunks)) }
    }
}

/// Per-thread flag marking a running parallel region (see `Parallel.forEach`).
private let regionKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
private let regionMarker = UnsafeRawPointer(bitPattern: 1)
