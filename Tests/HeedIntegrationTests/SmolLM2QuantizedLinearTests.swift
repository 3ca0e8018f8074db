// QuantizedLinear on the real SmolLM2-135M-Instruct Q4_1 GGUF (catalog smollm2): its linears
// (Q4_1) and the tied embedding / vocab projection (Q8_0), read in place from the mapping, for
// every kernel variant the CPU has: the layer's dequantised W equals GGUFFile's reference
// dequantisation bit for bit, and forward matches (reference dequantise -> Reference.gemmABt)
// within 1e-5 x (|x| |W|^T) per element. HEED_INTEGRATION=1.

import Foundation
import HeedCheckpoints
import HeedKernels
import HeedTestSupport
import XCTest

final class SmolLM2QuantizedLinearTests: XCTestCase {
    func testRealTensorsMatchReference() throws {
        try Integration.requireEnabled()
        let url = try ModelStore.resolve("smollm2") { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let file = try GGUFFile(url: url)
        let names = ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.7.ffn_up.weight", "blk.29.ffn_down.weight", "token_embd.weight"]
        for name in names {
            let data = try file.tensorData(name)
            let out = data.rowCount, inF = data.rowLength
            let w = data.dequantized()
            try forEachVariant { isa in
                let linear = try QuantizedLinear(mapped: data.bytes.baseAddress!, byteCount: data.bytes.count, owner: file,
                                                 format: data.format, outFeatures: out, inFeatures: inF, bias: nil)
                XCTAssertEqual(linear.dequantized().map(\.bitPattern), w.map(\.bitPattern), "\(isa) \(name) dequantized")
                for rows in name == "token_embd.weight" ? [1] : [1, 7, 33] {
                    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                    let x = (0..<(rows * inF)).map { _ -> Float in
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17
                        return Float(state >> 40) / Float(1 << 24) - 0.5
                    }
                    var y = [Float](repeating: .nan, count: rows * out)
                    linear.forward(x, rows: rows, into: &y)
                    var want = [Float](repeating: 0, count: rows * out), mag = want
                    Reference.gemmABt(m: rows, n: out, k: inF, a: x, lda: inF, b: w, ldb: inF, c: &want, ldc: out)
                    Reference.gemmABt(m: rows, n: out, k: inF, a: x.map(abs), lda: inF, b: w.map(abs), ldb: inF, c: &mag, ldc: out)
                    assertClose(actual: y, expected: want, tolerances: mag.map { 1e-5 * $0 + 1e-30 },
                                "\(isa) \(name) (\(data.format), \(out) x \(inF)) T=\(rows)")
                }
            }
        }
    }
}
