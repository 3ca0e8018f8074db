// GGUF models (a *.gguf file, e.g. the catalog's smollm2). Heed reads their header, metadata,
// tensor infos and tokenizer keys; it has no decoder network to run them yet, so a GGUF model
// loads as a tokenizer-only model: heed/tokenize works, every analysis answers
// `NetworkUnavailable` (-32012 in the daemon).

import Foundation
import HeedCheckpoints
import HeedTokenizers

extension LoadedModel {
    /// Opens the GGUF file at `file`, builds its tokenizer from the `tokenizer.ggml.*` keys and its
    /// shape from `general.architecture` and `{arch}.block_count`, `.attention.head_count`,
    /// `.embedding_length`, `.context_length` (llama.cpp's key names). Throws `GGUFError` for a
    /// malformed file or inconsistent keys, `TokenizerError` for a tokenizer Heed cannot build.
    static func loadGGUF(id: String, file url: URL) throws -> LoadedModel {
        let file = try GGUFFile(url: url)
        let tokenizer = try Tokenizer(ggml: GGMLTokenizerMetadata(gguf: file))
        guard let architecture = try file.string("general.architecture") else {
            throw GGUFError(file: url.path, rule: .missingKey, problem: "no general.architecture key: the file does not say which model it holds")
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
