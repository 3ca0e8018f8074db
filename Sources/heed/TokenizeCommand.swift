import Foundation
import HeedAnalysis
import HeedDaemon
import HeedJSONRPC
import HeedModels

/// `heed tokenize`: every token, never truncated; offsets count Unicode scalars.
enum TokenizeCommand {
    /// Throws `TokenBeyondEmbeddings` when the text has a token the checkpoint cannot embed.
    static func run(model: LoadedModel, text: String, json: Bool) throws {
        let encoded = model.tokenizer.encode(text)
        try model.checkEmbeddable(encoded)
        let table = TokenTable(text: text, encoded: encoded, encoding: .utf32, tokenizer: model.tokenizer)
        TokenLabels(table: table, text: text).noteUnknown(modelID: model.id)  // after checkEmbeddable: a model fault fails alone
        if json {
            // The heed/tokenize result: {tokens: [Token]}
            var w = JSONWriter()
            w.beginObject(); w.key("tokens"); ResultJSON.writeTokens(table, into: &w); w.endObject()
            writeStdout(w.bytes)
            return
        }
        print("index\tid\tstart\tend\tword\ttoken\tdisplay")
        for t in table.tokens {
            print("\(t.index)\t\(t.id)\t\(t.start)\t\(t.end)\t\(t.word)\t\(t.text)\t\(quoted(t.display))\(t.special ? " (special)" : "")\(TokenLabels.isUnknown(t) ? " (unknown: \(TokenLabels(table: table, text: text).slice(t.start..<t.end)))" : "")")
        }
        let limit = model.shape.maxTokens
        if model.canRun, table.tokens.count > limit {
            Terminal.printError("note: \(table.tokens.count) tokens; \(model.id) analyses at most \(limit)")
        }
    }
}

/// `display` in double quotes with controls escaped, so leading spaces and newlines show.
func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 || u.value == 0x7F { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}
