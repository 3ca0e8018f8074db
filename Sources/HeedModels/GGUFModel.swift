// GGUF models (a *.gguf file, e.g. the catalog's smollm2). Heed reads their header, metadata,
// tensor infos and tokenizer keys. When a family is registered for the file's
// `general.architecture` (`ModelFamilies`) and the file holds tensors, the network is built
// from them; otherwise the model loads as a tokenizer-only model: heed/tokenize works, every
// analysis answers `NetworkUnavailable` (-32012 in the daemon).
//
// The tokenizer comes from the `tokenizer.ggml.*` keys; a file without them (a GGUF written
// from a transformers directory without its vocabulary, such as the test's tiny BERT) takes
// the `tokenizer.json` in the same folder.

import Foundation
import HeedCheckpoints
import HeedTokenizers

extension LoadedModel {
    /// Opens the GGUF file at `file`, builds its tokenizer (see the file header) and, for a
    /// registered architecture, its network; otherwise its shape from `general.architecture` and
    /// `{arch}.block_count`, `.attention.head_count`, `.embedding_length`, `.context_length`
    /// (llama.cpp's key names). Throws `GGUFError` for a malformed file or inconsistent keys,
    /// `TokenizerError` for a tokenizer Heed cannot build, `ModelLoadError` for a network that
    /// cannot be built (a missing tensor, a wrong shape) or a missing tokenizer.
    static func loadGGUF(id: String, file url: URL) throws -> LoadedModel {
        let file = try GGUFFile(url: url)
        var notes: [String] = []
        let tokenizer: Tokenizer
        if file.value("tokenizer.ggml.model") != nil || file.tensors.isEmpty {
            tokenizer = try Tokenizer(ggml: GGMLTokenizerMetadata(gguf: file))
        } else {
            let beside = url.deletingLastPathComponent().appendingPathComponent("tokenizer.json")
            guard FileManager.default.fileExists(atPath: beside.path) else {
                throw ModelLoadError(file: url.path, problem: "has no tokenizer.ggml.* keys and no tokenizer.json lies beside it")
            }
            do { tokenizer = try Tokenizer(url: beside) } catch { throw ModelLoadError(file: beside.path, problem: "\(error)") }
            notes.append("\(url.lastPathComponent): no tokenizer.ggml.* keys; tokenizer from \(beside.path)")
        }
        guard let architecture = try file.string("general.architecture") else {
            throw GGUFError(file: url.path, rule: .missingKey, problem: "no general.architecture key: the file does not say which model it holds")
        }
        if let family = ModelFamilies.family(for: architecture), !file.tensors.isEmpty {
            let weights = GGUFWeights(file: file)
            let network = try family.load(architecture: architecture, from: .gguf(file: file, architecture: architecture, weights: weights))
            return LoadedModel(id: id, directory: url, network: network, tokenizer: tokenizer,
                               loadNotes: notes + network.loadNotes)
        }
        func count(_ key: String) throws -> Int {
            guard let n = try file.int("\(architecture).\(key)"), n > 0 else {
                throw GGUFError(file: url.path, rule: .missingKey, problem: "no positive \(architecture).\(key) key")
            }
            return n
        }
        let shape = ModelShape(family: architecture, layers: try count("block_count"), heads: try count("attention.head_count"),
                               hidden: try count("embedding_length"), maxTokens: try count("context_length"), causal: true)
        return LoadedModel(id: id, directory: url, tokenizer: tokenizer, shape: shape)
    }
}
