import Foundation
import HeedModels
import HeedTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `heed` executable on tiny fixture models (hermetic: no network, no real model).
enum CLI {
    /// The `heed` executable: $HEED_EXECUTABLE, or the one in the build directory that holds
    /// this test process (`swift build --build-tests` builds both).
    static var executable: URL {
        if let p = ProcessInfo.processInfo.environment["HEED_EXECUTABLE"] { return URL(fileURLWithPath: p) }
        var candidates: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("heed"))
        }
        for b in Bundle.allBundles where b.bundlePath.hasSuffix(".xctest") {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("heed"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("heed"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast(stdout.hasSuffix("\n") ? 1 : 0) }
    }

    /// Runs heed with `arguments`, `stdin` as its standard input (empty when nil), `environment`
    /// added to this process's (HEED_CACHE points at an empty directory unless given).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["HEED_CACHE"] = emptyCache.path
        env.removeValue(forKey: "NO_COLOR")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data((stdin ?? "").utf8))
        try input.fileHandleForWriting.close()
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    final class Box: @unchecked Sendable { var data = Data() }

    /// A fresh temporary directory, removed at exit.
    static func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("heed-cli-tests-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        created.append(url)
        return url
    }

    nonisolated(unsafe) static var created: [URL] = {
        atexit { for url in CLI.created { try? FileManager.default.removeItem(at: url) } }
        return []
    }()

    static let emptyCache = temporaryDirectory("empty-cache")

    /// tiny-bert (2 layers, 4 heads, hidden 32, 600 positions) with a WordPiece tokenizer over
    /// `TinyVocabulary.words`; anything else (e.g. "東") is [UNK].
    static let tinyModel: String = {
        let dir = temporaryDirectory("tiny")
        writeTinyModel(into: dir)
        return dir.path
    }()

    /// tiny with NaN in `embeddings.LayerNorm.bias`: every number it computes is NaN.
    static let nanModel: String = {
        let dir = temporaryDirectory("nan")
        writeTinyModel(into: dir)
        let url = dir.appendingPathComponent("model.safetensors")
        var weights = try! Data(contentsOf: url)
        let headerLength = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try! JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        let offsets = (header["embeddings.LayerNorm.bias"] as! [String: Any])["data_offsets"] as! [Int]
        for k in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
            weights.replaceSubrange(k..<(k + 4), with: [0x00, 0x00, 0xC0, 0x7F] as [UInt8])  // quiet NaN
        }
        try! weights.write(to: url)
        return dir.path
    }()

    /// A Heed cache ($HEED_CACHE) in which the catalog model minilm is "fetched": its directory
    /// holds the tiny model.
    static let cacheWithTinyMinilm: URL = {
        let cache = temporaryDirectory("cache")
        let dir = cache.appendingPathComponent("minilm/0.1.0", isDirectory: true)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        writeTinyModel(into: dir)
        return cache
    }()

    static func writeTinyModel(into dir: URL) {
        for file in ["config.json", "model.safetensors"] {
            try! FileManager.default.copyItem(at: Fixtures.url("models/tiny-bert/\(file)"), to: dir.appendingPathComponent(file))
        }
        try! TinyVocabulary.tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
    }

    /// The tiny model loaded in this process, to compute what the executable must print.
    static let loadedTiny: LoadedModel = try! LoadedModel.load(id: tinyModel, directory: URL(fileURLWithPath: tinyModel))
}

/// The tiny tokenizer's vocabulary (ids 0..<123 to fit tiny-bert's embeddings).
enum TinyVocabulary {
    static let words: [String] = {
        var v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                 "the", "cat", "sat", "on", "mat", "kitten", "with", "it", "hi", "there", "friend", "dog", "is", "and", "because", "was", "tired"]
        v += "abcdefghijklmnopqrstuvwxyz".map { String($0) }
        v += "abcdefghijklmnopqrstuvwxyz".map { "##" + String($0) }
        v += [".", ",", "!", "?", ":", ";", "'", "(", ")", "-"]
        precondition(v.count <= 123 && Set(v).count == v.count)
        return v
    }()

    static var tokenizerJSON: String { TinyTokenizer.json(vocabulary: words) }
}
