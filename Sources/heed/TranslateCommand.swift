import Foundation
import HeedCheckpoints
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// `heed translate`: greedy decoding with a Marian encoder-decoder (MarianGeneration.swift), the
/// text of transformers' `generate(num_beams=1, do_sample=False, max_new_tokens=N)` then
/// `tokenizer.decode(ids, skip_special_tokens=True)`.
enum TranslateCommand {
    static let usage = """
    usage: heed translate --model M [--max-new-tokens N] [--json] TEXT|-|--file PATH

    Translates each line of the text (one sentence per line; an empty line stays empty) with a
    Marian encoder-decoder by greedy decoding: the most probable token
    at each step, until </s> or N new tokens (no beam search: an opus-mt checkpoint's own generate
    uses num_beams 4, so its translations can differ). Settings the model's
    generation_config.json (else config.json) gives are applied: bad_words_ids, forced_eos_token_id,
    min_length, max_length (without --max-new-tokens); stderr names those greedy decoding ignores.

      --model M            a Marian directory (config.json, model.safetensors, source.spm,
                           target.spm, vocab.json) or a Hugging Face repo id in the local cache
      --max-new-tokens N   at most N new tokens, </s> included (1 ... max_position_embeddings;
                           default: the model's max_length, else 20)
      --json               prints {model, source, target, ids}: ids as generate returns them
                           (decoder_start_token_id first); one object per line for several lines
      --file PATH          read the text from a file; - reads it from stdin

    example:
      heed translate --model ~/models/opus-mt-en-de "The cat sat on the mat."
    """

    static func run(_ argv: [String]) throws {
        let args = try parse(argv, command: "translate", valued: ["model", "max-new-tokens", "file"], boolean: ["json"])
        let text = try InputText.read(args, command: "translate")
        guard let id = args.value("model") else {
            throw Arguments.Error(description: "translate needs --model: a Marian directory or Hugging Face repo id (heed translate --help)")
        }
        var maxNewTokens: Int?
        if let raw = args.value("max-new-tokens") {
            guard let n = Int(raw), n >= 1 else {
                throw Arguments.Error(description: "--max-new-tokens takes a whole number of at least 1, not \"\(raw)\"")
            }
            maxNewTokens = n
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Arguments.Error(description: "the text to translate is empty")
        }
        let (directory, model, tokenizer) = MarianModels.load(id, for: "translate")
        let generation: MarianGenerationConfig
        do { generation = try MarianGenerationConfig.load(directory: directory, config: model.config) } catch {
            fail("cannot load \(id) as a Marian model: \(Files.plainMessage(error))")
        }
        if !generation.ignored.isEmpty {
            Terminal.printError("note: greedy decoding ignores the model's \(generation.ignored.joined(separator: ", "))")
        }
        let limit = model.config.maxPositionEmbeddings
        if let n = maxNewTokens, n > limit {
            fail("--max-new-tokens \(n) is more than \(id) can decode (max_position_embeddings \(limit))")
        }
        // One sentence per line, as marian-decoder reads its input: each line is translated on
        // its own (an empty line gives an empty line).
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        for (n, line) in lines.enumerated() {
            let at = lines.count > 1 ? "line \(n + 1): " : ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else {
                if args.has("json") {
                    var w = JSONWriter()
                    w.beginObject(); w.key("model"); w.string(id); w.key("source"); w.string(line); w.key("target"); w.string("")
                    w.key("ids"); w.beginArray(); w.endArray(); w.endObject()
                    writeStdout(w.bytes)
                } else {
                    print("")
                }
                continue
            }
            let source = tokenizer.encode(line).ids
            guard source.count <= limit else {
                fail("\(at)the text has \(source.count) tokens; \(id) reads at most \(limit)")
            }
            let result: MarianGreedyResult
            do { result = try model.generateGreedy(source: source, maxNewTokens: maxNewTokens, generation: generation) } catch {
                fail("\(at)cannot translate with \(id): \(Files.plainMessage(error))")
            }
            let target = tokenizer.decode(result.sequence, side: .target)
            if args.has("json") {
                var w = JSONWriter()
                w.beginObject()
                w.key("model"); w.string(id)
                w.key("source"); w.string(line)
                w.key("target"); w.string(target)
                w.key("ids"); w.beginArray(); for t in result.sequence { w.int(t) }; w.endArray()
                w.endObject()
                writeStdout(w.bytes)
            } else {
                print(target)
            }
            if result.reachedLengthBound {
                Terminal.printError("note: \(at)stopped at the length bound, \(result.newTokens.count) new tokens"
                                    + (generation.forcedEOSTokenIDs != nil ? " (the last one forced to </s>)" : "")
                                    + (result.newTokens.count >= limit
                                       ? "; \(id) decodes at most \(limit) (max_position_embeddings)"
                                       : "; --max-new-tokens raises it (up to \(limit))"))
            }
        }
    }
}
