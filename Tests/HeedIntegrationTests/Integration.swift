import Foundation
import HeedModels
import XCTest

/// Integration tests need the real models: they run only with HEED_INTEGRATION=1 (the README's
/// test script sets it after `heed fetch`), and then fail, not skip, when a model is missing.
enum Integration {
    static var enabled: Bool { ProcessInfo.processInfo.environment["HEED_INTEGRATION"] == "1" }

    static func requireEnabled() throws {
        if !enabled { throw XCTSkip("integration test: set HEED_INTEGRATION=1 (./test.sh does)") }
    }

    /// MiniLM, loaded once per process from Heed's cache (fetched there by `heed fetch minilm`).
    static let minilm: Result<LoadedModel, Error> = Result {
        try LoadedModel.resolve("minilm") { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    }

    /// The `heed` executable: $HEED_EXECUTABLE, or the one next to this test bundle.
    static var executable: URL {
        if let p = ProcessInfo.processInfo.environment["HEED_EXECUTABLE"] { return URL(fileURLWithPath: p) }
        var dir = Bundle.main.bundleURL
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") { dir = b.bundleURL }
        return dir.deletingLastPathComponent().appendingPathComponent("heed")
    }

    /// Runs heed with `arguments`; returns (exit status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (Int32, Data, String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, outData, String(decoding: errData, as: UTF8.self))
    }
}
