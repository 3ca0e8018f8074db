import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedModels

/// `heed predict`: the K most probable next tokens after the text, as `heed/predict` gives them.
enum PredictCommand {
    static func run(_ argv: [String]) throws {
        let args = try parse(argv, command: "predict", valued: ["model", "top-k", "file"], boolean: ["json"])
        var topK = NextTokenPrediction.defaultTopK
        if let raw = args.value("top-k") {
            guard let k = Int(raw), k >= 1 else { throw Arguments.Error(description: "--top-k takes a whole number >= 1 (not \"\(raw)\")") }
            topK = k
        }
        let text = try InputText.read(args, command: "predict")
        let id = ModelNames.canonical(args.value("model") ?? "smollm2")
        let model: LoadedModel
        do {
            model = try LoadedModel.resolve(id) { Terminal.printProgress($0) }
        } catch {
            fail("cannot load model \(id): \(Files.plainMessage(error))")
        }
        let net = try model.network
        guard net.hasLanguageModelHead else { fail("\(id) cannot predict: \(net.predictionUnavailable)") }
        guard topK <= net.embeddingRows else {
            throw Arguments.Error(description: "--top-k is \(topK): \(id) has \(net.embeddingRows) tokens (1...\(net.embeddingRows))")
        }
        let result = try Pipeline.predict(model: model, text: text, topK: topK, encoding: .utf32)
        if args.has("json") {
            // The heed/predict result: {tokens: [{id, text, probability, logit}], window?}
            var w = JSONWriter()
            ResultJSON.writePrediction(result, into: &w)
            writeStdout(w.bytes)
            return
        }
        print(table(result))
        if let window = result.window {
            Terminal.printError("note: the text has more tokens than \(id) reads (\(model.shape.maxTokens)); predicted from the last \(result.tokenCount), scalars \(window.lowerBound)..<\(window.upperBound)")
        }
    }

    /// One line per token, most probable first: rank, probability in percent, logit, id, and the
    /// text in double quotes (a leading space shows).
    static func table(_ r: PredictionResult) -> String {
        var lines = ["rank  probability     logit      id  text"]
        for (k, t) in r.tokens.enumerated() {
            let rank = String(k + 1).leftPadded(4)
            let p = String(format: "%10.2f%%", Double(t.probability) * 100)
            let logit = String(format: "%10.3f", Double(t.logit))
            lines.append("\(rank)  \(p)  \(logit)  \(String(t.id).leftPadded(6))  \(quoted(t.text))")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
