// Errors raised while reading checkpoint files (safetensors, config.json).

import Foundation

/// A checkpoint file that cannot be used: which file, and what is wrong with it.
///
/// `description` reads "FILE: PROBLEM", so a daemon can pass it to a client unchanged.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, LocalizedError {
    /// Path of the offending file (or directory, for a checkpoint that lacks a tensor).
    public let file: String
    /// What is wrong, in one sentence, naming the tensor or key involved.
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}
