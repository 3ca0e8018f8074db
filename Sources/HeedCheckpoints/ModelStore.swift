// Model ids to model directories: catalog names (fetched into Heed's cache on first use),
// directory paths, and Hugging Face repo ids found in the local HF cache (never downloaded
// from the hub).

import Foundation

/// Where models come from and where they are kept.
public enum ModelStore {
    /// Heed's model cache: `$HEED_CACHE`, default `~/.cache/heed`.
    public static var cacheDirectory: URL { cacheDirectory(environment: ProcessInfo.processInfo.environment) }

    public static func cacheDirectory(environment: [String: String]) -> URL {
        if let path = environment["HEED_CACHE"], !path.isEmpty {
            return URL(fileURLWithPath: expandTilde(path, environment: environment), isDirectory: true)
        }
        return home(environment).appendingPathComponent(".cache/heed", isDirectory: true)
    }

    /// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (as huggingface_hub).
    public static func huggingFaceHubDirectory(environment: [String: String]) -> URL {
        func nonEmpty(_ key: String) -> String? {
            environment[key].flatMap { $0.isEmpty ? nil : expandTilde($0, environment: environment) }
        }
        if let hub = nonEmpty("HF_HUB_CACHE") ?? nonEmpty("HUGGINGFACE_HUB_CACHE") {
            return URL(fileURLWithPath: hub, isDirectory: true)
        }
        if let hfHome = nonEmpty("HF_HOME") {
            return URL(fileURLWithPath: hfHome, isDirectory: true).appendingPathComponent("hub", isDirectory: true)
        }
        let cache = nonEmpty("XDG_CACHE_HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? home(environment).appendingPathComponent(".cache", isDirectory: true)
        return cache.appendingPathComponent("huggingface/hub", isDirectory: true)
    }

    /// Resolves a model id to a directory holding config.json + *.safetensors + tokenizer.json (or
    /// a Marian directory: source.spm, target.spm and vocab.json in place of tokenizer.json), or
    /// to a GGUF file (`isGGUFFile`): a catalog name (fetched on first use; a `.gguf` entry
    /// resolves to the *.gguf file in its directory), a path to a *.gguf file, an existing
    /// directory path (a complete Hugging Face model directory, else a directory holding exactly
    /// one *.gguf file resolves to that file), or a Hugging Face repo id ORG/NAME present in the
    /// local HF cache (`models--ORG--NAME/snapshots/REV`; the revision `refs/main` names if
    /// present, else the newest snapshot). Unknown ids throw `ModelStoreError.unknownModel`
    /// listing the catalog names. `environment` supplies HOME, HEED_CACHE, HF_HOME, PATH...;
    /// tests pass their own.
    public static func resolve(_ id: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               progress: (String) -> Void) throws -> URL {
        if let entry = catalogEntry(named: id) {
            let directory = try fetch(entry: entry, environment: environment, progress: progress)
            return entry.format == .gguf ? try ggufFile(in: directory) : directory
        }
        let fileManager = FileManager.default
        let path = expandTilde(id, environment: environment)
        var isDirectory: ObjCBool = false
        if !id.isEmpty, fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                let directory = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
                if missingFiles(in: directory, format: .huggingFace).isEmpty { return directory }
                if missingFiles(in: directory, format: .gguf).isEmpty { return try ggufFile(in: directory) }
                if missingFiles(in: directory, format: .marian).isEmpty { return directory }
                try requireComplete(directory, format: expectedFormat(of: directory))
                return directory
            }
            let file = URL(fileURLWithPath: path, isDirectory: false).standardizedFileURL
            if isGGUFFile(file) { return file }
        }
        var searched: [String] = []
        if isRepoId(id) {
            let hub = huggingFaceHubDirectory(environment: environment)
            let repo = hub.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"), isDirectory: true)
            searched.append(hub.path)
            if fileManager.fileExists(atPath: repo.path, isDirectory: &isDirectory), isDirectory.boolValue {
                let snapshot = try huggingFaceSnapshot(repo)
                if missingFiles(in: snapshot, format: .marian).isEmpty { return snapshot }
                try requireComplete(snapshot, format: expectedFormat(of: snapshot))
                return snapshot
            }
        }
        throw ModelStoreError.unknownModel(id: id, catalog: catalog.map(\.name), searched: searched)
    }

    /// The format an incomplete directory was meant to have, for naming what it lacks: Marian
    /// (`source.spm`, `target.spm`, `vocab.json` instead of tokenizer.json) when its config.json
    /// says `model_type` "marian", or when it has none of tokenizer.json but some of Marian's
    /// tokenizer files; else a transformers directory with tokenizer.json.
    static func expectedFormat(of directory: URL) -> ModelFormat {
        if let type = ModelConfig.modelType(configAt: directory.appendingPathComponent("config.json")) {
            return type == "marian" ? .marian : .huggingFace
        }
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        let marianFiles = ["source.spm", "target.spm", "vocab.json"]
        return !names.contains("tokenizer.json") && marianFiles.contains(where: names.contains) ? .marian : .huggingFace
    }

    /// The files of `format` missing from `directory` (all of them when it does not exist).
    public static func missingFiles(in directory: URL, format: ModelFormat) -> [String] {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        return format.requiredFiles.filter { required in
            if required.hasPrefix("*") {
                let suffix = String(required.dropFirst())
                return !names.contains { $0.hasSuffix(suffix) && $0.count > suffix.count }
            }
            return !names.contains(required)
        }
    }

    /// True when `url` names an existing regular file whose name ends in ".gguf" (any case):
    /// a model `resolve` returns as a file rather than a directory.
    public static func isGGUFFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return url.lastPathComponent.lowercased().hasSuffix(".gguf") && url.lastPathComponent.count > 5
            && FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The one *.gguf file in `directory`. Throws `ModelStoreError.incompleteModel` when there is
    /// none, `.ambiguousModel` when there are several.
    public static func ggufFile(in directory: URL) throws -> URL {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { isGGUFFile(directory.appendingPathComponent($0)) }.sorted()
        guard let name = names.first else {
            throw ModelStoreError.incompleteModel(directory: directory.path, missing: ["*.gguf"])
        }
        guard names.count == 1 else {
            throw ModelStoreError.ambiguousModel(directory: directory.path, files: names)
        }
        return directory.appendingPathComponent(name, isDirectory: false)
    }

    static func requireComplete(_ directory: URL, format: ModelFormat) throws {
        let missing = missingFiles(in: directory, format: format)
        if !missing.isEmpty {
            throw ModelStoreError.incompleteModel(directory: directory.path, missing: missing)
        }
    }

    /// The snapshot of a hub cache repo directory that `refs/main` names, else the newest one.
    static func huggingFaceSnapshot(_ repo: URL) throws -> URL {
        let fileManager = FileManager.default
        let snapshots = repo.appendingPathComponent("snapshots", isDirectory: true)
        if let ref = try? String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            let snapshot = snapshots.appendingPathComponent(revision, isDirectory: true)
            if !revision.isEmpty, !revision.contains("/"), fileManager.fileExists(atPath: snapshot.path) {
                return snapshot
            }
        }
        let names = (try? fileManager.contentsOfDirectory(atPath: snapshots.path)) ?? []
        let dated: [(url: URL, date: Date)] = names.filter { !$0.hasPrefix(".") }.map { name in
            let url = snapshots.appendingPathComponent(name, isDirectory: true)
            let date = (try? fileManager.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            return (url, date)
        }
        guard let newest = dated.max(by: { $0.date != $1.date ? $0.date < $1.date : $0.url.path < $1.url.path }) else {
            throw ModelStoreError.incompleteModel(directory: repo.path, missing: ["snapshots/*"])
        }
        return newest.url
    }

    /// ORG/NAME or NAME made of the characters the hub allows.
    static func isRepoId(_ id: String) -> Bool {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        return parts.allSatisfy { part in
            !part.isEmpty && !part.hasPrefix(".") && !part.contains("..") && part.allSatisfy { allowed.contains($0) }
        }
    }

    static func home(_ environment: [String: String]) -> URL {
        if let home = environment["HOME"], !home.isEmpty { return URL(fileURLWithPath: home, isDirectory: true) }
        return URL(fileURLWithPath: NSHomeDirectory(), isDirectory: true)
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        if path == "~" { return home(environment).path }
        if path.hasPrefix("~/") { return home(environment).appendingPathComponent(String(path.dropFirst(2))).path }
        return path
    }
}
