// Row softmax with scale and additive mask, numerically stable (max subtracted first).

enum Softmax {
    /// Elements per parallel chunk below which a call stays on one thread.
    static let parallelGrainElements = 32_768

    static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scale: Float,
                     maskAdd: UnsafePointer<Float>?) {
        if rows <= 0 || cols <= 0 { return }
        Parallel.forRanges(rows, grain: max(1, parallelGrainElements / cols)) { range in
            for r in range { row(x + r * cols, cols: cols, scale: scale, maskAdd: maskAdd) }
        }
    }

    /// p (n) = softmax(p * scale + mask); all zeros when every entry is -inf.
    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, cols n: Int, scale: Float, maskAdd: UnsafePointer<Float>?) {
        typealias V = SIMD8<Float>
        let s8 = V(repeating: scale)
        // Pass 1: v = p * scale + mask, and the row maximum.
        var max8 = V(repeating: -.infinity)
        var j = 0
        while j + 8 <= n {
            var v = load8(p + j) * s8
            if let maskAdd { v += load8(maskAdd + j) }
            store8(v, p + j)
            max8 = VectorMath.lanewiseMax(max8, v)
            j += 8
        }
        var mx = VectorMath.max(max8)
        while j < n {
            var v = p[j] * scale
            if let maskAdd { v += maskAdd[j] }
            p[j] = v
            mx = Swift.max(mx, v)
            j += 1
        }
        if mx == -.infinity {
            p.update(repeating: 0, count: n)
            return
        }
        // Pass 2: e = exp(v - max) and its sum.
        let m8 = V(repeating: mx)
        var sum8 = V()
        j = 0
        while j + 8 <= n {
            let e = VectorMath.exp(load8(p + j) - m8)
            store8(e, p + j)
            sum8 += e
            j += 8
        }
        if j < n {
            var t = V(repeating: -.infinity)
            for i in 0..<(n - j) { t[i] = p[j + i] - mx }
            let e = VectorMath.exp(t)   // padding lanes are exp(-inf) = 0
            for i in 0..<(n - j) { p[j + i] = e[i] }
            sum8 += e
        }
        // Pass 3: normalise.
        let inv8 = V(repeating: 1 / VectorMath.sum(sum8))
        j = 0
        while j + 8 <= n {
            store8(load8(p + j) * inv8, p + j)
            j += 8
        }
        while j < n { p[j] *= inv8[0]; j += 1 }
    }
}
