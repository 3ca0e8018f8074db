/// SplitMix64 (Steele, Lea and Flood 2014; the constants of Vigna's splitmix64.c): a 64-bit
/// state advanced by the golden-ratio increment 0x9E3779B97F4A7C15 and mixed by two
/// xor-shift-multiply rounds. Small, fast and fully specified, so experiments are reproducible
/// across platforms and Swift versions (Swift's own `random(in:using:)` may change its algorithm).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0 ..< bound (bound > 0): `next() % bound`, rejecting the lowest
    /// (2^64 mod bound) outputs so that no residue is favoured.
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        let b = UInt64(bound)
        let threshold = (0 &- b) % b
        while true {
            let r = next()
            if r >= threshold { return Int(r % b) }
        }
    }
}

/// The masking of the EMNLP 2021 mixing-ratio experiment (the authors'
/// `mixing_ratio_stats_bert.py`): max(1, int(rate * n)) of the n non-special tokens of each
/// sequence are replaced by the tokenizer's mask token; special tokens stay.
public enum Masking {
    /// max(1, int(rate * n)), and never more than n.
    public static func maskCount(candidates n: Int, rate: Double) -> Int {
        min(n, max(1, Int(Double(n) * rate)))
    }

    /// Replaces `maskCount` randomly chosen non-special positions of `ids` by `maskID`: a
    /// partial Fisher-Yates shuffle of the candidate positions driven by `rng`. Returns the new
    /// ids and the masked positions in ascending order.
    public static func mask(_ ids: [Int], special: [Bool], rate: Double, maskID: Int,
                            rng: inout SplitMix64) -> (ids: [Int], positions: [Int]) {
        precondition(ids.count == special.count, "one special flag per token")
        var candidates = ids.indices.filter { !special[$0] }
        let k = maskCount(candidates: candidates.count, rate: rate)
        for n in 0..<k {
            let pick = n + rng.uniform(below: candidates.count - n)
            candidates.swapAt(n, pick)
        }
        let positions = candidates.prefix(k).sorted()
        var out = ids
        for p in positions { out[p] = maskID }
        return (out, positions)
    }
}
