import Foundation
import HeedModels

/// `heed bench tokenize`: encoding one large text (default: 1 MB of the committed mixed-script
/// test strings, Tests/Fixtures/tokenizer/corpus.jsonl and fuzz.jsonl, repeated) with a model's
/// tokenizer, against the Rust `tokenizers` library called from Python on the same text
/// (bench/tokenizer_worker.py under `$HEED_PYTHON`), in interleaved rounds; both single-threaded.
enum BenchTokenize {
    static func run(model: LoadedModel, args: Arguments) throws {
        let runs = Int(args.value("runs") ?? "") ?? 10
        let text = try args.value("file").map { try InputText.decode(Files.read($0, what: "the text file"), source: $0) } ?? defaultText(bytes: 1 << 20)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("heed-bench-tokenize-\(getpid()).txt")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        print("heed bench tokenize: model \(model.id), \(text.utf8.count) bytes, \(text.unicodeScalars.count) scalars, runs \(runs)")
        print(BenchHost.header)
        let reference = ReferenceWorker(script: "tokenizer_worker.py", arguments: [model.directory.path, file.path])
        defer { reference?.close() }
        if let reference { print("reference: \(reference.info) (Rust) from Python, Tokenizer.encode, rounds interleaved with Heed's") }
        var heedTokens = 0
        func heedRound() -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            heedTokens = model.tokenizer.encode(text).tokens.count
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        var referenceTokens: Int? = nil
        func referenceRound() -> Double? {
            guard let answer = reference?.send("run")?.split(separator: " "), answer.count == 2,
                  let ms = Double(answer[0]), let n = Int(answer[1]) else { return nil }
            referenceTokens = n
            return ms
        }
        _ = heedRound(); _ = referenceRound()   // warm both sides (merge caches, allocator)
        var heedTimes: [Double] = [], referenceTimes: [Double] = []
        for round in 0..<runs {
            if round % 2 == 0 {
                heedTimes.append(heedRound())
                if let t = referenceRound() { referenceTimes.append(t) }
            } else {
                if let t = referenceRound() { referenceTimes.append(t) }
                heedTimes.append(heedRound())
            }
        }
        let heed = Spread(heedTimes)
        print("heed ms median (min-max)\ttokens\treference ms median (min-max)\ttokens\treference / heed")
        var line = "\(heed.text)\t\(heedTokens)"
        if referenceTimes.count == runs, let referenceTokens {
            let ref = Spread(referenceTimes)
            line += "\t\(ref.text)\t\(referenceTokens)\t" + String(format: "%.2fx", ref.median / heed.median)
            print(line)
            if referenceTokens != heedTokens {
                print("note: the token counts differ: the two tokenizers disagree on this text (the speed ratio compares different work)")
            }
        } else {
            print(line + "\t-\t-\t-")
            print("(the tokenizers library, or transformers and gguf for a GGUF model, are not importable by \(BenchCommand.python()): no ratio; set HEED_PYTHON)")
        }
    }

    /// `bytes` of mixed text: the committed test strings (corpus and fuzz), one per line, repeated.
    static func defaultText(bytes: Int) throws -> String {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/tokenizer")
        var lines: [String] = []
        for name in ["corpus.jsonl", "fuzz.jsonl"] {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
                throw Arguments.Error(description: "bench tokenize: \(directory.path)/\(name) is missing (a source checkout has it); give --file PATH")
            }
            for raw in data.split(separator: UInt8(ascii: "\n")) {
                if let line = try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]) as? String { lines.append(line) }
            }
        }
        var text = "", count = 0
        while count < bytes {
            for line in lines where count < bytes { text += line; text += "\n"; count += line.utf8.count + 1 }
        }
        return text
    }
}
