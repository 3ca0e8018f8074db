import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedDaemon
import HeedKernels
import HeedModels

// heed: the command-line entry point. Each command lives in its own file; `Help` has the usage
// texts. Usage mistakes exit with status 2, failures of the work with 1.

/// Prints `heed: <message>` on stderr and exits with `code`.
func fail(_ message: String, code: Int32 = 1) -> Never {
    Terminal.printError(message)
    exit(code)
}

/// Chooses the kernel variant before anything else runs: `HEED_ISA` naming a variant this CPU
/// lacks (or none) ends here with status 2 and a message. This file, like everything outside
/// the variant targets, is compiled for the baseline CPU, so the check itself runs anywhere.
func checkCPU() {
    do {
        _ = try ISA.selection(ProcessInfo.processInfo.environment["HEED_ISA"])
    } catch {
        fail("\(error)", code: 2)
    }
    _ = ISA.current
}

/// Loads `id` (a catalog name in any case, a directory or a Hugging Face repo id).
func loadModel(_ id: String) -> LoadedModel {
    let id = ModelNames.canonical(id)
    do {
        return try LoadedModel.resolve(id) { Terminal.printProgress($0) }
    } catch {
        fail("cannot load model \(id): \(Files.plainMessage(error))")
    }
}

func writeStdout(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Parses a command's arguments; `--help` prints its page and exits.
func parse(_ argv: [String], command: String, valued: Set<String>, boolean: Set<String> = []) throws -> Arguments {
    let args = try Arguments(argv, valued: valued, boolean: boolean)
    if args.wantsHelp { print(Help.page(command)!); exit(0) }
    return args
}

checkCPU()
Allocator.keepLargeBlocks()
var argv = Array(CommandLine.arguments.dropFirst())
guard let command = argv.first else { print(Help.general); exit(0) }
argv.removeFirst()

do {
    switch command {
    case "tokenize":
        let args = try parse(argv, command: command, valued: ["model", "file"], boolean: ["json"])
        let text = try InputText.read(args, command: command)
        let model = ModelNames.load(args)
        try TokenizeCommand.run(model: model, text: text, json: args.has("json"))
    case "analyze":
        try AnalyzeCommand.run(argv)
    case "predict":
        try PredictCommand.run(argv)
    case "translate":
        try TranslateCommand.run(argv)
    case "fetch":
        let args = try parse(argv, command: command, valued: [])
        guard args.positional.count == 1 else {
            throw Arguments.Error(description: "usage: heed fetch NAME (one of: \(ModelStore.catalog.map(\.name).joined(separator: ", ")))")
        }
        let dir = try ModelStore.fetch(ModelNames.canonical(args.positional[0])) { Terminal.printProgress($0) }
        print(dir.path)
    case "serve":
        try ServeCommand.run(argv)
    case "experiment":
        try ExperimentCommand.run(argv)
    case "models":
        let args = try parse(argv, command: command, valued: [])
        guard args.positional.isEmpty else { throw Arguments.Error(description: "heed models takes no arguments") }
        ModelsCommand.run()
    case "bench":
        let args = try parse(argv, command: command, valued: ["model", "runs", "lengths", "texts", "requests", "part", "pause", "file", "methods"])
        try BenchOptions.validate(args)
        switch args.positional {
        case ["forward"]: try BenchCommand.forward(model: loadModel(args.value("model") ?? "minilm"), args: args)
        case ["analysis"]: try BenchAnalysis.run(model: loadModel(args.value("model") ?? "minilm"), args: args)
        case ["daemon"]: try BenchDaemon.run(args: args)
        case ["memory"]: try BenchMemory.run(modelID: args.value("model") ?? "minilm", args: args)
        case ["tokenize"]: try BenchTokenize.run(model: loadModel(args.value("model") ?? "minilm"), args: args)
        case ["kernels"]:
            switch args.value("part") {
            case nil: print(KernelBench.report())
            case "gemm"?: KernelBench.gemmResults().forEach { print($0) }
            case "rows"?: KernelBench.rowResults().forEach { print($0) }
            case "qgemm"?: KernelBench.quantizedGemmLines().forEach { print($0) }
            default: throw Arguments.Error(description: "--part takes gemm, rows or qgemm (not \"\(args.value("part")!)\")")
            }
        default: throw Arguments.Error(description: Help.bench)
        }
    case "--version", "version":
        // The version, then the kernel variant in use, spelled as HEED_ISA spells it.
        print("heed \(ServerInfo.version)")
        print("isa: \(ISA.current)")
    case "help", "--help", "-h":
        if let topic = argv.first {
            guard let page = Help.page(topic) else { throw Arguments.Error(description: unknownCommand(topic)) }
            print(page)
        } else {
            print(Help.general)
        }
    default:
        throw Arguments.Error(description: unknownCommand(command))
    }
} catch let error as TokenBeyondEmbeddings {
    fail("model inconsistent: \(error)")
} catch let error as NetworkUnavailable {
    fail("\(error)")
} catch let error as Files.Error {
    fail(error.description)
} catch {
    fail(Files.plainMessage(error), code: 2)
}

/// "unknown command analyse; did you mean analyze? (heed --help lists the commands)"
func unknownCommand(_ name: String) -> String {
    var message = "unknown command \(name)"
    if let near = Suggest.nearest(to: name, among: Help.commands) { message += "; did you mean \(near)?" }
    return message + " (heed --help lists the commands)"
}
