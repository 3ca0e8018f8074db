// NFD/NFKD/NFC/NFKC as the unicode-normalization-alignments crate (used by tokenizers) computes
// them, including the `change` it reports per output scalar: 0 for the first scalar of a
// character's decomposition, 1 for the others, and `k + change - 1` when two compose. Canonical
// reordering moves scalars together with their change tags, so alignments end up assigned in
// output order, as in the Rust library.

enum UnicodeNormalizer {
    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161
    private static let tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let nCount: UInt32 = vCount * tCount, sCount: UInt32 = lCount * nCount

    @inline(__always)
    private static func isHangulSyllable(_ value: UInt32) -> Bool {
        value >= sBase && value < sBase + sCount
    }

    /// False when normalization certainly leaves `scalars` unchanged (the common ASCII case).
    static func mayChange(_ scalars: [Unicode.Scalar], compatibility: Bool, composing: Bool) -> Bool {
        let properties = UnicodeProperties.shared
        var mask: UnicodeProperties.Flags = [.hasCanonical, .combining]
        if compatibility { mask.insert(.hasCompatibility) }
        for scalar in scalars {
            let value = scalar.value
            if value < 0xA0 { continue }
            if properties.flags[Int(value)] & mask.rawValue != 0 || isHangulSyllable(value) { return true }
            // Composition can also join two starters (Hangul jamo, some Indic vowel signs).
            if composing && value >= 0x0300 { return true }
        }
        return false
    }

    /// Decomposition with canonical reordering (the crate's `Decompositions` iterator).
    static func decompose(_ input: [Unicode.Scalar], compatibility: Bool) -> [Edit] {
        let properties = UnicodeProperties.shared
        var output: [Edit] = []
        output.reserveCapacity(input.count + input.count / 4)
        // Scalars after the last starter, not yet in canonical order: (class, edit).
        var pending: [(UInt8, Edit)] = []

        func flush() {
            // Stable insertion sort by combining class (pending runs are tiny).
            if pending.count > 1 {
                for i in 1..<pending.count {
                    let item = pending[i]
                    var j = i - 1
                    while j >= 0 && pending[j].0 > item.0 {
                        pending[j + 1] = pending[j]
                        j -= 1
                    }
                    pending[j + 1] = item
                }
            }
            for item in pending { output.append(item.1) }
            pending.removeAll(keepingCapacity: true)
        }

        func push(_ scalar: Unicode.Scalar, first: Bool) {
            let klass = properties.combiningClass(scalar)
            if klass == 0 { flush() }
            pending.append((klass, Edit(scalar: scalar, change: first ? 0 : 1)))
        }

        for scalar in input {
            let value = scalar.value
            if value <= 0x7F {
                push(scalar, first: true)
            } else if isHangulSyllable(value) {
                let sIndex = value - sBase
                push(Unicode.Scalar(lBase + sIndex / nCount)!, first: true)
                push(Unicode.Scalar(vBase + (sIndex % nCount) / tCount)!, first: false)
                let tIndex = sIndex % tCount
                if tIndex > 0 { push(Unicode.Scalar(tBase + tIndex)!, first: false) }
            } else if compatibility, properties.has(scalar, .hasCompatibility),
                      let pieces = properties.compatibility[value] {
                for (i, piece) in pieces.enumerated() { push(piece, first: i == 0) }
            } else if properties.has(scalar, .hasCanonical), let pieces = properties.canonical[value] {
                for (i, piece) in pieces.enumerated() { push(piece, first: i == 0) }
            } else {
                push(scalar, first: true)
            }
        }
        flush()
        return output
    }

    /// Primary composition of two scalars (Hangul algorithmically, the rest from the table).
    static func compose(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Unicode.Scalar? {
        let (x, y) = (a.value, b.value)
        if x >= lBase && x < lBase + lCount && y >= vBase && y < vBase + vCount {
            return Unicode.Scalar(sBase + (x - lBase) * nCount + (y - vBase) * tCount)
        }
        if isHangulSyllable(x) && (x - sBase) % tCount == 0 && y > tBase && y < tBase + tCount {
            return Unicode.Scalar(x + (y - tBase))
        }
        let properties = UnicodeProperties.shared
        guard properties.has(a, .composesFirst) else { return nil }
        return properties.composition[UInt64(x) << 21 | UInt64(y)]
    }

    /// Canonical composition of a decomposed stream (the crate's `Recompositions` iterator).
    static func recompose(_ input: [Edit]) -> [Edit] {
        let properties = UnicodeProperties.shared
        var output: [Edit] = []
        output.reserveCapacity(input.count)
        var buffer: [Edit] = []
        var composee: Edit?
        var lastClass: UInt8?
        for edit in input {
            let klass = properties.combiningClass(edit.scalar)
            guard let starter = composee else {
                if klass != 0 {
                    output.append(edit)
                } else {
                    composee = edit
                }
                continue
            }
            if let previousClass = lastClass {
                if previousClass >= klass {
                    // Blocked from the starter.
                    if klass == 0 {
                        composee = edit
                        lastClass = nil
                        output.append(starter)
                        output.append(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                    } else {
                        buffer.append(edit)
                        lastClass = klass
                    }
                    continue
                }
                if let composed = compose(starter.scalar, edit.scalar) {
                    composee = Edit(scalar: composed, change: starter.change + edit.change - 1)
                } else {
                    buffer.append(edit)
                    lastClass = klass
                }
            } else {
                if let composed = compose(starter.scalar, edit.scalar) {
                    composee = Edit(scalar: composed, change: starter.change + edit.change - 1)
                } else if klass == 0 {
                    composee = edit
                    output.append(starter)
                } else {
                    buffer.append(edit)
                    lastClass = klass
                }
            }
        }
        if let starter = composee { output.append(starter) }
        output.append(contentsOf: buffer)
        return output
    }
}
