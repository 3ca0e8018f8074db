// Errors raised while reading GGUF files (ggml docs/gguf.md): which file, which rule it breaks,
// and a sentence naming the key or tensor involved.

import Foundation

/// A GGUF file that cannot be used, or a metadata value that is not what the caller asked for.
///
/// `description` reads "FILE: PROBLEM", as `CheckpointError` does, so a daemon can pass it to a
/// client unchanged. `rule` says which rule was broken, for code that reacts to the kind of fault.
public struct GGUFError: Error, CustomStringConvertible, Equatable, LocalizedError {
    /// The rule a file or a lookup broke.
    public enum Rule: String, Equatable, Sendable {
        /// The file cannot be opened or mapped (missing, unreadable, not a regular file).
        case unreadable
        /// The file is a Git LFS pointer, not the GGUF file it stands for.
        case gitLFSPointer
        /// The file does not begin with the magic "GGUF".
        case notGGUF
        /// The header's version is not 2 or 3 (1 is obsolete; later versions are unknown).
        case unsupportedVersion
        /// The file ends inside a fixed-size field (a count, a length, a number).
        case truncated
        /// A count or length that the rest of the file cannot hold (a string longer than the file,
        /// an array count whose elements would not fit, more tensors than bytes...).
        case countTooLarge
        /// A metadata value type id outside 0...12.
        case unknownValueType
        /// Arrays nested deeper than `GGUFFile.maxArrayNesting`.
        case nestingTooDeep
        /// A bool byte other than 0 or 1.
        case invalidBool
        /// A key, tensor name or string value that is not valid UTF-8.
        case invalidUTF8
        /// The same key twice in the metadata.
        case duplicateKey
        /// `general.alignment` is not a positive power of two held in an integer.
        case badAlignment
        /// The same tensor name twice.
        case duplicateTensor
        /// A tensor with more than 4 dimensions, a dimension above Int64.max, an element count
        /// that overflows, or a first dimension that is not a multiple of its type's block size.
        case badShape
        /// A ggml type id that no ggml version defines (or one that was removed).
        case unknownTensorType
        /// A tensor offset that is not a multiple of the alignment.
        case misalignedTensor
        /// A tensor whose bytes would lie (partly) beyond the end of the file.
        case tensorOutsideFile
        /// Two tensors sharing bytes.
        case overlappingTensors
        /// A tensor asked for by name that the file does not list (or an info from another file).
        case missingTensor
        /// A tensor whose ggml type Heed cannot dequantise (see `QuantFormat`: F32, F16, BF16,
        /// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K...Q6_K).
        case unsupportedTensorType
        /// A metadata value of another type than the accessor reads.
        case wrongValueType
        /// A metadata number that does not fit the type asked for (a uint64 above Int.max).
        case valueOutOfRange
        /// A key that must be present is absent.
        case missingKey
        /// Values that contradict each other (a token_type array shorter than the vocabulary,
        /// a special-token id beyond it).
        case inconsistentMetadata
    }

    /// Path of the offending file.
    public let file: String
    /// Which rule was broken.
    public let rule: Rule
    /// What is wrong, in one sentence, naming the key or tensor involved and the rule.
    public let problem: String

    public init(file: String, rule: Rule, problem: String) {
        self.file = file
        self.rule = rule
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}
