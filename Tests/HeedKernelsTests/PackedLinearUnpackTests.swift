import HeedTestSupport
import XCTest
@testable import HeedKernels

/// `PackedLinear.unpackedWeight()` gives back exactly the W that was packed, for every variant
/// (16- or 32-column panels) and awkward shapes (partial last panels, depth not a multiple of 8).
final class PackedLinearUnpackTests: XCTestCase {
    func testUnpackedWeightIsTheWeight() {
        forEachVariant { isa in
            var seed: UInt64 = 11
            for (out, inF) in [(1, 1), (7, 33), (33, 7), (16, 16), (32, 32), (129, 65), (96, 32), (37, 32), (32, 37)] {
                let w = randomFloats(out * inF, seed: seed)
                let linear = PackedLinear(weight: w, bias: nil, outFeatures: out, inFeatures: inF, isa: isa)
                XCTAssertEqual(linear.unpackedWeight(), w, "\(isa) \(out)x\(inF)")
                seed += 1
            }
            XCTAssertEqual(PackedLinear(weight: [], bias: nil, outFeatures: 0, inFeatures: 5, isa: isa).unpackedWeight(), [])
        }
    }
}
