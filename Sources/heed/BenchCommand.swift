import Foundation
import HeedKernels
import HeedModels

/// `heed bench forward`: Heed's forward time on a model at several lengths (median, min, max),
/// achieved GFLOP/s against the measured peak of the kernel variant in use, and, when PyTorch is
/// importable by `$HEED_PYTHON` (default python3), transformers' time on the same ids and thread
/// count, measured in rounds interleaved with Heed's by a persistent worker
/// (bench/torch_worker.py), with the ratio of the medians unless either side's rounds are too
/// scattered to trust.
enum BenchCommand {
    static func forward(model: LoadedModel, args: Arguments) throws {
        let net = try model.network
        let runs = Int(args.value("runs") ?? "") ?? 20
        let lengths = (args.value("lengths") ?? "16,128,512").split(separator: ",").compactMap { Int($0) }
        let threads = Parallel.threadCount
        print("heed bench forward: model \(model.id) (\(net.family), \(net.layerCount) layers, C=\(net.hiddenSize)), runs \(runs)")
        print(BenchHost.header)
        let peak = Peak.measureGFLOPS(threads: threads)
        print(String(format: "measured FMA peak (\(ISA.current), %d threads): %.1f GFLOP/s", threads, peak))
        let torch = ReferenceWorker(script: "torch_worker.py", arguments: [model.directory.path, String(threads)])
        defer { torch?.close() }
        if let torch { print("reference: transformers eager forward, \(torch.info), one persistent process, rounds interleaved with Heed's") }
        // Every timed round of either side starts after a pause in which the other side's
        // threads (Heed's spin 1 ms, libgomp's a fraction of a ms) go to sleep: each round
        // starts with idle threads, as a daemon request after a pause does. Alone, no pause
        // unless asked (back-to-back rounds: the workers are still spinning).
        let pauseMs = Int(args.value("pause") ?? "") ?? (torch != nil ? 20 : 0)
        func pause() { if pauseMs > 0 { usleep(UInt32(pauseMs) * 1000) } }
        print("pause before each timed round: \(pauseMs) ms")
        print("T\theed ms median (min-max)\tGFLOP/s\t% peak\ttorch ms median (min-max)\tspeed-up")
        var withheld: [String] = []
        for T in lengths {
            guard T <= net.maxTokens, T >= 2 else { continue }
            let ids = sampleIDs(model: model, count: T)
            func heedRound() -> Double {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try? net.forward(ids, taps: .attention, isCancelled: { false })
                return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            }
            // Warm both sides (caches, thread pools, allocator), then alternate rounds, each
            // side starting every other round, with a pause before each so neither runs while
            // the other's threads still spin.
            for _ in 0..<3 { _ = heedRound(); _ = torch?.run(ids) }
            var heedTimes: [Double] = [], torchTimes: [Double] = []
            for round in 0..<runs {
                if round % 2 == 0 {
                    pause(); heedTimes.append(heedRound())
                    if let torch { pause(); if let t = torch.run(ids) { torchTimes.append(t) } }
                } else {
                    if let torch { pause(); if let t = torch.run(ids) { torchTimes.append(t) } }
                    pause(); heedTimes.append(heedRound())
                }
            }
            let heed = Spread(heedTimes)
            let gflops = try flops(model: model, T: T) / (heed.median * 1e6)
            var line = String(format: "%d\t%@\t%.1f\t%.0f%%", T, heed.text, gflops, 100 * gflops / peak)
            if torchTimes.count == runs {
                let ref = Spread(torchTimes)
                if ref.isWild || heed.isWild {
                    line += "\t\(ref.text)\t-"
                    withheld.append(String(format: "T=%d: no ratio, the rounds are too scattered (interquartile range / median: PyTorch %.0f%%, Heed %.0f%%; over 25%% means the cores were shared)",
                                           T, 100 * ref.relativeIQR, 100 * heed.relativeIQR))
                } else {
                    line += String(format: "\t%@\t%.2fx", ref.text, ref.median / heed.median)
                }
            } else {
                line += "\t-\t-"
            }
            print(line)
        }
        withheld.forEach { print($0) }
        if torch == nil { print("(PyTorch + transformers not importable by \(python()): no ratio; set HEED_PYTHON to a python that has them)") }
    }

    static func python() -> String { ProcessInfo.processInfo.environment["HEED_PYTHON"] ?? "python3" }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

    /// Token ids of a real sentence, repeated to `count` tokens, framed by the special tokens.
    static func sampleIDs(model: LoadedModel, count: Int) -> [Int] {
        let text = "The quick brown fox jumps over the lazy dog, while attention weights alone can mislead the analysis of transformers."
        let enc = model.tokenizer.encode(text).ids
        let body = Array(enc.dropFirst().dropLast())
        var ids = [enc.first!]
        while ids.count < count - 1 { ids.append(body[(ids.count - 1) % body.count]) }
        ids.append(enc.last!)
        return ids
    }

    /// Multiply-adds x 2 of one forward pass: projections, attention products, feed-forward.
    static func flops(model: LoadedModel, T: Int) throws -> Double {
        let net = try model.network
        let C = Double(net.hiddenSize), t = Double(T)
        let I = Double(net.intermediateSize)
        let perLayer = 2 * t * C * (3 * C) + 2 * t * C * C + 2 * 2 * t * t * C + 2 * 2 * t * C * I
        return perLayer * Double(net.layerCount)
    }

    /// Runs a PyTorch reference script of bench/ with `$HEED_PYTHON` as
    /// `SCRIPT MODEL_DIR THREADS RUNS`, one sequence of ids per stdin line; returns its stdout
    /// lines split on spaces, or nil when it cannot run (no torch, no script).
    static func runReferenceScript(_ name: String, model: LoadedModel, sequences: [[Int]], threads: Int, runs: Int) -> [[Substring]]? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/\(name)")
        guard !sequences.isEmpty, FileManager.default.fileExists(atPath: script.path) else { return nil }
        let input = sequences.map { $0.map(String.init).joined(separator: " ") }.joined(separator: "\n")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python(), script.path, model.directory.path, String(threads), String(runs)]
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = FileHandle.nullDevice
        signal(SIGPIPE, SIG_IGN)   // a script that could not start must not take the benchmark with it
        do { try p.run() } catch { return nil }
        try? inPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? inPipe.fileHandleForWriting.close()
        let out = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return out.split(separator: "\n").map { $0.split(separator: " ") }
    }
}
