import HeedAnalysis
import HeedModels
import HeedTokenizers

/// The text working memory of one request, estimated from the text's size before any of it is
/// allocated and checked against `Server.requestWorkingBudget` (protocol.md, section 1).
enum WorkingMemory {
    /// `heed/tokenize` per UTF-8 byte of text: the encoding's working set
    /// (`Tokenizer.encodeBytesPerUTF8Byte`), the token table and the response's JSON (up to one
    /// token per byte of text, about 100 bytes of JSON each).
    static let tokenizeBytesPerUTF8Byte = 400

    /// Regions of a long text are encoded this many UTF-8 bytes at a time (then cut at the
    /// next space or line feed).
    static let regionUTF8Bytes = 1 << 16

    /// - Throws: `WorkingSetTooLarge` when `bytesPerUTF8Byte` times the text's size exceeds the budget.
    static func check(_ text: String, bytesPerUTF8Byte: Int, _ what: String, _ c: RequestContext) throws {
        let (needed, overflow) = text.utf8.count.multipliedReportingOverflow(by: bytesPerUTF8Byte)
        let budget = c.server.requestWorkingBudget
        if overflow || needed > budget {
            throw WorkingSetTooLarge(neededBytes: overflow ? .max : needed, budgetBytes: budget, what: "\(what) \(text.utf8.count) bytes of text")
        }
    }

    /// `heed/analyze` on a long text: its encoding computed region by region (bounded memory),
    /// or `PipelineError.inputTooLong` with the exact number of tokens when it has more than
    /// the model's limit, without ever holding them all. nil for a short text (encoded whole,
    /// after `check`).
    static func analyzeEncoding(_ m: LoadedModel, _ text: String, _ c: RequestContext) throws -> Encoding? {
        let budget = c.server.requestWorkingBudget
        if text.utf8.count > Pipeline.windowingThresholdUTF8Bytes,
           let (encoding, count) = try m.tokenizer.encodeInRegions(text, chunkUTF8Bytes: regionUTF8Bytes, keepTokens: m.network.maxTokens, check: { bytes in
               let needed = bytes * Tokenizer.encodeBytesPerUTF8Byte
               if needed > budget {
                   throw WorkingSetTooLarge(neededBytes: needed, budgetBytes: budget, what: "encoding \(bytes) bytes of text without a space or line feed")
               }
           }) {
            guard let encoding else { throw PipelineError.inputTooLong(tokens: count, limit: m.network.maxTokens) }
            return encoding
        }
        try check(text, bytesPerUTF8Byte: Tokenizer.encodeBytesPerUTF8Byte, "encoding", c)
        return nil
    }
}
