import Foundation

/// Throughput of the kernels on MiniLM-like shapes (T tokens, C = 384, I = 1536, HS = 32),
/// for `heed bench kernels`. Threads: `Parallel.threadCount` (set `HEED_THREADS` before the
/// process starts). Each figure is the best of several runs.
public enum KernelBench {
    public struct Result: CustomStringConvertible {
        public let name: String
        /// Seconds of the best run.
        public let seconds: Double
        /// Floating-point operations per run (0 for memory-bound kernels).
        public let flops: Double
        public var gflops: Double { flops / seconds / 1e9 }
        public var description: String {
            let us = String(format: "%9.1f us", seconds * 1e6)
            return flops > 0 ? "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(us)  \(String(format: "%6.1f", gflops)) GFLOP/s"
                : "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(us)"
        }
    }

    /// Best wall time of `body` over repeats lasting at least `minSeconds` in total.
    public static func best(minSeconds: Double = 0.15, minRuns: Int = 5, _ body: () -> Void) -> Double {
        body()  // warm-up: caches, thread pool, scratch buffers
        var bestTime = Double.infinity, total = 0.0, runs = 0
        while runs < minRuns || total < minSeconds {
            let t = Peak.timeSeconds(body)
            bestTime = min(bestTime, t); total += t; runs += 1
        }
        return bestTime
    }

