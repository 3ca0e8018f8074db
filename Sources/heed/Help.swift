import HeedAnalysis

/// Usage texts: `heed --help` (the command list the README repeats) and one page per command
/// (`heed <command> --help`) with its options, the method names where they apply, and an example.
enum Help {
    /// The synopsis of every command; the README's "Commands" block is exactly these lines.
    static let synopsis = """
        heed analyze  [--model M] [--method M]... [--layer N|last|middle|all] [--heads all|mean]
                      [--granularity token|word] [--focus TEXT [--focus-occurrence N] | --focus-range A:B]
                      [--direction from|to|received] [--topk K] [--svg FILE] [--json]
                      [--target TEXT [--setting input|output]] TEXT|-|--file PATH
        heed tokenize [--model M] [--json] TEXT|-|--file PATH
        heed predict  [--model M] [--top-k K] [--json] TEXT|-|--file PATH
        heed translate --model M [--max-new-tokens N] [--json] TEXT|-|--file PATH
        heed serve    [--log-level L] [--max-memory BYTES] [--max-frame BYTES]
        heed experiment special-tokens|mixing [--model M] [--corpus FILE] [--json]
        heed experiment compare-methods [--model M] [--corpus FILE] [--methods a,b,...] [--svg FILE] [--json]
        heed experiment alignment --model DIR --source FILE --target FILE [--gold FILE] [--gold-one-based]
                                  [--output DIR] [--json]
        heed fetch    NAME
        heed bench    forward|analysis|daemon [--model M] [--runs N] [--lengths 16,128,512]
        heed bench    kernels [--part gemm|rows|qgemm]
        heed bench    tokenize [--model M] [--runs N] [--file PATH]
        heed bench    memory [--model M] [--lengths T]
        heed models
        heed help     [COMMAND]
    """

    static let general = """
    usage: heed <command> [options]

    \(synopsis)

      analyze     what each token receives by attention weight and by norm, per layer; with --focus,
                  the text shaded by what the focus attends to
      tokenize    tokens with ids, offsets (Unicode scalars) and words
      predict     the most probable next tokens after the text (a decoder: smollm2)
      translate   the text translated by a Marian encoder-decoder, decoding greedily
      serve       the daemon for editors and scripts: LSP-framed JSON-RPC 2.0 on stdio (protocol.md)
      experiment  the papers' corpus-level findings (docs/experiments.md)
      fetch       download a catalog model into $HEED_CACHE (~/.cache/heed)
      bench       timings against PyTorch (docs/performance.md)
      models      the catalog: fetched or not, size, family

    `heed <command> --help` shows one command's options and an example. A model M is a catalog name
    (default minilm; case-insensitive), a directory with config.json, *.safetensors and
    tokenizer.json (a Marian translation model: source.spm, target.spm and vocab.json instead), a
    *.gguf file (or a directory holding one), or a Hugging Face repo id present in the local
    Hugging Face cache. Without --target, analyze and tokenize read a Marian model's encoder (the
    source side).
    `heed --version` prints the version and the kernel variant in use (`isa: avx512|avx2|portable`,
    chosen from the CPU at start; HEED_ISA=avx512|avx2|portable forces one).
    """

    /// One line per analysis method: its name and what it is (docs/methods.md has the formulas).
    static var methods: String {
        let meaning: [AnalysisMethod: String] = [
            .attention: "attention weight alpha, per head (the weight view)",
            .valueNorm: "||f(x_j)||, the norm of each token's transformed vector, per head",
            .norm: "||alpha f(x_j)||, per head",
            .normSummed: "||sum_h alpha^h f^h(x_j)|| (Attn-N; the norm view)",
            .attnRes: "as norm-summed, with the residual on the diagonal (AttnRes-N)",
            .attnResLn: "as attn-res, through the LayerNorm's linear part (AttnResLn-N)",
            .mixingRatio: "per token: the share of its vector that comes from other tokens (5 variants)",
            .rollout: "attention rollout over all layers (Abnar & Zuidema 2020)",
            .normRollout: "Heed's own: rollout of row-normalised attn-res-ln matrices",
            .alti: "ALTI (Ferrando et al. 2022): L1 proximity of each token's term to the block output",
            .altiRollout: "ALTI rolled out over all layers",
            .globenc: "GlobEnc (Modarressi et al. 2022): norms through both LayerNorms, rolled out (encoders)",
            .valueZeroing: "value zeroing (Mohebbi et al. 2023): output change when a token's values are zeroed",
        ]
        return AnalysisMethod.allCases.map { "  \($0.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0))\(meaning[$0]!)" }
            .joined(separator: "\n")
    }

