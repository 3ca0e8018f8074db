import Foundation
import HeedTestSupport
import XCTest

/// `heed predict`: options, and a clear refusal for a model that cannot predict. (Predictions of
/// a real decoder: CLIPredictDecoderTests.)
final class CLIPredictTests: XCTestCase {
    func testAnEncoderCannotPredict() throws {
        let out = try CLI.run(["predict", "--model", CLI.tinyModel, "the cat"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertEqual(out.stdout, "")
        XCTAssertEqual(out.stderr, "heed: \(CLI.tinyModel) cannot predict: a bert model has no language-modelling head: next-token prediction needs a decoder (such as smollm2)\n")
    }

    func testBadOptions() throws {
        for (args, message) in [(["--top-k", "0"], "--top-k takes a whole number >= 1 (not \"0\")"),
                                (["--top-k", "ten"], "--top-k takes a whole number >= 1 (not \"ten\")"),
                                ([], "missing TEXT")] {
            let out = try CLI.run(["predict", "--model", CLI.tinyModel] + args + (args.isEmpty ? [] : ["the cat"]))
            XCTAssertEqual(out.status, 2, "\(args): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(args): \(out.stderr)")
            XCTAssertEqual(out.stdout, "")
        }
    }
}
