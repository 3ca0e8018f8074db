import HeedKernels
import XCTest

extension XCTestCase {
    /// Runs `body` once per kernel variant this CPU supports (`ISA.supported`, best first), with
    /// that variant active (`ISA.withActive`): kernel calls and models loaded inside use it.
    /// Tests loop here instead of relying on HEED_ISA, so every variant is checked in every run;
    /// a failure is followed by a line naming the variant it happened under.
    public func forEachVariant(_ body: (ISA) throws -> Void) rethrows {
        for isa in ISA.supported {
            let before = testRun?.totalFailureCount ?? 0
            try ISA.withActive(isa) { try body(isa) }
            if (testRun?.totalFailureCount ?? 0) > before {
                print("^ failures above happened with the \(isa) kernel variant")
            }
        }
    }
}
