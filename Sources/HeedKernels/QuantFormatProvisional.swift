// PROVISIONAL: stands in for the quant branch's QuantFormat until it is merged (then deleted).
public enum QuantFormat: Sendable {
    case q4_0, q4_1, q8_0, q4_K, q5_K, q6_K
    public var blockSize: Int { switch self { case .q4_0, .q4_1, .q8_0: return 32; default: return 256 } }
    public var bytesPerBlock: Int {
        switch self { case .q4_0: return 18; case .q4_1: return 20; case .q8_0: return 34; case .q4_K: return 144; case .q5_K: return 176; case .q6_K: return 210 }
    }
}
