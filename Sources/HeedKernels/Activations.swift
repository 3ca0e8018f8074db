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

    /// x[0 ..< 8 * n] = gelu(x), whole vectors only. One inlined copy of the vector function
    /// per loop keeps the caller small enough for the inliner.
    @inline(never)
    static func geluVectors(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for v in 0..<n { store8(VectorMath.gelu(load8(x + 8 * v)), x + 8 * v) }
    }

    @inline(never)
    static func geluTanhVectors(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for v in 0..<n { store8(VectorMath.geluTanh(load8(x + 8 * v)), x + 8 * v) }
    }

    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int,
                      vectors: (UnsafeMutablePointer<Float>, Int) -> Void,
                      tail: (SIMD8<Float>) -> SIMD8<Float>) {
        if count <= 0 { return }
        let whole = count / 8
        Parallel.forRanges(whole, grain: parallelGrainElements / 8) { range in
            vectors(x + 8 * range.lowerBound, range.count)
        }
        if whole * 8 < count { applyTail(x + whole * 8, count - whole * 8, tail) }
    }

    /// The last count (< 8) elements through one padded vector.
    @inline(never)
    static func applyTail(_ x: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var t = SIMD8<Float>()
        for i in 0..<count { t[i] = x[i] }
        let y = f(t)
        for i in 0..<count { x[i] = y[i] }
    }
}
