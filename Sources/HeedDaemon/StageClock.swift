import Dispatch

/// Wall time per stage of one request, for the `--log-level debug` line the server writes after
/// answering it ("heed/highlight id 7: queue 0.01, params 0.02, tokenize 0.21, ... ms").
/// A lap costs one clock read; stages a request never reaches are absent, repeated ones add up.
final class StageClock: @unchecked Sendable {
    private let start: UInt64
    private var last: UInt64
    private(set) var stages: [(name: String, nanoseconds: UInt64)] = []

    init() { start = DispatchTime.now().uptimeNanoseconds; last = start }

    /// Charges the time since the previous lap (or the start) to `name`.
    func lap(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        if let k = stages.firstIndex(where: { $0.name == name }) { stages[k].nanoseconds += now - last }
        else { stages.append((name, now - last)) }
        last = now
    }

    /// "queue 0.01, params 0.02, ...; total 12.34 ms".
    var summary: String {
        func ms(_ ns: UInt64) -> String {
            let v = Double(ns) / 1e6
            return v >= 10 ? String(Int((v * 10).rounded()) / 10) + "." + String(Int((v * 10).rounded()) % 10)
                : String(Double(Int((v * 100).rounded())) / 100)
        }
        return stages.map { "\($0.name) \(ms($0.nanoseconds))" }.joined(separator: ", ") + "; total \(ms(last - start)) ms"
    }
}
