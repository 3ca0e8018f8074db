import HeedAnalysis

/// `heed analyze`'s options, parsed and checked against each other before any model is loaded:
/// every option either takes effect or is refused with a message naming the conflict.
struct AnalyzeCLIOptions {
    /// Which layer(s) `--layer` names, before the model's layer count is known.
    enum LayerSpec: Equatable {
        case index(Int), last, middle, all

        /// 0-based index among `count` layers; nil for `all`.
        func index(among count: Int) -> Int? {
            switch self {
            case let .index(n): return n
            case .last: return count - 1
            case .middle: return count / 2
            case .all: return nil
            }
        }
    }

    /// How `--focus` names the focus.
    enum FocusSpec {
        case text(String, occurrence: Int?)
        case range(Range<Int>)
    }

    static let valued: Set<String> = ["model", "method", "layer", "heads", "granularity", "focus", "focus-occurrence",
                                      "focus-range", "direction", "topk", "svg", "file", "target", "setting"]
    static let boolean: Set<String> = ["json"]
    static let repeatable: Set<String> = ["method"]

    /// As given (empty: the defaults of the view).
    var methods: [AnalysisMethod] = []
    var layer: LayerSpec? = nil
    var heads: String? = nil
    var granularity: Granularity = .token
    var focus: FocusSpec? = nil
    var direction: HighlightDirection? = nil
    var topK: Int? = nil
    var svg: String? = nil
    var json = false
    /// An encoder-decoder's target text (`--target`): the focus is then in it, the shading on the
    /// source, `--layer` a decoder layer.
    var target: String? = nil
    /// The decoder step a target token is read at (`--setting`, with `--target`).
    var setting: AlignmentSetting = .input

    /// The methods the view uses: as given, else weight and norm (a focus: norm-summed).
    var effectiveMethods: [AnalysisMethod] {
        if !methods.isEmpty { return methods }
        return focus == nil ? [.attention, .normSummed] : [.normSummed]
    }

    /// The SVG's panels: as given, else weight vs norm.
    var svgMethods: [AnalysisMethod] { methods.isEmpty ? [.attention, .normSummed] : methods }

    typealias UsageError = Arguments.Error

