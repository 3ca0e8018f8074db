// The weights of a model directory: the safetensors file(s) transformers would load, seen as
// one namespace of tensors. The choice follows transformers' from_pretrained for a local
// directory (modeling_utils.py, _get_resolved_checkpoint_files, no variant, safetensors only):
//   1. model.safetensors, when present, alone;
//   2. else model.safetensors.index.json: the shards its weight_map names
//      (model-00001-of-00002.safetensors, ...), each tensor read from the shard the map names;
//   3. else the only *.safetensors file of the directory (Heed's addition: transformers would
//      need to be told the variant, e.g. variant="fp16" for model.fp16.safetensors).
// Nothing else is read (a stray model.fp16.safetensors beside model.safetensors stays unopened),
// and unrelated files are never merged: several candidates and no rule to pick one is an error.

import Foundation
import HeedJSON
import HeedKernels

/// The tensors of a model directory's weights: `model.safetensors`, the shards a
/// `model.safetensors.index.json` names, or the directory's only `*.safetensors` file.
public struct Checkpoint: Sendable {
    /// The single-file weights transformers loads first.
    public static let singleFileName = "model.safetensors"
    /// The index of a sharded checkpoint: `{"weight_map": {tensor name: shard file name}}`.
    public static let indexFileName = "model.safetensors.index.json"

    /// The model directory the weights were chosen from.
    public let directory: URL
    /// The files the weights come from, sorted by name (one, or the shards of an index).
    public let files: [SafeTensorsFile]
    /// Tensor names across all files, sorted. For a sharded checkpoint, exactly the index's.
    public let tensorNames: [String]
    /// The file a person should look at for the weights as a whole, relative to `directory`:
    /// the single weights file, or the index of a sharded checkpoint.
    public let sourceFileName: String
    private let fileIndexByName: [String: Int]

    /// Chooses the weights of `directory` (see the file header for the rules) and opens (maps
    /// and validates) them. Throws `CheckpointError` naming the file and the problem when the
    /// directory cannot be listed or holds no `*.safetensors` file; when it holds several
    /// `*.safetensors` files and neither `model.safetensors` nor an index (the message lists
    /// them and says what to do); when the index is malformed, names a shard that is missing,
    /// or places a tensor in a shard that lacks it; or when a chosen file is malformed or a Git
    /// LFS pointer.
    public init(directory: URL) throws {
        self.directory = directory
        let path = directory.path
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw CheckpointError(file: path, problem: "cannot list the directory (\(Self.reason(error)))")
        }
        let nameSet = Set(names)
        if nameSet.contains(Self.singleFileName) {
            let file = try SafeTensorsFile(url: directory.appendingPathComponent(Self.singleFileName))
            self.files = [file]
            self.sourceFileName = Self.singleFileName
            self.fileIndexByName = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, 0) })
        } else if nameSet.contains(Self.indexFileName) {
            let weightMap = try Self.readWeightMap(directory.appendingPathComponent(Self.indexFileName))
            var files: [SafeTensorsFile] = []
            var index: [String: Int] = [:]
            for shard in Set(weightMap.values).sorted() {
                let url = directory.appendingPathComponent(shard)
                let tensors = weightMap.filter { $0.value == shard }.keys.sorted()
                if !nameSet.contains(shard) {
                    let others = tensors.count > 1 ? " and \(tensors.count - 1) other tensor\(tensors.count == 2 ? "" : "s")" : ""
                    throw CheckpointError(file: url.path, problem: "missing: \(Self.indexFileName) places tensor '\(tensors[0])'\(others) in this shard (an incomplete download?)")
                }
                let file = try SafeTensorsFile(url: url)
                for name in tensors {
                    if file.info(name) == nil {
                        throw CheckpointError(file: url.path, problem: "has no tensor '\(name)', which \(Self.indexFileName) places in this shard")
                    }
                    index[name] = files.count
                }
                files.append(file)
            }
            self.files = files
            self.sourceFileName = Self.indexFileName
            self.fileIndexByName = index
        } else {
            let candidates = names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted()
            guard let only = candidates.first else {
                throw CheckpointError(file: path, problem: "no *.safetensors file in the directory")
            }
            guard candidates.count == 1 else {
                throw CheckpointError(file: path, problem: "\(candidates.count) *.safetensors files (\(candidates.joined(separator: ", "))) "
                    + "and neither \(Self.singleFileName) nor \(Self.indexFileName), so Heed cannot tell which holds the weights "
                    + "(it never merges unrelated files). Rename the weights to \(Self.singleFileName), remove the other files, "
                    + "or name the shards in a \(Self.indexFileName)")
            }
            let file = try SafeTensorsFile(url: directory.appendingPathComponent(only))
            self.files = [file]
            self.sourceFileName = only
            self.fileIndexByName = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, 0) })
        }
        self.tensorNames = fileIndexByName.keys.sorted()
    }

    /// The `weight_map` of an index file: tensor name -> shard file name (a plain file name in
    /// the same directory). Throws `CheckpointError` naming the index file.
    static func readWeightMap(_ url: URL) throws -> [String: String] {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: url.path, problem: problem) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw fail("cannot read (\(reason(error)))") }
        try data.withUnsafeBytes { try GitLFSPointer.check($0, file: url.path, standsFor: "the index of the weights") }
        let object: JSONValue
        do { object = try JSONParser.parse(data, options: .configuration) } catch { throw fail("not JSON (\(error))") }
        guard object.objectValue != nil else { throw fail("not a JSON object") }
        guard let map = object["weight_map"]?.objectValue else {
            throw fail("has no \"weight_map\" object (tensor name -> shard file)")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in map {
            guard let shard = value.stringValue else { throw fail("weight_map entry '\(tensor)' is not a file name string") }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw fail("weight_map entry '\(tensor)' names '\(shard)', not a file of the same directory")
            }
            weightMap[tensor] = shard
        }
        if weightMap.isEmpty { throw fail("weight_map is empty") }
        return weightMap
    }

    /// The file holding `name`, relative to `directory` (nil when no file holds it).
    public func fileName(holding name: String) -> String? {
        fileIndexByName[name].map { files[$0].url.lastPathComponent }
    }

    /// True when the checkpoint holds a tensor called `name`.
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
