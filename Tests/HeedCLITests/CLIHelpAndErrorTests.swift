import Foundation
import HeedAnalysis
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, "Help and errors a person can act on".
final class CLIHelpAndErrorTests: XCTestCase {
    let model = CLI.tinyModel

    /// Every command has its own --help page with its usage and an example; analyze's lists the methods.
    func testEveryCommandHasAHelpPageWithAnExample() throws {
        for command in ["analyze", "tokenize", "predict", "serve", "experiment", "fetch", "bench", "models"] {
            let out = try CLI.run([command, "--help"])
            XCTAssertEqual(out.status, 0, command)
            XCTAssertEqual(out.stderr, "", command)
            XCTAssertTrue(out.stdout.hasPrefix("usage: heed \(command)"), "\(command): \(out.stdout.prefix(80))")
            XCTAssertTrue(out.stdout.contains("example:\n  heed \(command)") || out.stdout.contains("example:\n  printf"), "\(command) has an example")
            XCTAssertEqual(try CLI.run(["help", command]).stdout, out.stdout, "heed help \(command)")
        }
        let analyze = try CLI.run(["analyze", "-h"]).stdout
        let methodLines = analyze.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .map { String($0.dropFirst(2).prefix { $0 != " " }) }
        for m in AnalysisMethod.allCases { XCTAssertTrue(methodLines.contains(m.rawValue), "\(m.rawValue) listed") }
        XCTAssertTrue(analyze.contains("\nexample:\n  heed analyze --focus cat \"The cat sat on the mat because it was tired.\"\n"))
    }

    /// Unknown commands, options, methods and experiments suggest the nearest name.
    func testMistypedNamesSuggestTheNearestOne() throws {
        let cases: [([String], String)] = [
            (["analyse", "x"], "heed: unknown command analyse; did you mean analyze? (heed --help lists the commands)\n"),
            (["tokenise", "x"], "heed: unknown command tokenise; did you mean tokenize? (heed --help lists the commands)\n"),
            (["analyze", "--methods", "norm", "x"], "heed: unknown option --methods; did you mean --method?\n"),
            (["analyze", "--fokus", "x", "x"], "heed: unknown option --fokus; did you mean --focus?\n"),
            (["analyze", "-focus", "x", "x"], "heed: unknown option -focus (options start with --); did you mean --focus?\n"),
            (["analyze", "--method", "normsummed", "x"],
             "heed: unknown method normsummed; did you mean norm-summed? (methods: attention, value-norm, norm, norm-summed, attn-res, attn-res-ln, mixing-ratio, rollout, norm-rollout, alti, alti-rollout, globenc, value-zeroing)\n"),
            (["serve", "--log-levl", "info"], "heed: unknown option --log-levl; did you mean --log-level?\n"),
            (["bench", "forward", "--run", "3"], "heed: unknown option --run; did you mean --runs?\n"),
        ]
        for (argv, message) in cases {
            let out = try CLI.run(argv)
            XCTAssertEqual(out.status, 2, "\(argv)")
            XCTAssertEqual(out.stderr, message, "\(argv)")
            XCTAssertEqual(out.stdout, "")
        }
        let experiment = try CLI.run(["experiment", "mixng"])
        XCTAssertEqual(experiment.status, 2)
        XCTAssertTrue(experiment.stderr.hasPrefix("heed: unknown experiment mixng; did you mean mixing?\n\nusage: heed experiment"), experiment.stderr)
    }

    /// File problems are plain messages with the path, never a Foundation error domain;
    /// `bench forward --runs 0` and `--focus ""` are refused.
    func testPlainMessagesForFilesAndBadValues() throws {
        let dir = CLI.temporaryDirectory("files")
        let missing = dir.appendingPathComponent("nodir/x.svg").path
        let cases: [([String], Int32, String)] = [
            (["analyze", "--model", model, "--svg", missing, "the cat"], 1, "cannot write the SVG to \(missing): there is no directory \(dir.path)/nodir"),
            (["analyze", "--model", model, "--svg", dir.path, "the cat"], 1, "cannot write the SVG to \(dir.path): it is a directory"),
            (["experiment", "special-tokens", "--model", model, "--corpus", dir.path], 1, "cannot read the corpus \(dir.path): it is a directory, not a file"),
            (["experiment", "mixing", "--corpus", dir.path + "/none.txt"], 1, "cannot read the corpus \(dir.path)/none.txt: no such file"),
            (["analyze", "--model", model, "--file", dir.path + "/none.txt"], 1, "cannot read the text file \(dir.path)/none.txt: no such file"),
            (["bench", "forward", "--runs", "0"], 2, "--runs takes a whole number of at least 1 (not \"0\")"),
            (["bench", "analysis", "--lengths", "16,,1"], 2, "--lengths takes token counts of at least 2, separated by commas (e.g. 16,128,512), not \"16,,1\""),
            (["analyze", "--model", model, "--focus", "", "the cat"], 2, "--focus is empty: give the text of the token or word to focus on (e.g. --focus cat)"),
            (["analyze", "--model", model], 2, "missing TEXT: give it as an argument, - to read stdin, or --file PATH (heed analyze --help)"),
            (["analyze", "--model", model, "--file", "/dev/null", "more"], 2, "give the text once: TEXT, - (stdin) or --file PATH, not both --file and \"more\""),
        ]
        for (argv, status, message) in cases {
            let out = try CLI.run(argv)
            XCTAssertEqual(out.status, status, "\(argv): \(out.stderr)")
            XCTAssertEqual(out.stderr, "heed: \(message)\n", "\(argv)")
            XCTAssertFalse(out.stderr.contains("Domain"), "\(argv)")
            XCTAssertEqual(out.stdout, "", "\(argv)")
        }
    }

