/// Checks `heed bench` options before any work: counts are positive integers, lengths a
/// comma-separated list of positive integers.
enum BenchOptions {
    static func validate(_ args: Arguments) throws {
        for name in ["runs", "texts", "requests"] {
            if let v = args.value(name) {
                guard let n = Int(v), n >= 1 else { throw Arguments.Error(description: "--\(name) takes a whole number of at least 1 (not \"\(v)\")") }
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