    init(_ args: Arguments) throws {
        func refuse(_ message: String) -> UsageError { UsageError(description: message) }
        let names = AnalysisMethod.allCases.map(\.rawValue)
        for name in args.all("method") {
            guard let m = AnalysisMethod(rawValue: name) else {
                var message = "unknown method \(name)"
                if let near = Suggest.nearest(to: name, among: names) { message += "; did you mean \(near)?" }
                throw refuse(message + " (methods: \(names.joined(separator: ", ")))")
            }
            guard !methods.contains(m) else { throw refuse("--method \(name) is given twice") }
            methods.append(m)
        }
        if let l = args.value("layer") {
            switch l {
            case "last": layer = .last
            case "middle": layer = .middle
            case "all": layer = .all
            default:
                guard let n = Int(l), n >= 0 else { throw refuse("--layer takes a 0-based index, last, middle or all (not \"\(l)\")") }
                layer = .index(n)
            }
        }
        if let g = args.value("granularity") {
            guard let value = Granularity(rawValue: g) else { throw refuse("--granularity is token or word (not \"\(g)\")") }
            granularity = value
        }
        json = args.has("json")
        svg = args.value("svg")
        if let s = svg, s.isEmpty { throw refuse("--svg needs a file name") }

        // The focus.
        if args.given("focus"), args.given("focus-range") {
            throw refuse("--focus and --focus-range both name the focus; give one of them")
        }
        if let f = args.value("focus") {
            guard !f.isEmpty else { throw refuse("--focus is empty: give the text of the token or word to focus on (e.g. --focus cat)") }
            var occurrence: Int? = nil
            if let o = args.value("focus-occurrence") {
                guard let n = Int(o), n >= 1 else { throw refuse("--focus-occurrence takes a number from 1 (not \"\(o)\")") }
                occurrence = n
            }
            focus = .text(f, occurrence: occurrence)
        } else if args.given("focus-occurrence") {
            throw refuse("--focus-occurrence picks an occurrence of --focus TEXT; give --focus too")
        }
        if let r = args.value("focus-range") {
            let parts = r.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b else {
                throw refuse("--focus-range takes A:B with 0 <= A <= B (Unicode scalar offsets), not \"\(r)\"")
            }
            focus = .range(a..<b)
        }

        // Options that need a focus, and options a focus excludes.
        for name in ["direction", "topk"] where args.given(name) && focus == nil {
            throw refuse("--\(name) applies to a focus (--focus TEXT or --focus-range A:B); without one, the view shows what every token receives")
        }
        if let d = args.value("direction") {
            guard let value = HighlightDirection(rawValue: d) else { throw refuse("--direction is from, to or received (not \"\(d)\")") }
            direction = value
        }
        if let k = args.value("topk") {
            guard let n = Int(k), n >= 0 else { throw refuse("--topk takes a non-negative integer (not \"\(k)\")") }
            topK = n
        }
        if focus != nil {
            guard methods.count <= 1 else {
                throw refuse("with a focus, give one --method (the text is shaded by one method; got \(methods.map(\.rawValue).joined(separator: ", ")))")
            }
            if layer == .all { throw refuse("with a focus, --layer takes one layer (N, last or middle), not all") }
        }
        if let m = methods.first(where: { $0 == .valueNorm || $0 == .mixingRatio }), focus != nil {
            throw refuse("--method \(m.rawValue) gives one value per token, not what a focus attends to; with a focus use attention, norm, norm-summed, attn-res, attn-res-ln, rollout, norm-rollout, alti, alti-rollout, globenc or value-zeroing")
        }
        if let h = args.value("heads") {
            guard h == "all" || h == "mean" else { throw refuse("--heads is all or mean (not \"\(h)\")") }
            guard json, focus == nil else {
                throw refuse(focus == nil
                    ? "--heads applies to --json output; the plain view and the SVG always average over heads"
                    : "--heads does not apply with a focus: a highlight always averages over heads")
            }
            heads = h
        }
        // An encoder-decoder pair: the focus is in the target; the source is shaded by the
        // cross-attention of one decoder layer; without a focus, the word alignment.
        target = args.value("target")
        if let s = args.value("setting") {
            guard target != nil else { throw refuse("--setting applies to --target (the decoder step a target word is read at)") }
            guard let value = AlignmentSetting(rawValue: s) else { throw refuse("--setting is input or output (not \"\(s)\")") }
            setting = value
        }
        if target != nil {
            for name in ["svg", "direction"] where args.given(name) {
                throw refuse("--\(name) does not apply with --target: the source is shaded by what the target's focus reads")
            }
            if layer == .all { throw refuse("with --target, --layer takes one decoder layer (N, last or middle), not all") }
            if focus != nil, let m = methods.first, !CrossAttentionMethods.highlightable.contains(m) {
                throw refuse("--method \(m.rawValue) is not defined for cross-attention; with --target use \(CrossAttentionMethods.highlightable.map(\.rawValue).joined(separator: ", "))")
            }
            if focus == nil, !json, !methods.isEmpty {
                throw refuse("without a focus, --target prints the word alignment by weight and by norm; --method applies with --focus or --json")
            }
        }
        if args.given("layer"), !methods.isEmpty, methods.allSatisfy(\.isAcrossLayers) {
            throw refuse("--layer does not apply to \(methods.map(\.rawValue).joined(separator: " and ")): a rollout is a product over all layers")
        }
        if svg != nil {
            if let m = svgMethods.first(where: { $0 == .valueNorm || $0 == .mixingRatio }) {
                throw refuse("--svg draws token x token matrices; \(m.rawValue) gives one value per token (leave it out of --method, or drop --svg)")
            }
            if layer == .all, let m = svgMethods.first(where: \.isAcrossLayers) {
                throw refuse("--svg --layer all draws one row per layer; \(m.rawValue) spans all layers: draw it without --layer all")
            }
        }
    }
}
