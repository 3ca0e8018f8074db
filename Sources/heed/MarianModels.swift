import Foundation
import HeedCheckpoints
import HeedModels
import HeedTokenizers

/// Loading the Marian encoder-decoder that `heed translate` and `heed experiment alignment` take
/// with `--model`: a directory (or a cached Hugging Face repo id) resolved as every model is
/// (ModelStore: a Marian directory missing one of its files is named as such), then refused with
/// a message unless its config.json says `model_type` "marian".
enum MarianModels {
    static func load(_ id: String, for command: String) -> (directory: URL, model: MarianModel, tokenizer: MarianTokenizer) {
        let directory: URL
        do { directory = try ModelStore.resolve(ModelNames.canonical(id)) { Terminal.printProgress($0) } } catch {
            fail("cannot load model \(id): \(Files.plainMessage(error))")
        }
        if ModelStore.isGGUFFile(directory) {
            fail("cannot load \(id) as a Marian model: it is a GGUF file (\(directory.lastPathComponent)); \(command) needs a Marian encoder-decoder directory (config.json, model.safetensors, source.spm, target.spm, vocab.json)")
        }
        let modelType = ModelConfig.modelType(configAt: directory.appendingPathComponent("config.json"))
        guard modelType == "marian" else {
            fail("cannot load \(id) as a Marian model: config.json's model_type is \(modelType.map { "\"\($0)\"" } ?? "missing"), not \"marian\" (\(command) needs an encoder-decoder)")
        }
        do {
            let (model, tokenizer) = try MarianModel.load(directory: directory)
            return (directory, model, tokenizer)
        } catch {
            fail("cannot load \(id) as a Marian model: \(Files.plainMessage(error))")
        }
    }
}
