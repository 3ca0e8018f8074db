import Foundation
import HeedKernels
import HeedModels

/// `heed bench forward`: Heed's forward time on a model at several lengths, achieved GFLOP/s
/// against the machine's measured peak, and, when PyTorch is importable by `$HEED_PYTHON`
/// (default python3), the ratio against transformers on the same ids and thread count.
enum BenchCommand {
    static func forward(model: LoadedModel, args: Arguments) {
        let net = model.network
        let runs = Int(args.value("runs") ?? "") ?? 20
        let lengths = (args.value("lengths") ?? "16,128,512").split(separator: ",").compactMap { Int($0) }
        let threads = Parallel.threadCount
        let peak = Peak.measureGFLOPS(threads: threads)
        print("heed bench forward: model \(model.id) (\(net.family), \(net.layerCount) layers, C=\(net.hiddenSize)), threads \(threads), runs \(runs)")
        print(String(format: "measured FMA peak: %.1f GFLOP/s", peak))

        var heedTimes: [Int: Double] = [:]
        var idsByLength: [Int: [Int]] = [:]
        for T in lengths {
            guard T <= net.maxTokens, T >= 2 else { continue }
            let ids = sampleIDs(model: model, count: T)
            idsByLength[T] = ids
            _ = try? net.forward(ids, taps: .attention, isCancelled: { false })   // warm-up
            var times: [Double] = []
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try? net.forward(ids, taps: .attention, isCancelled: { false })
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            heedTimes[T] = median(times)
        }
        let torch = torchTimes(model: model, ids: idsByLength, threads: threads, runs: runs)
        print("T\theed ms\tGFLOP/s\t% peak\ttorch ms\tspeed-up")
        for T in lengths {
            guard let ms = heedTimes[T] else { continue }
            let gflops = flops(model: model, T: T) / (ms * 1e6)
            var line = String(format: "%d\t%.2f\t%.1f\t%.0f%%", T, ms, gflops, 100 * gflops / peak)
            if let t = torch?[T] { line += String(format: "\t%.2f\t%.2fx", t, t / ms) } else { line += "\t-\t-" }
            print(line)
        }
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
    static func flops(model: LoadedModel, T: Int) -> Double {
        let net = model.network
        let C = Double(net.hiddenSize), t = Double(T)
        let I = Double((net as? BertEncoder)?.config.intermediateSize ?? 4 * net.hiddenSize)
        let perLayer = 2 * t * C * (3 * C) + 2 * t * C * C + 2 * 2 * t * t * C + 2 * 2 * t * C * I
        return perLayer * Double(net.layerCount)
    }

    /// Runs bench/forward_torch.py on the same ids; T -> median ms.
    static func torchTimes(model: LoadedModel, ids: [Int: [Int]], threads: Int, runs: Int) -> [Int: Double]? {
        let sequences = ids.sorted { $0.key < $1.key }.map(\.value)
        guard let lines = runReferenceScript("forward_torch.py", model: model, sequences: sequences, threads: threads, runs: runs) else { return nil }
        var result: [Int: Double] = [:]
        for parts in lines where parts.count == 2 {
            if let T = Int(parts[0]), let ms = Double(parts[1]) { result[T] = ms }
        }
        return result.isEmpty ? nil : result
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
        do { try p.run() } catch { return nil }
        inPipe.fileHandleForWriting.write(Data(input.utf8)); try? inPipe.fileHandleForWriting.close()
        let out = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return out.split(separator: "\n").map { $0.split(separator: " ") }
    }
}
