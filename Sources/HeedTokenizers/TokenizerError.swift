// Errors thrown while reading a tokenizer.json. Encoding itself never fails.

/// A problem with a tokenizer file: unreadable bytes, malformed JSON, a missing or ill-typed
/// field, or a pipeline component Heed does not implement (named in `componentType`).
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    /// What kind of problem it is.
    public enum Kind: Equatable, Sendable {
        /// The file could not be read.
        case unreadableFile
        /// The bytes are not well-formed JSON (or not UTF-8).
        case malformedJSON
        /// The JSON is well-formed but a field is missing, has the wrong type or an invalid value.
        case invalidConfiguration
        /// A pipeline stage (`normalizer`, `pre_tokenizer`, `model`, `post_processor`) has a
        /// `type` this implementation does not support.
        case unsupportedComponent
    }

    /// The kind of problem.
    public var kind: Kind
    /// A sentence naming the problem and where it is.
    public var message: String
    /// For `.unsupportedComponent`: the stage (e.g. "normalizer", "decoder") or, for GGUF
    /// metadata, the key ("tokenizer.ggml.model", "tokenizer.ggml.pre").
    public var component: String?
    /// For `.unsupportedComponent`: the unknown `type` value (e.g. "Precompiled").
    public var componentType: String?

    /// What was being read: "tokenizer.json", or "GGUF tokenizer metadata" for `Tokenizer(ggml:)`.
    public var source = "tokenizer.json"

    public var description: String { "\(source): \(message)" }

    static func malformed(_ message: String) -> TokenizerError {
        TokenizerError(kind: .malformedJSON, message: message)
    }

    static func invalid(_ message: String) -> TokenizerError {
        TokenizerError(kind: .invalidConfiguration, message: message)
    }

    static func unsupported(_ component: String, type: String) -> TokenizerError {
        TokenizerError(
            kind: .unsupportedComponent,
            message: "unsupported \(component) type \"\(type)\"",
            component: component, componentType: type)
    }
}
