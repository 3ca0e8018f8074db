import HeedKernelsBase

// Elementwise GELUs over a buffer, vectorised (VectorMath) and split across threads when large.

enum Activations {
    /// Smallest parallel chunk, in elements (a few microseconds of work).
    static let parallelGrainElements = 4_096

    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count, vectors: geluVectors, tail: { VectorMath.gelu($0) })
    }

    static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count, vectors: geluTanhVectors, tail: { VectorMath.geluTanh($0) })
    }

    /// gate = silu(gate) * up, elementwise over `count` (LlamaMLP's act_fn(gate_proj(x)) * up_proj(x)).
    static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        if count <= 0 { return }
        let whole = count / W
        Parallel.forRanges(whole, grain: parallelGrainElements / W) { range in
            siluMulVectors(gate + W * range.lowerBound, up + W * range.lowerBound, range.count)
        }
        for i in (whole * W)..<count {
            var t = VF()
            t[0] = gate[i]
            gate[i] = VectorMath.silu(t)[0] * up[i]
        }
    }

    @inline(never)
    static func siluMulVectors(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        for v in 0..<n { storeV(VectorMath.silu(loadV(gate + W * v)) * loadV(up + W * v), gate + W * v) }
    }

    /// x[0 ..< W * n] = gelu(x), whole vectors only. One inlined copy of the vector function
    /// per loop keeps the caller small enough for the inliner.
    @inline(never)
    static func geluVectors(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for v in 0..<n { storeV(VectorMath.gelu(loadV(x + W * v)), x + W * v) }
    }

    @inline(never)
    static func geluTanhVectors(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for v in 0..<n { storeV(VectorMath.geluTanh(loadV(x + W * v)), x + W * v) }
    }

    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int,
                      vectors: (UnsafeMutablePointer<Float>, Int) -> Void,
                      tail: (VF) -> VF) {
        if count <= 0 { return }
        let whole = count / W
        Parallel.forRanges(whole, grain: parallelGrainElements / W) { range in
            vectors(x + W * range.lowerBound, range.count)
        }
        if whole * W < count { applyTail(x + whole * W, count - whole * W, tail) }
    }

    /// The last count (< W) elements through one padded vector.
    @inline(never)
    static func applyTail(_ x: UnsafeMutablePointer<Float>, _ count: Int, _ f: (VF) -> VF) {
        var t = VF()
        for i in 0..<count { t[i] = x[i] }
        let y = f(t)
        for i in 0..<count { x[i] = y[i] }
    }
}
