import Foundation
import HeedKernels

/// The reference side of the side-by-side benchmarks: one persistent Python process (a script in
/// bench/ under `$HEED_PYTHON`, default python3: torch_worker.py loads transformers' model,
/// tokenizer_worker.py the `tokenizers` library's tokenizer) that answers one timed command per
/// line, so Heed's and the reference's rounds can be interleaved and never overlap (each side is
/// idle while the other is timed).
final class ReferenceWorker {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer: [UInt8] = []
    /// What the worker says it runs ("torch 2.x threads N"), its answer to `info`.
    private(set) var info = ""

    /// Starts bench/`script` with `arguments`; nil when python, the script or what it imports
    /// are missing (the benchmark then reports Heed alone).
    init?(script name: String, arguments: [String]) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/\(name)")
        guard FileManager.default.fileExists(atPath: script.path) else { return nil }
        signal(SIGPIPE, SIG_IGN)   // a worker that died must not take the benchmark with it
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [BenchCommand.python(), script.path] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        guard readLine() == "ready" else { close(); return nil }
        info = send("info") ?? ""
    }

    /// torch_worker.py: milliseconds of one PyTorch forward pass on `ids` (timed inside the worker).
    func run(_ ids: [Int]) -> Double? {
        send("run " + ids.map(String.init).joined(separator: " ")).flatMap(Double.init)
    }

    func close() {
        if process.isRunning {
            try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// Writes one command line and returns the worker's answer line (nil: the worker is gone).
    func send(_ line: String) -> String? {
        do { try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) } catch { return nil }
        return readLine()
    }

    private func readLine() -> String? {
        let fd = output.fileHandleForReading.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }
}

/// Timing statistics of a series of rounds (milliseconds).
struct Spread {
    let median: Double, min: Double, max: Double, p25: Double, p75: Double

    init(_ xs: [Double]) {
        let s = xs.sorted()
        func q(_ f: Double) -> Double { s[Swift.min(s.count - 1, Int((Double(s.count - 1) * f).rounded()))] }
        median = q(0.5); min = s.first ?? 0; max = s.last ?? 0; p25 = q(0.25); p75 = q(0.75)
    }

    /// Interquartile range over the median.
    var relativeIQR: Double { median > 0 ? (p75 - p25) / median : 0 }

    /// Too scattered for a ratio: the middle half of the rounds spans more than 25 % of the
    /// median (another process took the cores for part of the run).
    var isWild: Bool { relativeIQR > 0.25 }

    /// "12.34 (11.90-15.02)".
    var text: String { String(format: "%.2f (%.2f-%.2f)", median, min, max) }
}

enum BenchHost {
    /// The line every benchmark starts with: kernel variant, threads, CPU model.
    static var header: String {
        "isa: \(ISA.current)  threads: \(Parallel.threadCount)  cpu: \(ISA.cpuModel)"
    }

}
