import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread configuration for every kernel. `HEED_THREADS` overrides the core count.
///
/// Regions run on a pool of persistent workers plus the calling thread (WorkerPool.swift).
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
        if useGCD {
            DispatchQueue.concurrentPerform(iterations: count) { i in enterRegion(); body(i); leaveRegion() }
            return
        }
        if pool.run(count, body) { return }
        // Another thread's region holds the workers (and so the cores): run inline.
        enterRegion()
        for i in 0..<count { body(i) }
        leaveRegion()
    }

    /// Wakes the pool's sleeping workers ahead of the next region (a forward pass calls it
    /// first thing), so their wake-up and move to a free core overlap serial work; they sleep
    /// again after `WorkerPool.spinNanoseconds` if no region comes.
    public static func prewake() {
        if threadCount == 1 || useGCD || isInsideParallelRegion { return }
        pool.prewake()
    }

    /// `HEED_PARALLEL=gcd` runs regions on `DispatchQueue.concurrentPerform` instead of the
    /// worker pool (for comparisons; the pool starts regions several microseconds sooner).
    public static let useGCD: Bool = ProcessInfo.processInfo.environment["HEED_PARALLEL"] == "gcd"

    /// The persistent workers (threadCount - 1 of them, created on first use).
    static let pool = WorkerPool(workers: threadCount - 1)

    /// Marks the current thread as running a region body (nested regions run inline).
    static func enterRegion() { pthread_setspecific(regionKey, regionMarker) }
    static func leaveRegion() { pthread_setspecific(regionKey, nil) }

    /// Splits 0..<count into contiguous chunks of at least `grain` items (up to 4 per available
    /// thread, so a late or busy thread is evened out) and runs `body(range)` for each, in
    /// parallel; one chunk, inline, when count < 2 * grain or inside a parallel region.
    public static func forRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let threads = availableThreads
        let chunks = threads == 1 ? 1 : max(1, min(4 * threads, count / max(1, grain)))
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
