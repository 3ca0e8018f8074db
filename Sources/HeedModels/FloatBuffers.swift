// Float buffers the families' forward passes fill whole.

/// An array of `count` floats that `fill` writes whole (no zero fill first): the buffers a
/// forward pass writes entirely before reading (layer outputs, attention weights, taps).
@inline(__always)
func uninitializedFloats(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { p, n in
        fill(p.baseAddress!)
        n = count
    }
}
