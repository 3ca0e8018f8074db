import Foundation
import HeedAnalysis
import HeedKernels
import HeedModels

/// `heed bench analysis`: the full analysis of all layers (attention, norm, norm-summed,
/// attn-res-ln, mixing ratios; or `--methods a,b,...`, e.g. alti,globenc) against one forward
/// pass, and the memory it holds.
enum BenchAnalysis {
    static func run(model: LoadedModel, args: Arguments) throws {
        let net = try model.network
        let runs = Int(args.value("runs") ?? "") ?? 10
        let lengths = (args.value("lengths") ?? "128,512").split(separator: ",").compactMap { Int($0) }
        let methods: [AnalysisMethod] = args.value("methods").map { $0.split(separator: ",").compactMap { AnalysisMethod(rawValue: String($0)) } }
            ?? [.attention, .norm, .normSummed, .attnResLn, .mixingRatio]
        print("heed bench analysis: model \(model.id), runs \(runs)")
        print(BenchHost.header)
        print("methods: \(methods.map(\.rawValue).joined(separator: ", ")), all \(net.layerCount) layers, heads all")
        print("T\tforward ms\tforward+taps ms\tanalysis ms\tanalysis/forward\t(taps+analysis)/forward\toutputs MB\tlayer NHxTxT MB")
        for T in lengths where T >= 2 && T <= net.maxTokens {
            let ids = BenchCommand.sampleIDs(model: model, count: T)
            let options = AnalyzeOptions(methods: methods)
            let table = TokenTable.empty
            var forwardTimes: [Double] = [], fullTimes: [Double] = [], analysisTimes: [Double] = []
            var outputBytes = 0
            for run in 0...runs {
                let t0 = now()
                _ = try? net.forward(ids, taps: .attention, isCancelled: { false })
                let t1 = now()
                guard let full = try? net.forward(ids, taps: .full, isCancelled: { false }) else { return }
                let t2 = now()
                guard let result = try? Analyzer.analyze(modelID: model.id, forward: full, table: table, options: options,
                                                         rerun: net as? LayerRerunning) else { return }
                let t3 = now()
                if run == 0 {   // warm-up
                    outputBytes = result.layers.reduce(0) { acc, l in
                        acc + l.values.reduce(0) { a, v in
                            switch v.value { case let .tensor(t): return a + 4 * t.count; case let .vectors(n): return a + 4 * n.reduce(0) { $0 + $1.values.count } }
                        }
                    }
                    continue
                }
                forwardTimes.append(t1 - t0); fullTimes.append(t2 - t1); analysisTimes.append(t3 - t2)
            }
            let f = BenchCommand.median(forwardTimes), ff = BenchCommand.median(fullTimes), a = BenchCommand.median(analysisTimes)
            let block = Double(net.headCount * T * T * 4) / 1e6
            print(String(format: "%d\t%.2f\t%.2f\t%.2f\t%.2fx\t%.2fx\t%.1f\t%.1f", T, f, ff, a, a / f, (ff + a) / f, Double(outputBytes) / 1e6, block))
        }
        let direct = directTimes(model: model, lengths: lengths.filter { $0 <= 128 }, runs: 2)
        for (T, ms, mb) in direct {
            print(String(format: "direct (H,T,T,C) route in PyTorch at T=%d: %.1f ms for all layers, largest tensor %.0f MB", T, ms, mb))
        }
        if direct.isEmpty { print("(PyTorch not importable by \(BenchCommand.python()): no direct-route comparison; set HEED_PYTHON)") }
        print(String(format: "peak resident memory of this process: %.0f MB (model weights %.0f MB)",
                     Double(peakRSSKB()) / 1024, Double(net.weightBytes) / 1e6))
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

    /// VmHWM from /proc/self/status, in KiB.
    static func peakRSSKB() -> Int { procStatus("VmHWM") }

    static func procStatus(_ field: String, pid: String = "self") -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }

    /// Runs bench/analysis_direct_torch.py on the same ids; [(T, ms, largest tensor MB)].
    static func directTimes(model: LoadedModel, lengths: [Int], runs: Int) -> [(Int, Double, Double)] {
        let sequences = lengths.map { BenchCommand.sampleIDs(model: model, count: $0) }
        let lines = BenchCommand.runReferenceScript("analysis_direct_torch.py", model: model, sequences: sequences,
                                                    threads: Parallel.threadCount, runs: runs) ?? []
        return lines.compactMap { f in
            guard f.count == 3, let T = Int(f[0]), let ms = Double(f[1]), let mb = Double(f[2]) else { return nil }
            return (T, ms, mb)
        }
    }
}
