// Elementwise GELUs over a buffer, vectorised (VectorMath) and split across threads when large.

enum Activations {
    static let parallelGrainElements = 16_384

    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { VectorMath.gelu($0) }
    }

    static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        apply(x, count: count) { VectorMath.geluTanh($0) }
    }

    @inline(__always)
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        if count <= 0 { return }
        // Chunks are whole vectors so that only the last one has a scalar tail.
        let vectors = (count + 7) / 8
        Parallel.forRanges(vectors, grain: parallelGrainElements / 8) { range in
            let start = range.lowerBound * 8, end = min(count, range.upperBound * 8)
            var j = start
            while j + 8 <= end {
                store8(f(load8(x + j)), x + j)
                j += 8
            }
            if j < end {
                var t = SIMD8<Float>()
                for i in 0..<(end - j) { t[i] = x[j + i] }
                let y = f(t)
                for i in 0..<(end - j) { x[j + i] = y[i] }
            }
        }
    }
}
