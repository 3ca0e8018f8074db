import Foundation
import HeedTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Model directories for hermetic daemon tests, built from the tiny-bert fixture
/// (2 layers, 4 heads, hidden 32, vocabulary 123, 600 positions) in a temporary directory.
enum TestModels {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("heed-daemon-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestModels.root) }
        return url
    }()

    static let tinyBert = Fixtures.url("models/tiny-bert")

    /// A working model: tiny-bert's config and weights with a small WordPiece tokenizer whose
    /// ids fit its vocabulary. Lower-cases and strips accents (BERT uncased); anything outside
    /// the vocabulary is `[UNK]`. `max_position_embeddings` is 600, so the limit is 600 tokens.
    static let tiny: String = {
        let dir = directory("tiny")
        copy("config.json", to: dir)
        copy("model.safetensors", to: dir)
        try! tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir.path
    }()

    /// The tiny model with a tokenizer that inserts no special tokens (`post_processor: null`):
    /// "cat" is one token, so an analysis can have T = 1.
    static let tinyWithoutSpecials: String = {
        let dir = directory("no-specials")
        copy("config.json", to: dir)
        copy("model.safetensors", to: dir)
        let json = tokenizerJSON
        let from = json.range(of: #""post_processor":"#)!.lowerBound, to = json.range(of: #""decoder":"#)!.lowerBound
        try! json.replacingCharacters(in: from..<to, with: #""post_processor":null,"#)
            .write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir.path
    }()

    /// config.json and tokenizer.json are fine, model.safetensors is cut off after 100 bytes.
    static let truncatedWeights: String = {
        let dir = directory("truncated")
        copy("config.json", to: dir)
        let weights = try! Data(contentsOf: tinyBert.appendingPathComponent("model.safetensors"))
        try! weights.prefix(100).write(to: dir.appendingPathComponent("model.safetensors"))
        try! tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir.path
    }()

    /// The tiny model with NaN in `embeddings.LayerNorm.bias`: loads, tokenizes, and every
    /// number it computes is NaN.
    static let nanWeights: String = {
        let dir = directory("nan")
        copy("config.json", to: dir)
        var weights = try! Data(contentsOf: tinyBert.appendingPathComponent("model.safetensors"))
        let headerLength = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try! JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
        let offsets = (header["embeddings.LayerNorm.bias"] as! [String: Any])["data_offsets"] as! [Int]
        let nan: [UInt8] = [0x00, 0x00, 0xC0, 0x7F]  // quiet NaN, little-endian float32
        for k in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
            weights.replaceSubrange(k..<(k + 4), with: nan)
        }
        try! weights.write(to: dir.appendingPathComponent("model.safetensors"))
        try! tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir.path
    }()

    /// Only config.json: tokenizer.json and the weights are missing.
    static let incomplete: String = {
        let dir = directory("incomplete")
        copy("config.json", to: dir)
        return dir.path
    }()

    /// A fresh model whose model.safetensors is a named pipe: loading it blocks in open(2) until
    /// `release` opens the pipe for writing, then fails (-32011, not a regular file). This holds a
    /// request in flight for exactly as long as a test needs. Each call makes a new one.
    static func blocking(_ name: String) -> BlockingModel {
        let dir = directory("blocking-\(name)-\(UInt32.random(in: 0...UInt32.max))")
        copy("config.json", to: dir)
        try! tokenizerJSON.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        let fifo = dir.appendingPathComponent("model.safetensors").path
        if mkfifo(fifo, 0o600) != 0 { fatalError("mkfifo failed: \(String(cString: strerror(errno)))") }
        return BlockingModel(id: dir.path, fifo: fifo)
    }

    private static func directory(_ name: String) -> URL {
        let dir = root.appendingPathComponent(name, isDirectory: true)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    private static func copy(_ file: String, to dir: URL) {
        let target = dir.appendingPathComponent(file)
        try? FileManager.default.removeItem(at: target)
        try! FileManager.default.copyItem(at: tinyBert.appendingPathComponent(file), to: target)
    }

    /// The tiny tokenizer's vocabulary: specials, some words, letters and continuation letters,
    /// digits and punctuation (ids 0..<123 to fit tiny-bert's embeddings).
    static let vocabulary: [String] = {
        var v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                 "the", "cat", "sat", "on", "mat", "hello", "world", "zoe", "naive", "cafe", "dog", "is", "and"]
        v += "abcdefghijklmnopqrstuvwxyz".map { String($0) }
        v += "abcdefghijklmnopqrstuvwxyz".map { "##" + String($0) }
        v += "0123456789".map { String($0) }
        v += [".", ",", "!", "?", ":", ";", "'", "\"", "(", ")", "-"]
        precondition(v.count <= 123 && Set(v).count == v.count)
        return v
    }()

    static var tokenizerJSON: String { TinyTokenizer.json(vocabulary: vocabulary) }
}

/// A model directory whose weights file is a named pipe (see `TestModels.blocking`).
final class BlockingModel {
    let id: String
    let fifo: String
    private var released = false

    init(id: String, fifo: String) {
        self.id = id
        self.fifo = fifo
    }

    /// Lets a load blocked on the pipe continue (it then fails: not a regular file). Waits until
    /// a reader has the pipe open; returns false if none came within `timeout`.
    @discardableResult
    func release(timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)  // ENXIO while nobody is reading
            if fd >= 0 {
                close(fd)
                released = true
                return true
            }
            usleep(2_000)
        }
        return false
    }

    /// For `defer`: frees a load that a failing test left blocked (no-op after `release`).
    func releaseIfNeeded() {
        if !released { release(timeout: 1) }
    }
}
