import Foundation
#if arch(x86_64) && canImport(CHeedCPUID)
import CHeedCPUID
#endif

/// The kernel variants, spelled as `HEED_ISA` spells them. Each is a separate target compiled
/// from the same sources (Sources/HeedKernelsShared) with its own flags: `avx512` for
/// x86-64-v4 (16-lane vectors, 32 registers), `avx2` for x86-64-v3 (AVX2 + FMA, 8 lanes),
/// `portable` for the build's baseline (any x86-64, arm64's NEON, anything else).
public enum ISA: String, CaseIterable, Sendable, CustomStringConvertible {
    case avx512
    case avx2
    case portable

    public var description: String { rawValue }

    /// The best variant this CPU (and its operating system) can run, from CPUID and XCR0.
    /// This code is compiled for the baseline CPU, so it runs anywhere.
    public static let detected: ISA = detect()

    /// Every variant this CPU can run, best first (the tests loop over them).
    public static var supported: [ISA] {
        allCases.filter { $0.isSupported }
    }

    /// True when this CPU can run the variant.
    public var isSupported: Bool {
        switch self {
        case .portable: return true
        case .avx2: return ISA.detected != .portable
        case .avx512: return ISA.detected == .avx512
        }
    }

    /// Why `HEED_ISA` cannot be honoured.
    public enum SelectionError: Error, CustomStringConvertible {
        /// The value names no variant.
        case unknown(String)
        /// The CPU lacks the instruction set (detected: the best it has).
        case unsupported(ISA, detected: ISA)

        public var description: String {
            switch self {
            case .unknown(let value):
                return "HEED_ISA=\(value) is not a kernel variant (use avx512, avx2 or portable)"
            case .unsupported(let isa, let detected):
                return "HEED_ISA=\(isa) needs \(isa.requirement), which this CPU lacks (it runs \(detected))"
            }
        }
    }

    /// What the variant needs, in words.
    public var requirement: String {
        switch self {
        case .avx512: return "x86-64-v4 (AVX-512 F, BW, CD, DQ, VL)"
        case .avx2: return "x86-64-v3 (AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE)"
        case .portable: return "nothing"
        }
    }

    /// The variant `HEED_ISA` asks for (nil or empty: the detected one).
    public static func selection(_ value: String?) throws -> ISA {
        guard let value, !value.isEmpty else { return detected }
        guard let isa = ISA(rawValue: value.lowercased()) else { throw SelectionError.unknown(value) }
        guard isa.isSupported else { throw SelectionError.unsupported(isa, detected: detected) }
        return isa
    }

    /// The variant every kernel call uses unless told otherwise: `HEED_ISA` or the detected
    /// one, chosen once. A `HEED_ISA` this CPU cannot honour ends the process with status 2
    /// and a message on stderr (`heed` checks it first thing, before any kernel runs).
    public static let current: ISA = {
        do {
            return try selection(ProcessInfo.processInfo.environment["HEED_ISA"])
        } catch {
            FileHandle.standardError.write(Data("heed: \(error)\n".utf8))
            exit(2)
        }
    }()

    /// The variant kernel calls use when not given one: `current`, unless a `withActive` body
    /// is running.
    public private(set) static var active: ISA = current

    /// Runs `body` with `active` set to `isa` (which must be supported), then restores it: for
    /// tests and benchmarks that compare variants in one process. Kernel calls made while it
    /// runs (from any thread) use `isa`; models loaded inside pack their weights for it and keep
    /// using it afterwards. Not for concurrent use with other kernel callers.
    public static func withActive<R>(_ isa: ISA, _ body: () throws -> R) rethrows -> R {
        precondition(isa.isSupported, "\(isa) is not supported by this CPU")
        let saved = active
        active = isa
        defer { active = saved }
        return try body()
    }

    private static func detect() -> ISA {
        #if arch(x86_64) && canImport(CHeedCPUID)
        var r1 = [UInt32](repeating: 0, count: 4), r7 = r1, rx = r1
        guard heed_cpuid(1, 0, &r1) != 0 else { return .portable }
        let ecx1 = r1[2]
        func bit(_ v: UInt32, _ b: UInt32) -> Bool { v & (1 << b) != 0 }
        // XGETBV is only valid when the OS has enabled XSAVE.
        guard bit(ecx1, 27) else { return .portable }
        let xcr0 = heed_xgetbv0()
        let avxState = xcr0 & 0x6 == 0x6                 // XMM and YMM state
        let avx512State = avxState && xcr0 & 0xe0 == 0xe0  // opmask, ZMM_Hi256, Hi16_ZMM
        guard heed_cpuid(7, 0, &r7) != 0 else { return .portable }
        _ = heed_cpuid(0x8000_0001, 0, &rx)
        let ebx7 = r7[1]
        let v3 = avxState && bit(ecx1, 12) /* FMA */ && bit(ecx1, 22) /* MOVBE */ && bit(ecx1, 28) /* AVX */
            && bit(ecx1, 29) /* F16C */ && bit(ebx7, 3) /* BMI1 */ && bit(ebx7, 5) /* AVX2 */
            && bit(ebx7, 8) /* BMI2 */ && bit(rx[2], 5) /* LZCNT */
        guard v3 else { return .portable }
        let v4 = avx512State && bit(ebx7, 16) /* F */ && bit(ebx7, 17) /* DQ */ && bit(ebx7, 28) /* CD */
            && bit(ebx7, 30) /* BW */ && bit(ebx7, 31) /* VL */
        return v4 ? .avx512 : .avx2
        #else
        return .portable
        #endif
    }

    /// The CPU's model name (Linux: /proc/cpuinfo; elsewhere "unknown"), for benchmark reports.
    public static var cpuModel: String {
        #if os(Linux)
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        #endif
        return "unknown"
    }
}
