import HeedKernelsBase

// The L1 kernel of ALTI (HeedAnalysis/ALTI.swift has the method and its conventions):
//   out[i, j] = max(0, ||y_i||_1 - ||y_i - sum_h alpha[h,i,j] f[j,h] - [i==j] x_i||_1)
// for every row i and every key j it computes (j <= i when `causal`; rows of a causal model
// leave j > i untouched). Rows go in blocks of `rowsPerBlock` so that token j's NH x C vectors
// are read from L1 by every row of the block; the vector sum over heads and the L1 distance are
// fused, one W-wide chunk of C at a time, so no T x T x C (or even C) buffer is written.
// ||y_i||_1 is computed by the same loop with every coefficient 0, so a key whose coefficients
// are all 0 (masked) gives exactly 0.

enum ALTIKernel {
    static let rowsPerBlock = 8

    /// f (T, NH, C), alpha (NH, T, T), x (T, C), y (T, C) -> out (T, T).
    static func contributions(f F: UnsafePointer<Float>, alpha A: UnsafePointer<Float>, x X: UnsafePointer<Float>,
                              y Y: UnsafePointer<Float>, T: Int, NH: Int, C: Int, causal: Bool, into O: UnsafeMutablePointer<Float>) {
        let B = rowsPerBlock
        let blocks = (T + B - 1) / B
        Parallel.forEach(blocks) { b in
            let lo = b * B, hi = Swift.min(T, lo + B)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: NH * B + B) { scratch in
                let coefficients = scratch.baseAddress!, y1 = coefficients + NH * B
                for i in lo..<hi {
                    for h in 0..<NH { coefficients[h] = 0 }
                    y1[i - lo] = distance(F, coefficients, nil, Y + i * C, NH: NH, C: C)
                }
                let keys = causal ? hi : T
                for j in 0..<keys {
                    let Fj = F + j * NH * C
                    for i in lo..<hi where !causal || j <= i {
                        let a = coefficients + (i - lo) * NH
                        for h in 0..<NH { a[h] = A[(h * T + i) * T + j] }
                        let d = distance(Fj, a, i == j ? X + i * C : nil, Y + i * C, NH: NH, C: C)
                        O[i * T + j] = Swift.max(0, y1[i - lo] - d)
                    }
                }
            }
        }
    }

    /// ||y - sum_h a[h] f[h] - x||_1 (x optional), f (NH, C).
    @inline(__always)
    static func distance(_ f: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>?,
                         _ y: UnsafePointer<Float>, NH: Int, C: Int) -> Float {
        var acc = VF()
        var c = 0
        while c + W <= C {
            var v = VF()
            for h in 0..<NH { v.addProduct(VF(repeating: a[h]), loadV(f + h * C + c)) }
            if let x { v += loadV(x + c) }
            acc += VectorMath.absolute(loadV(y + c) - v)
            c += W
        }
        var s = VectorMath.sum(acc)
        while c < C {
            var v: Float = 0
            for h in 0..<NH { v += a[h] * f[h * C + c] }
            if let x { v += x[c] }
            s += Swift.abs(y[c] - v)
            c += 1
        }
        return s
    }
}
