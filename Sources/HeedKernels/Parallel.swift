import Dispatch
import Foundation

/// Thread configuration for every kernel. `HEED_THREADS` overrides the core count.
public enum Parallel {
    public static let threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["HEED_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(i)` for i in 0..<count, spread over the worker threads (inline when count == 1).
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