    static var analyze: String { """
    usage: heed analyze [options] TEXT|-|--file PATH

    Without a focus: per layer, what each token receives (mean over heads and attending tokens),
    by weight (attention) and by norm (norm-summed), raw and as a share of the row total.
    With --focus or --focus-range: the text shaded by what the focus attends to, and a line giving
    what it sends to the inserted [CLS]/[SEP] by weight and by norm.

      --model M              catalog name, model directory or Hugging Face repo id (default minilm)
      --method M             repeatable; default attention and norm-summed (with a focus: one method,
                             default norm-summed)
      --layer N|last|middle|all
                             0-based layer; default: all layers (plain view, --json), the last
                             (focus, --svg); all with --svg draws one row of panels per layer
      --heads all|mean       --json only: per-head matrices (default) or their mean
      --granularity token|word
                             words: rows averaged, columns summed over a word's tokens
      --focus TEXT           the focus: TEXT as a whole word, else as a substring
      --focus-occurrence N   which occurrence of TEXT (1-based; default 1)
      --focus-range A:B      the focus as Unicode scalar offsets [A, B)
      --direction D          with a focus: from (what it attends to, default), to, received
      --topk K               with a focus: keep the K strongest tokens
      --svg FILE             write a heatmap: the methods side by side (weight vs norm by default)
      --json                 print the heed/analyze result (heed/highlight with a focus)
      --file PATH            read the text from a file; - reads it from stdin
      --target TEXT          an encoder-decoder (Marian) model's target for the text: the focus is
                             then in TEXT and the text is shaded by what it reads through one decoder
                             layer's cross-attention (--layer: decoder layer; methods norm-summed,
                             attention, norm), with the share sent to the text's </s>; without a
                             focus, each target word's aligned source word by weight and by norm
      --setting input|output with --target: the decoder step a target word is read at (default
                             input, the step that reads it; output: the step that predicts it)

    methods:
    \(methods)

    example:
      heed analyze --focus cat "The cat sat on the mat because it was tired."
      heed analyze --layer middle --svg cat.svg "The cat sat on the mat."
      heed analyze --model ~/models/opus-mt-en-de --target "Die Katze saß." --focus Katze "The cat sat."
    """ }

    static let tokenize = """
    usage: heed tokenize [--model M] [--json] TEXT|-|--file PATH

    Every token of the text (never truncated): index, id, offsets in Unicode scalars, word index,
    vocabulary string and display text (the token as a person reads it, quoted: "Ġcat" shows " cat");
    tokens that became [UNK] are marked. --json prints the heed/tokenize result. A GGUF model
    (smollm2) tokenizes from its metadata alone.

    example:
      heed tokenize "Héllo, wörld!"
    """

    static let predict = """
    usage: heed predict [--model M] [--top-k K] [--json] TEXT|-|--file PATH

    The K most probable next tokens after the text, most probable first: rank, probability (softmax
    over the whole vocabulary), logit, id and the token's text as decoded alone (quoted: a leading
    space shows). A decoder only (a model with a language-modelling head); a text longer than the
    model reads is cut to its last tokens. --json prints the heed/predict result.

      --model M   catalog name, model directory or GGUF file (default smollm2)
      --top-k K   how many tokens (default 10)

    example:
      heed predict "The capital of France is"
    """

    static let serve = """
    usage: heed serve [--log-level error|warn|info|debug] [--max-memory BYTES] [--max-frame BYTES]

    The daemon: JSON-RPC 2.0 with LSP framing (Content-Length headers) on stdin and stdout; logs
    on stderr. protocol.md is the contract. --max-memory (default 2G) bounds loaded models (half),
    cached results (a quarter) and the text working memory of running requests (a quarter;
    protocol.md section 1 lists what lies outside), --max-frame (default 64M) the size of one
    request; K, M, G suffixes accepted.

    example:
      printf 'Content-Length: 58\\r\\n\\r\\n{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' | heed serve
    """

    static let fetch = """
    usage: heed fetch NAME

    Downloads catalog model NAME (case-insensitive) with pip into $HEED_CACHE (default
    ~/.cache/heed), checks its sha256 and prints its directory. `heed models` lists the catalog.

    example:
      heed fetch minilm
    """

    static let bench = """
    usage: heed bench forward|analysis|daemon [--model M] [--runs N] [--lengths 16,128,512] [--pause MS] [--texts N] [--requests N]
           heed bench kernels [--part gemm|rows|qgemm]
           heed bench tokenize [--model M] [--runs N] [--file PATH]
           heed bench memory [--model M] [--lengths T]

      forward   forward-pass timings, GFLOP/s, ratio against PyTorch (--runs N >= 1, --lengths;
                --pause MS before every timed round, so it starts with idle threads: default 20
                with PyTorch, 0 alone)
      analysis  full analysis of all layers against one forward pass (--runs N >= 1, --lengths,
                --methods alti,globenc,... instead of the norm methods)
      daemon    an editor session over stdio: latencies, resident memory (--texts N, --requests N)
      kernels   kernel throughput on MiniLM's shapes against the FMA peak (--part gemm|rows);
                --part qgemm: Q4_1 and Q8_0 linears against f32 on SmolLM2's shapes
      tokenize  encoding one large text (--file PATH; default 1 MB of the mixed-script test strings
                of a source checkout) against the Rust tokenizers library from Python (--runs N)
      memory    resident memory (VmRSS) a loaded model adds, after loading and after one forward
                pass of T tokens (--lengths, default 16), against the size of its weight files

    example:
      heed bench forward --runs 5 --lengths 16,128
    """

    static let models = """
    usage: heed models

    The catalog: each model's name, whether it is in $HEED_CACHE, its size (on disk, or the
    download) and its family.

    example:
      heed models
    """

    /// The help page of `command`, if it is one.
    static func page(_ command: String) -> String? {
        switch command {
        case "analyze": return analyze
        case "tokenize": return tokenize
        case "predict": return predict
        case "translate": return TranslateCommand.usage
        case "serve": return serve
        case "experiment": return ExperimentCommand.usage
        case "fetch": return fetch
        case "bench": return bench
        case "models": return models
        case "help": return general
        default: return nil
        }
    }

    static let commands = ["analyze", "tokenize", "predict", "translate", "serve", "experiment", "fetch", "bench", "models", "help"]
}
