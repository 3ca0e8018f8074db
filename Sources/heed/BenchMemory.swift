import Foundation
import Glibc
import HeedCheckpoints
import HeedModels
import HeedTokenizers

@_silgen_name("malloc_trim")
private func benchMallocTrim(_ pad: Int) -> Int32

/// `heed bench memory`: what a loaded model costs in resident memory (VmRSS, /proc/self/status),
/// against the size of its weight files (the `.gguf` file, or the `*.safetensors` of a model
/// folder). A fresh process: the model is fetched or resolved first, then VmRSS is read before
/// loading, after loading, and after one forward pass of `--lengths`' first T tokens (with a
/// language-model head, its next-token logits too) (a
/// quantised weight is read in place from the file's mapping: its pages become resident as the
/// first pass reads them), each after `malloc_trim(0)` so freed heap does not count. What the
/// model holds is the growth of anonymous memory (RssAnon) plus the resident pages of its
/// weight files' mappings (Rss of those entries of /proc/self/smaps); the rest of the
/// file-backed growth is the executable's own code paged in by the first pass. The
/// tokenizer's share is measured by loading tokenizer.json once more (when the model has one).
/// Sizes in MB = 10^6 bytes.
enum BenchMemory {
    static func run(modelID: String, args: Arguments) throws {
        let id = ModelNames.canonical(modelID)
        let T = (args.value("lengths") ?? "16").split(separator: ",").compactMap { Int($0) }.first ?? 16
        let location = try ModelStore.resolve(id) { Terminal.printProgress($0) }
        let files = weightFiles(location)
        let fileBytes = files.reduce(0) { $0 + (fileSize($1) ?? 0) }
        let before = resident()
        let model = try LoadedModel.load(id: id, directory: location)
        let loaded = resident(), mappedAfterLoad = mappedResident(files)
        var afterPass: Resident?, mappedAfterPass = 0
        if let net = try? model.network {
            let ids = BenchCommand.sampleIDs(model: model, count: min(T, net.maxTokens))
            let result = try net.forward(ids, taps: .none, isCancelled: { false })
            // A decoder's pass also reads its LM head (the whole vocabulary projection).
            if net.hasLanguageModelHead { _ = try net.nextTokenLogits(result) }
            afterPass = resident(); mappedAfterPass = mappedResident(files)
        }
        let tokenizerURL = (ModelStore.isGGUFFile(location) ? location.deletingLastPathComponent() : location)
            .appendingPathComponent("tokenizer.json")
        var tokenizerBytes: Int?
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            let t0 = resident()
            let again = try? Tokenizer(url: tokenizerURL)
            let t1 = resident()
            withExtendedLifetime(again) { tokenizerBytes = t1.total - t0.total }
        }
        func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1e6) }
        print("heed bench memory: model \(model.id)")
        print("weight files: \(files.map(\.lastPathComponent).joined(separator: ", ")): \(mb(fileBytes)) MB")
        print("weightBytes (what the model says it holds): \(mb(model.weightBytes)) MB")
        print("VmRSS before loading: \(mb(before.total)) MB (anonymous \(mb(before.anonymous)), file-backed \(mb(before.file)))")
        func line(_ what: String, _ r: Resident, mapped: Int) {
            let anonymous = r.anonymous - before.anonymous, model = anonymous + mapped
            print("\(what): VmRSS +\(mb(r.total - before.total)) MB (anonymous +\(mb(anonymous)), file-backed +\(mb(r.file - before.file)),"
                  + " of which the weight files' mappings \(mb(mapped))); the model: \(mb(model)) MB"
                  + (fileBytes > 0 ? String(format: " = %.2fx the weight files", Double(model) / Double(fileBytes)) : ""))
        }
        line("after loading", loaded, mapped: mappedAfterLoad)
        if let afterPass {
            let lmHead = (try? model.network.hasLanguageModelHead) == true ? " and its next-token logits" : ""
            line("after one forward pass (T = \(T))\(lmHead)", afterPass, mapped: mappedAfterPass)
        }
        if let tokenizerBytes { print("of which the tokenizer (tokenizer.json loaded once more): about \(mb(tokenizerBytes)) MB") }
        model.loadNotes.forEach { print("note: \($0)") }
    }

    /// VmRSS and its anonymous and file-backed parts, bytes, after returning freed heap.
    struct Resident { var total: Int, anonymous: Int, file: Int }

    static func resident() -> Resident {
        _ = benchMallocTrim(0)
        return Resident(total: 1024 * BenchAnalysis.procStatus("VmRSS"), anonymous: 1024 * BenchAnalysis.procStatus("RssAnon"),
                        file: 1024 * BenchAnalysis.procStatus("RssFile"))
    }

    /// Resident bytes of this process's mappings of `files` (the Rss lines of their entries in
    /// /proc/self/smaps).
    static func mappedResident(_ files: [URL]) -> Int {
        guard let smaps = readWhole("/proc/self/smaps") else { return 0 }
        let paths = Set(files.map { $0.resolvingSymlinksInPath().path })
        var total = 0, inFile = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, first.first?.isHexDigit == true {
                // A mapping's header: address perms offset dev inode [path]
                inFile = fields.count >= 6 && paths.contains(fields[5...].joined(separator: " "))
            } else if inFile, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                total += 1024 * kb
            }
        }
        return total
    }

    /// The files holding the weights: the `.gguf` itself, or a folder's `*.safetensors`.
    static func weightFiles(_ location: URL) -> [URL] {
        if ModelStore.isGGUFFile(location) { return [location] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: location.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { location.appendingPathComponent($0) }
    }

    /// A /proc file read to its end (its size reads as 0, and String(contentsOfFile:) stops
    /// after the first page).
    static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func fileSize(_ url: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int
    }
}
