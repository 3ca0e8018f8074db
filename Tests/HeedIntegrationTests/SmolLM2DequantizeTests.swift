// Dequantising the real SmolLM2-135M-Instruct Q4_1 GGUF (catalog smollm2) through
// GGUFFile.tensorData: every one of its 272 tensors (Q4_1, Q8_0, F32) reads and is finite, and
// four of them match what gguf-py 0.19.0's `gguf.quants.dequantize` returns (first and last
// values bit for bit, float64 sums; computed once with gguf-py, numbers below).

import Foundation
import HeedCheckpoints
import HeedTestSupport
import XCTest

final class SmolLM2DequantizeTests: XCTestCase {
    func testEveryTensorDequantisesAsGGUFPyDoes() throws {
        try Integration.requireEnabled()
        let url = try ModelStore.resolve("smollm2") { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let file = try GGUFFile(url: url)
        // name: (element count, first four and last two values as float32 bits, sum, sum of |x|)
        let expected: [String: (Int, [UInt32], [UInt32], Double, Double)] = [
            "token_embd.weight": (28_311_552, [0xbdda3400, 0x3d071400, 0x3d456c00, 0xbcbb0800], [0xbdf58b00, 0xbd2ad000],
                                  -15353.04449415207, 2802153.619805813),
            "blk.0.attn_q.weight": (331_776, [0xbdc54000, 0x3e212000, 0xbdc54000, 0xbf3b0000], [0xbe197000, 0xbe830000],
                                    59.22322082519531, 63395.39872741699),
            "blk.29.ffn_down.weight": (884_736, [0xbe8bf000, 0x3e3ec000, 0x3e3ec000, 0x3d464000], [0xbdb80000, 0x3d680000],
                                       49.83570861816406, 126250.91435241699),
            "output_norm.weight": (576, [0x3fe10000, 0x3fe90000, 0x3fe40000, 0x3fcd0000], [0x3ff60000, 0x3ffe0000],
                                   1038.33203125, 1045.09765625),
        ]
        let start = Date()
        var elements = 0
        for info in file.tensors {
            let values = try file.dequantized(info.name)
            elements += values.count
            XCTAssertEqual(values.count, info.elementCount, info.name)
            XCTAssertNil(values.firstIndex { !$0.isFinite }, "\(info.name) has a non-finite value")
            guard let (count, first, last, sum, absSum) = expected[info.name] else { continue }
            XCTAssertEqual(values.count, count, info.name)
            XCTAssertEqual(values.prefix(4).map(\.bitPattern), first, info.name)
            XCTAssertEqual(values.suffix(2).map(\.bitPattern), last, info.name)
            let s = values.reduce(0.0) { $0 + Double($1) }, a = values.reduce(0.0) { $0 + Double(abs($1)) }
            XCTAssertEqual(s, sum, accuracy: abs(sum) * 1e-9, info.name)
            XCTAssertEqual(a, absSum, accuracy: absSum * 1e-9, info.name)
        }
        XCTAssertEqual(elements, 134_515_008)
        print("SmolLM2: dequantised \(file.tensors.count) tensors, \(elements) elements, in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }
}
