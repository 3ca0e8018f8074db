// All safetensors files of a model directory, seen as one namespace of tensors
// (single-file models and sharded ones such as model-00001-of-00002.safetensors alike).

import Foundation
import HeedKernels

/// The tensors of every `*.safetensors` file directly inside a directory.
public struct Checkpoint: Sendable {
    public let directory: URL
    /// The files, sorted by name.
    public let files: [SafeTensorsFile]
    /// Tensor names across all files, sorted.
    public let tensorNames: [String]
    private let fileIndexByName: [String: Int]

    /// Opens (maps and validates) every `*.safetensors` file of `directory`. Throws
    /// `CheckpointError` when there is none, when a file is malformed, or when two files
    /// hold a tensor of the same name.
    public init(directory: URL) throws {
        self.directory = directory
        let path = directory.path
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw CheckpointError(file: path, problem: "cannot list the directory (\(Self.reason(error)))")
        }
        let shardNames = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        if shardNames.isEmpty {
            throw CheckpointError(file: path, problem: "no *.safetensors file in the directory")
        }
        var files: [SafeTensorsFile] = []
        var index: [String: Int] = [:]
        for name in shardNames {
            let file = try SafeTensorsFile(url: directory.appendingPathComponent(name))
            for tensorName in file.tensorNames {
                if let other = index[tensorName] {
                    throw CheckpointError(file: path, problem: "tensor '\(tensorName)' appears in both \(shardNames[other]) and \(name)")
                }
                index[tensorName] = files.count
            }
            files.append(file)
        }
        self.files = files
        self.fileIndexByName = index
        self.tensorNames = index.keys.sorted()
    }

    public func has(_ name: String) -> Bool { fileIndexByName[name] != nil }

    /// Type and shape of `name`, or nil when no file holds it.
    public func info(_ name: String) -> TensorInfo? {
        fileIndexByName[name].flatMap { files[$0].info(name) }
    }

    /// The tensor `name` as float32. A missing name throws an error naming it and the directory.
    public func tensor(_ name: String) throws -> Tensor {
        guard let i = fileIndexByName[name] else {
            throw CheckpointError(file: directory.path, problem: "no tensor named '\(name)' in the checkpoint (\(tensorNames.count) tensors in \(files.count) file\(files.count == 1 ? "" : "s"))")
        }
        return try files[i].tensor(name)
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
