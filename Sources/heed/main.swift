import Foundation
import HeedAnalysis
import HeedCheckpoints
import HeedDaemon
import HeedKernels
import HeedModels

// heed: the command-line entry point (tokenize, analyze, fetch, bench; serve comes with the daemon).

let usage = """
usage: heed <command> [options]

  serve    [--log-level L] [--max-memory BYTES] [--max-frame BYTES]
                                            the daemon: JSON-RPC 2.0 over stdio (protocol.md)
  tokenize [--model M] [--json] TEXT        tokens with ids, offsets (Unicode scalars) and words
  analyze  [--model M] [--method M]... [--layer N|last] [--heads mean] [--granularity word]
           [--focus TEXT | --focus-range A:B] [--direction from|to|received] [--topk K]
           [--svg FILE] [--json] TEXT
                                            without a focus: what each token receives, by weight and
                                            by norm, per layer (--json: the heed/analyze result);
                                            with a focus: the text shaded by one method's scores
                                            (--json: the heed/highlight result)
  experiment special-tokens [--model M] [--corpus FILE] [--json]
                                            the paper's [CLS]/[SEP] finding: weight vs norm per layer
  experiment mixing [--model M] [--corpus FILE] [--mask-rate R --seed N | --no-mask] [--json]
                                            EMNLP 2021 mixing ratios (Attn-W ... AttnResLn-N)
  fetch    NAME                             download a catalog model into $HEED_CACHE (~/.cache/heed)
  bench    forward [--model M] [--runs N]   forward-pass timings, GFLOP/s, ratio against PyTorch
  bench    analysis [--model M]             full analysis of all layers against one forward pass
  bench    daemon [--model M]               an editor session over stdio: latencies, resident memory
  bench    kernels [--part gemm|rows]       kernel throughput on MiniLM shapes against the FMA peak
  models                                    the catalog

A model M is a catalog name (default: minilm), a directory with config.json, *.safetensors and
tokenizer.json, or a Hugging Face repo id present in the local Hugging Face cache.
"""

func fail(_ message: String, code: Int32 = 1) -> Never {
    Terminal.printError(message)
    exit(code)
}

/// The kernels are compiled for x86-64-v3: refuse clearly on a CPU without AVX2 and FMA.
func checkCPU() {
    #if arch(x86_64) && os(Linux)
    if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
        let set = Set(flags.split(separator: " ").map(String.init))
        if !set.contains("avx2") || !set.contains("fma") {
            fail("this build of heed needs a CPU with AVX2 and FMA (x86-64-v3); this one lacks them")
        }
    }
    #endif
}

func loadModel(_ id: String) -> LoadedModel {
    do {
        return try LoadedModel.resolve(id) { Terminal.printProgress($0) }
    } catch {
        fail("cannot load model \(id): \(error)")
    }
}

func joinedText(_ args: Arguments) -> String {
    guard !args.positional.isEmpty else { fail("missing TEXT\n\n\(usage)", code: 2) }
    return args.positional.joined(separator: " ")
}

/// "512M", "4G", "1048576" -> bytes.
func parseByteCount(_ s: String) -> Int? {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    if let last = s.last?.uppercased().first, let unit = units[last] {
        return Int(s.dropLast()).flatMap { $0 >= 0 ? $0 * unit : nil }
    }
    return Int(s).flatMap { $0 >= 0 ? $0 : nil }
}

func writeStdout(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
    FileHandle.standardOutput.write(Data("\n".utf8))
}

checkCPU()
Allocator.keepLargeBlocks()
var argv = Array(CommandLine.arguments.dropFirst())
guard let command = argv.first else { print(usage); exit(0) }
argv.removeFirst()

do {
    switch command {
    case "tokenize":
        let args = try Arguments(argv, valued: ["model"], boolean: ["json"])
        let text = joinedText(args)
        let model = loadModel(args.value("model") ?? "minilm")
        try TokenizeCommand.run(model: model, text: text, json: args.has("json"))
    case "analyze":
        let args = try Arguments(argv, valued: AnalyzeCommand.valued, boolean: ["json"])
        let text = joinedText(args)
        let model = loadModel(args.value("model") ?? "minilm")
        try AnalyzeCommand.run(model: model, text: text, args: args)
    case "fetch":
        let args = try Arguments(argv, valued: [], boolean: [])
        guard args.positional.count == 1 else { fail("usage: heed fetch NAME (one of: \(ModelStore.catalog.map(\.name).joined(separator: ", ")))", code: 2) }
        let dir = try ModelStore.fetch(args.positional[0]) { Terminal.printProgress($0) }
        print(dir.path)
    case "serve":
        let args = try Arguments(argv, valued: ["log-level", "max-memory", "max-frame"], boolean: [])
        var options = ServerOptions()
        if let l = args.value("log-level") {
            guard let level = LogLevel(name: l) else { fail("--log-level is error, warn, info or debug", code: 2) }
            options.logLevel = level
        }
        if let m = args.value("max-memory") {
            guard let bytes = parseByteCount(m) else { fail("--max-memory takes a byte count such as 2G or 512M", code: 2) }
            options.maxMemoryBytes = bytes
        }
        if let m = args.value("max-frame") {
            guard let bytes = parseByteCount(m) else { fail("--max-frame takes a byte count such as 64M", code: 2) }
            options.maxFrameBytes = bytes
        }
        let server = Server(options: options, outputFD: Server.takeOverStdout())
        exit(server.run())
    case "experiment":
        try ExperimentCommand.run(argv)
    case "models":
        for e in ModelStore.catalog { print("\(e.name)\t\(e.package)==\(e.version)") }
    case "bench":
        let args = try Arguments(argv, valued: ["model", "runs", "lengths", "texts", "requests", "part"], boolean: [])
        switch args.positional {
        case ["forward"]: BenchCommand.forward(model: loadModel(args.value("model") ?? "minilm"), args: args)
        case ["analysis"]: BenchAnalysis.run(model: loadModel(args.value("model") ?? "minilm"), args: args)
        case ["daemon"]: try BenchDaemon.run(args: args)
        case ["kernels"]:
            switch args.value("part") {
            case nil: print(KernelBench.report())
            case "gemm"?: KernelBench.gemmResults().forEach { print($0) }
            case "rows"?: KernelBench.rowResults().forEach { print($0) }
            default: fail("--part is gemm or rows", code: 2)
            }
        default: fail("usage: heed bench forward|analysis|daemon|kernels [--model M] [--runs N] [--lengths 16,128,512] [--texts N] [--requests N] [--part gemm|rows]", code: 2)
        }
    case "help", "--help", "-h":
        print(usage)
    default:
        fail("unknown command \(command)\n\n\(usage)", code: 2)
    }
} catch let error as TokenBeyondEmbeddings {
    fail("model inconsistent: \(error)")
} catch {
    fail("\(error)", code: 2)
}
