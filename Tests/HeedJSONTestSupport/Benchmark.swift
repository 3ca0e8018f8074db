import Foundation

/// Benchmarks among the JSON and framing tests run only when asked (`HEED_BENCH=1`, release build).
public enum Benchmark {
    /// True when the environment asks for benchmarks (`HEED_BENCH=1`).
    public static var requested: Bool { ProcessInfo.processInfo.environment["HEED_BENCH"] == "1" }

    /// The message of the skip when benchmarks were not asked for.
    public static let skipMessage = "set HEED_BENCH=1 (and build with -c release) to run the benchmarks"

    /// The fastest of `runs` runs of `body`, in milliseconds of wall time.
    public static func best(of runs: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let t = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
        }
        return best
    }
}