    /// `heed analyze -` reads the text from stdin, `--file PATH` from a file (one final line break dropped).
    func testTextFromStdinAndFromAFile() throws {
        let text = "the cat sat on the mat."
        let direct = try CLI.run(["analyze", "--model", model, "--focus", "cat", "--json", text])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        let stdin = try CLI.run(["analyze", "--model", model, "--focus", "cat", "--json", "-"], stdin: text + "\n")
        XCTAssertEqual(stdin.status, 0, stdin.stderr)
        XCTAssertEqual(stdin.stdout, direct.stdout)
        let file = CLI.temporaryDirectory("text").appendingPathComponent("t.txt")
        try Data((text + "\n").utf8).write(to: file)
        let fromFile = try CLI.run(["analyze", "--model", model, "--focus", "cat", "--json", "--file", file.path])
        XCTAssertEqual(fromFile.stdout, direct.stdout)
        let tokens = try CLI.run(["tokenize", "--model", model, "-"], stdin: "the cat")
        XCTAssertEqual(tokens.lines.count, 5, tokens.stdout)
    }

    /// `heed models`: fetched or not, size and family; catalog names in any case.
    func testModelsListingAndCaseInsensitiveNames() throws {
        let summary = "sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, C=384, 12 heads"
        let empty = try CLI.run(["models"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        let smollm2 = "SmolLM2-135M-Instruct: Llama, 30 layers, C=576, 9 heads (3 KV), Q4_1 GGUF"
        XCTAssertEqual(empty.lines, ["name\tfetched\tsize\tfamily\tmodel", "minilm\tno\t83.5 MB download\tbert\t\(summary)",
                                     "smollm2\tno\t92.9 MB download\tllama\t\(smollm2)",
                                     "(cache: \(CLI.emptyCache.path); `heed fetch NAME` downloads one; names are case-insensitive)"])

        let cache = CLI.cacheWithTinyMinilm
        let dir = cache.appendingPathComponent("minilm/0.1.0")
        let bytes = try ["config.json", "model.safetensors", "tokenizer.json"].reduce(0) {
            $0 + (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent($1).path)[.size] as! Int)
        }
        let fetched = try CLI.run(["models"], environment: ["HEED_CACHE": cache.path])
        XCTAssertEqual(fetched.lines[1], "minilm\tyes\t\(String(format: "%.1f MB", Double(bytes) / 1e6)) on disk\tbert\t\(summary)")

        let tokens = try CLI.run(["tokenize", "--model", "MiniLM", "--json", "the cat"], environment: ["HEED_CACHE": cache.path])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        let ids = ((try JSONSerialization.jsonObject(with: Data(tokens.stdout.utf8)) as? [String: Any])?["tokens"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }
        XCTAssertEqual(ids, [2, 5, 6, 3])
        let fetch = try CLI.run(["fetch", "MINILM"], environment: ["HEED_CACHE": cache.path])
        XCTAssertEqual(fetch.status, 0, fetch.stderr)
        XCTAssertEqual(fetch.stdout, dir.path + "\n")
        let analyze = try CLI.run(["analyze", "--model", "MiniLm", "--focus", "cat", "the cat"], environment: ["HEED_CACHE": cache.path])
        XCTAssertEqual(analyze.lines.first, "norm-summed, layer 1, focus \"cat\"; minilm")
    }

    /// `heed serve` from a terminal says on stderr what it speaks; from a pipe it says nothing.
    func testServeOnATerminalSaysWhatItExpects() throws {
        // A pseudo-terminal from /dev/ptmx (Linux): unlock it, then open /dev/pts/N.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        XCTAssertGreaterThanOrEqual(master, 0)
        var unlock: Int32 = 0, number: UInt32 = 0
        XCTAssertEqual(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock), 0)
        XCTAssertEqual(ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number), 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        XCTAssertGreaterThanOrEqual(slave, 0)
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["serve"]
        p.standardInput = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        // Ctrl-D at the start of a line: end of input for the terminal, so the server exits.
        usleep(300_000)
        var eot: UInt8 = 4
        _ = write(master, &eot, 1)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        close(master)
        XCTAssertEqual(stderr, "heed serve: reading LSP-framed JSON-RPC 2.0 (Content-Length headers) on stdin, answering on stdout; the protocol is protocol.md in Heed's repository; Ctrl-D ends\n")
        XCTAssertEqual(out.fileHandleForReading.readDataToEndOfFile().count, 0)

        let piped = try CLI.run(["serve"], stdin: "")
        XCTAssertEqual(piped.stderr, "")
    }

    /// The README's command list is the one `heed --help` prints.
    func testREADMECommandListMatchesHelp() throws {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { root.deleteLastPathComponent() }
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let afterHeading = try XCTUnwrap(readme.components(separatedBy: "## Commands\n\n").dropFirst().first)
        let readmeBlock = afterHeading.components(separatedBy: "\n\n")[0]
        let help = try CLI.run(["--help"])
        XCTAssertEqual(help.status, 0)
        let helpBlock = help.stdout.components(separatedBy: "\n\n")[1]
        XCTAssertEqual(readmeBlock, helpBlock)
        XCTAssertTrue(helpBlock.hasPrefix("    heed analyze "))
    }
}
