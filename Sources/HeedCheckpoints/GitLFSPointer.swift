// Git LFS pointer files. A repository cloned without Git LFS (git-lfs not installed, or
// GIT_LFS_SKIP_SMUDGE=1) holds, in place of each large file, a text file of about 130 bytes:
//   version https://git-lfs.github.com/spec/v1
//   oid sha256:4d7a2c...
//   size 90868376
// (git-lfs docs/spec.md). Read as safetensors or JSON it gives a baffling error ("header length
// runs past the end"); recognised, it gives one a person can act on.

import Foundation

/// Recognises Git LFS pointer files in place of model files (weights, config.json,
/// tokenizer.json) and explains how to fetch the real file.
public enum GitLFSPointer {
    /// How every pointer file begins: spec v1, and the URL pre-release clients wrote.
    static let signatures: [[UInt8]] = [
        Array("version https://git-lfs.github.com/spec/v1".utf8),
        Array("version https://hawser.github.com/spec/v1".utf8),
    ]
    /// Pointer files are smaller than this (the spec's limit); only this much is read.
    static let maxPointerByteCount = 1024

    /// True when `bytes` (a file's contents, or at least its first 64 bytes) begin like a Git LFS
    /// pointer file.
    public static func isPointer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        signatures.contains { signature in
            bytes.count >= signature.count && zip(bytes, signature).allSatisfy { $0 == $1 }
        }
    }

    /// Throws a `CheckpointError` for `file` when `bytes` (the file's contents, or at least its
    /// first 1024 bytes) is a Git LFS pointer; `standsFor` names what the real file holds
    /// ("the weights"). Returns normally for any other content.
    public static func check(_ bytes: UnsafeRawBufferPointer, file: String, standsFor: String) throws {
        guard isPointer(bytes) else { return }
        let text = String(decoding: bytes.prefix(maxPointerByteCount), as: UTF8.self)
        let size = text.split(separator: "\n").first { $0.hasPrefix("size ") }.flatMap { Int($0.dropFirst(5)) }
        let real = size.map { "the real \($0)-byte file" } ?? "the real file"
        throw CheckpointError(file: file, problem: "is a Git LFS pointer (a \(bytes.count)-byte text file that stands for \(real)), "
            + "not \(standsFor): the repository was cloned without Git LFS. Fetch the real file: run `git lfs install` and then "
            + "`git lfs pull` inside the repository (or `git lfs install` and clone again), or download the file from the Hugging Face hub")
    }

    /// Reads the first 1024 bytes of the file at `url` and throws a `CheckpointError` naming it
    /// when they are a Git LFS pointer (see `check(_:file:standsFor:)`). A file that cannot be
    /// read passes: the caller's own open reports why.
    public static func check(fileAt url: URL, standsFor: String) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: maxPointerByteCount) else { return }
        try head.withUnsafeBytes { try check($0, file: url.path, standsFor: standsFor) }
    }
}
