import HeedAnalysis

/// Checks `heed bench` options before any work: counts are positive integers, lengths a
/// comma-separated list of positive integers.
enum BenchOptions {
    /// The options each benchmark reads; any other is refused rather than ignored.
    static let options: [String: Set<String>] = [
        "forward": ["model", "runs", "lengths", "pause"],
        "analysis": ["model", "runs", "lengths", "methods"],
        "daemon": ["model", "texts", "requests"],
        "memory": ["model", "lengths"],
        "kernels": ["part"],
        "tokenize": ["model", "runs", "file"],
    ]

    static func validate(_ args: Arguments) throws {
        if let sub = args.positional.first, let allowed = options[sub] {
            for name in args.values.keys.sorted() where !allowed.contains(name) {
                throw Arguments.Error(description: "--\(name) does not apply to bench \(sub) (it takes \(allowed.sorted().map { "--" + $0 }.joined(separator: ", ")))")
            }
        }
        for name in ["runs", "texts", "requests"] {
            if let v = args.value(name) {
                guard let n = Int(v), n >= 1 else { throw Arguments.Error(description: "--\(name) takes a whole number of at least 1 (not \"\(v)\")") }
            }
        }
        if let v = args.value("pause") {
            guard let n = Int(v), n >= 0 else { throw Arguments.Error(description: "--pause takes a whole number of milliseconds, 0 or more (not \"\(v)\")") }
        }
        if let v = args.value("methods") {
            for name in v.split(separator: ",", omittingEmptySubsequences: false) where AnalysisMethod(rawValue: String(name)) == nil {
                throw Arguments.Error(description: "--methods takes analysis methods separated by commas (\(AnalysisMethod.allCases.map(\.rawValue).joined(separator: ", "))), not \"\(name)\"")
            }
        }
        if let v = args.value("lengths") {
            let parts = v.split(separator: ",", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.allSatisfy({ Int($0).map { $0 >= 2 } ?? false }) else {
                throw Arguments.Error(description: "--lengths takes token counts of at least 2, separated by commas (e.g. 16,128,512), not \"\(v)\"")
            }
        }
    }
}