    /// GEMM shapes of one MiniLM layer at each T: the four linears and per-head attention.
    public static func gemmResults(tokens: [Int] = [16, 128, 512]) -> [Result] {
        let C = 384, I = 1536, HS = 32, NH = 12
        var results: [Result] = []
        for T in tokens {
            let x = randomBuffer(T * I, seed: 1)
            let y = UnsafeMutablePointer<Float>.allocate(capacity: T * I)
            defer { x.deallocate(); y.deallocate() }
            for (oc, ic, label) in [(C, C, "attn.out 384x384"), (3 * C, C, "qkv 1152x384"), (I, C, "ffn.in 1536x384"), (C, I, "ffn.out 384x1536")] {
                let w = randomArray(oc * ic, seed: 2)
                let linear = PackedLinear(weight: w, bias: randomArray(oc, seed: 3), outFeatures: oc, inFeatures: ic)
                let t = best { linear.forward(x, rows: T, into: y) }
                results.append(Result(name: "T=\(T) linear \(label)", seconds: t, flops: 2.0 * Double(T * oc * ic)))
            }
            // Attention of one head: scores (T, T) = q (T, HS) k^T; ctx (T, HS) = p (T, T) v.
            let qkv = randomBuffer(T * 3 * C, seed: 4)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: NH * T * T)
            let ctx = UnsafeMutablePointer<Float>.allocate(capacity: T * C)
            defer { qkv.deallocate(); scores.deallocate(); ctx.deallocate() }
            let t1 = best { Kernels.gemmABt(m: T, n: T, k: HS, a: qkv, lda: 3 * C, b: qkv + C, ldb: 3 * C, c: scores, ldc: T) }
            results.append(Result(name: "T=\(T) head q k^T (T x 32)(32 x T)", seconds: t1, flops: 2.0 * Double(T * T * HS)))
            let t2 = best { Kernels.gemmAB(m: T, n: HS, k: T, a: scores, lda: T, b: qkv + 2 * C, ldb: 3 * C, c: ctx, ldc: C) }
            results.append(Result(name: "T=\(T) head p v (T x T)(T x 32)", seconds: t2, flops: 2.0 * Double(T * T * HS)))
            // All heads, parallel over heads (as the encoder runs them), scores + softmax + context.
            let t3 = best {
                Parallel.forEach(NH) { h in
                    let s = scores + h * T * T
                    Kernels.gemmABt(m: T, n: T, k: HS, a: qkv + h * HS, lda: 3 * C, b: qkv + C + h * HS, ldb: 3 * C, c: s, ldc: T)
                    Kernels.softmaxRows(s, rows: T, cols: T, scale: 0.17)
                    Kernels.gemmAB(m: T, n: HS, k: T, a: s, lda: T, b: qkv + 2 * C + h * HS, ldb: 3 * C, c: ctx + h * HS, ldc: C)
                }
            }
            results.append(Result(name: "T=\(T) attention 12 heads (+softmax)", seconds: t3, flops: 4.0 * Double(NH * T * T * HS)))
        }
        return results
    }

    /// Row and elementwise kernels at T tokens. Each run starts from fresh input (repeated
    /// GELUs would drift into denormals); the copy's own time is subtracted.
    public static func rowResults(tokens: [Int] = [128, 512]) -> [Result] {
        let C = 384, I = 1536, NH = 12
        var results: [Result] = []
        for T in tokens {
            let count = max(NH * T * T, T * I)
            let source = randomBuffer(count, seed: 5), buf = randomBuffer(count, seed: 5)
            for i in 0..<count { source[i] *= 8 }
            let gamma = randomBuffer(C, seed: 6), beta = randomBuffer(C, seed: 7)
            defer { source.deallocate(); buf.deallocate(); gamma.deallocate(); beta.deallocate() }
            func timed(_ name: String, elements: Int, _ kernel: () -> Void) {
                let copy = best { buf.update(from: source, count: elements) }
                let both = best { buf.update(from: source, count: elements); kernel() }
                results.append(Result(name: "\(name) [\(elements / 1000)k el]", seconds: max(both - copy, 1e-9), flops: 0))
            }
            timed("T=\(T) softmax 12 x (T x T)", elements: NH * T * T) { Kernels.softmaxRows(buf, rows: NH * T, cols: T, scale: 0.125) }
            timed("T=\(T) layerNorm (T x 384)", elements: T * C) { Kernels.layerNorm(buf, rows: T, cols: C, gamma: gamma, beta: beta, eps: 1e-12, out: buf) }
            timed("T=\(T) gelu (T x 1536)", elements: T * I) { Kernels.gelu(buf, count: T * I) }
            timed("T=\(T) geluTanh (T x 1536)", elements: T * I) { Kernels.geluTanh(buf, count: T * I) }
        }
        return results
    }

    /// Quantized against f32 linears on SmolLM2-135M's shapes (C = 576, KV dim 192, I = 1536,
    /// vocab 49152): per shape and T, the best time of the f32 `PackedLinear` and of
    /// `QuantizedLinear` with Q4_1 and Q8_0 blocks (random blocks, finite scales), and the
    /// quantized/f32 ratio. The vocab projection (49152 x 576) runs at T = 1 only.
    public static func quantizedGemmLines(tokens: [Int] = [1, 16, 128, 512]) -> [String] {
        let shapes = [(576, 576, "q/o 576x576"), (192, 576, "k/v 192x576"), (1536, 576, "gate/up 1536x576"),
                      (576, 1536, "down 576x1536"), (49152, 576, "vocab 49152x576")]
        var lines = ["isa: \(ISA.active)  threads: \(Parallel.threadCount)  cpu: \(ISA.cpuModel)",
                     "shape                      T       f32 us     q4_1 us (ratio)     q8_0 us (ratio)"]
        let maxT = tokens.max() ?? 1
        let x = randomBuffer(maxT * 1536, seed: 11)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: maxT * 49152)
        defer { x.deallocate(); y.deallocate() }
        for (oc, ic, label) in shapes {
            let ts = oc == 49152 ? tokens.filter { $0 == 1 } : tokens
            if ts.isEmpty { continue }
            let f32 = PackedLinear(weight: randomArray(oc * ic, seed: 12), bias: nil, outFeatures: oc, inFeatures: ic)
            let q41 = try! QuantizedLinear(blocks: randomBlocks(.q4_1, count: oc * ic, seed: 13), format: .q4_1,
                                           outFeatures: oc, inFeatures: ic, bias: nil)
            let q80 = try! QuantizedLinear(blocks: randomBlocks(.q8_0, count: oc * ic, seed: 14), format: .q8_0,
                                           outFeatures: oc, inFeatures: ic, bias: nil)
            for T in ts {
                let tf = best { f32.forward(x, rows: T, into: y) }
                let t4 = best { q41.forward(x, rows: T, into: y) }
                let t8 = best { q80.forward(x, rows: T, into: y) }
                lines.append(String(format: "%@ %4d %12.1f %12.1f (%4.2fx) %12.1f (%4.2fx)",
                                    label.padding(toLength: 22, withPad: " ", startingAt: 0), T,
                                    tf * 1e6, t4 * 1e6, t4 / tf, t8 * 1e6, t8 / tf))
            }
        }
        return lines
    }

    /// Random blocks of `format` for `count` elements: random bytes, every f16 scale or min
    /// field a finite half of magnitude 2^-8 ... 2^-2 (Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K).
    static func randomBlocks(_ format: QuantFormat, count: Int, seed: UInt64) -> [UInt8] {
        let blocks = count / format.blockSize
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var bytes = [UInt8](repeating: 0, count: blocks * format.bytesPerBlock)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: next() >> 24) }
        let halves: [Int]
        switch format {
        case .q8_0, .q4_0: halves = [0]
        case .q4_1, .q4_K, .q5_K: halves = [0, 2]
        case .q6_K: halves = [208]
        default: halves = []
        }
        for b in 0..<blocks {
            for o in halves {
                let r = next()
                let bits = UInt16(r & 1) << 15 | UInt16(7 + (r >> 1) % 7) << 10 | UInt16((r >> 8) & 0x3ff)
                bytes[b * format.bytesPerBlock + o] = UInt8(bits & 0xff)
                bytes[b * format.bytesPerBlock + o + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    /// A printable report: peak, GEMM shapes, row kernels.
    public static func report() -> String {
        var lines = ["isa: \(ISA.current)  threads: \(Parallel.threadCount)  cpu: \(ISA.cpuModel)"]
        let peak1 = Peak.measureGFLOPS(threads: 1), peakN = Peak.measureGFLOPS(threads: Parallel.threadCount)
        lines.append(String(format: "peak FMA loop: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (%d threads)", peak1, peakN, Parallel.threadCount))
        for r in gemmResults() {
            lines.append("\(r)  \(String(format: "%5.1f%%", 100 * r.gflops / peakN)) of peak")
        }
        for r in rowResults() { lines.append(r.description) }
        return lines.joined(separator: "\n")
    }

    static func randomArray(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
    }

    static func randomBuffer(_ count: Int, seed: UInt64) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        p.initialize(from: randomArray(count, seed: seed), count: count)
        return p
    }
}
