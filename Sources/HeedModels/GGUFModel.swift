// GGUF models (a *.gguf file, e.g. the catalog's smollm2): Heed reads their header, metadata,
// tensor infos and tokenizer keys, but has no decoder network to run them yet. Loading one
// checks the file (so a damaged file is reported as such) and then refuses it with a message
// that says so, which the daemon answers as -32011 (model failed to load).

import Foundation
import HeedCheckpoints
import HeedTokenizers

extension LoadedModel {
    /// Opens the GGUF file at `url`, reads its tokenizer metadata, and throws: `GGUFError` when the
    /// file or its tokenizer keys are malformed, otherwise `ModelLoadError` saying that GGUF models
    /// cannot be run yet (naming the file, its architecture and tensor count).
    static func refuseGGUF(_ url: URL) throws -> Never {
        let file = try GGUFFile(url: url)
        let tokenizer = try GGMLTokenizerMetadata(gguf: file)
        let architecture = (try? file.string("general.architecture")).flatMap { $0 } ?? "unknown"
        throw ModelLoadError(file: url.path, problem: "a GGUF model (architecture \(architecture), \(file.tensors.count) tensors, "
            + "\(tokenizer.tokens.count)-token \(tokenizer.model) tokenizer): Heed cannot run GGUF models yet; "
            + "pass a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)")
    }
}
