import HeedKernelsBase

// Row softmax with scale and additive mask, numerically stable (max subtracted first).

enum Softmax {
    /// Smallest parallel chunk, in elements (a few microseconds of work).
    static let parallelGrainElements = 8_192

    static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scale: Float,
                     maskAdd: UnsafePointer<Float>?) {
        if rows <= 0 || cols <= 0 { return }
        Parallel.forRanges(rows, grain: max(1, parallelGrainElements / cols)) { range in
            for r in range { row(x + r * cols, cols: cols, scale: scale, maskAdd: maskAdd) }
        }
    }

    /// p (n) = softmax(p * scale + mask); all zeros when every entry is -inf.
    /// Pass 1 finds the maximum of v = p * scale + mask without storing v, pass 2 recomputes v
    /// and stores e = exp(v - max) with its sum, pass 3 normalises.
    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, cols n: Int, scale: Float, maskAdd: UnsafePointer<Float>?) {
        typealias V = VF
        let s8 = V(repeating: scale)
        var max8 = V(repeating: -.infinity)
        var nan8 = SIMDMask<VI>(repeating: false)
        var j = 0
        if let maskAdd {
            while j + W <= n {
                let v = loadV(p + j) * s8 + loadV(maskAdd + j)
                nan8 .|= v .!= v; max8 = VectorMath.lanewiseMax(max8, v); j += W
            }
        } else {
            while j + W <= n {
                let v = loadV(p + j) * s8
                nan8 .|= v .!= v; max8 = VectorMath.lanewiseMax(max8, v); j += W
            }
        }
        var mx = VectorMath.max(max8)
        var hasNaN = any(nan8)
        while j < n {
            let v = p[j] * scale + (maskAdd?[j] ?? 0)
            hasNaN = hasNaN || v.isNaN; mx = Swift.max(mx, v); j += 1
        }
        if hasNaN {
            // A NaN score poisons its row, as in PyTorch; never a silent zero row.
            p.update(repeating: .nan, count: n)
            return
        }
        if mx == -.infinity {
            p.update(repeating: 0, count: n)
            return
        }
        let m8 = V(repeating: mx)
        var sum8 = V()
        j = 0
        if let maskAdd {
            while j + W <= n {
                let e = VectorMath.expNonPositive((loadV(p + j) * s8 + loadV(maskAdd + j)) - m8)
                storeV(e, p + j); sum8 += e; j += W
            }
        } else {
            while j + W <= n {
                let e = VectorMath.expNonPositive(loadV(p + j) * s8 - m8)
                storeV(e, p + j); sum8 += e; j += W
            }
        }
        if j < n { sum8 += expTail(p + j, n - j, scale: scale, maskAdd: maskAdd.map { $0 + j }, max: mx) }
        let inv8 = V(repeating: 1 / VectorMath.sum(sum8))
        j = 0
        while j + W <= n {
            storeV(loadV(p + j) * inv8, p + j)
            j += W
        }
        while j < n { p[j] *= inv8[0]; j += 1 }
    }

    /// The last count (< W) entries of a row: p = exp(p * scale + mask - max); returns them as
    /// a vector (padding lanes 0) for the row sum.
    @inline(never)
    static func expTail(_ p: UnsafeMutablePointer<Float>, _ count: Int, scale: Float, maskAdd: UnsafePointer<Float>?,
                        max mx: Float) -> VF {
        var t = VF(repeating: -.infinity)
        for i in 0..<count { t[i] = (p[i] * scale + (maskAdd?[i] ?? 0)) - mx }
        let e = VectorMath.expNonPositive(t)   // padding lanes are exp(-inf) = 0
        for i in 0..<count { p[i] = e[i] }
        return e
    }
}
