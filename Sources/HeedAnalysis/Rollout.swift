import HeedKernels

/// Products across layers (docs/methods.md, Across layers). Row i = attending token; later layers
/// multiply on the left: R = A^(L-1) ... A^(0).
public enum Rollout {
    /// Abnar & Zuidema: A_hat = 0.5 * mean_h alpha + 0.5 * I per layer.
    public static func attention(_ alphas: [Tensor]) -> Tensor {
        product(alphas.map(attentionStep))
    }

    /// One layer's A_hat = 0.5 * mean_h alpha + 0.5 * I, from alpha (NH, T, T): (T, T).
    public static func attentionStep(_ alpha: Tensor) -> Tensor {
        var m = Aggregation.meanOverHeads(alpha)
        let T = alpha.shape[1]
        for k in 0..<(T * T) { m.data[k] *= 0.5 }
        for i in 0..<T { m.data[i * T + i] += 0.5 }
        return Tensor(shape: [T, T], data: m.data)
    }

    /// `next` * `product` (both (T, T)): one more layer on the left of a running product.
    public static func multiply(_ next: Tensor, onto product: Tensor) -> Tensor {
        let T = product.shape[0]
        var out = [Float](repeating: 0, count: T * T)
        next.data.withUnsafeBufferPointer { a in product.data.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { c in
            Kernels.gemmAB(m: T, n: T, k: T, a: a.baseAddress!, lda: T, b: b.baseAddress!, ldb: T, c: c.baseAddress!, ldc: T)
        } } }
        return Tensor(shape: [T, T], data: out)
    }

    /// Each row divided by its sum (rows summing to 0 stay 0).
    public static func rowNormalised(_ m: Tensor) -> Tensor {
        var out = m
        let T = m.shape[1]
        for i in 0..<m.shape[0] {
            let s = m.data[(i * T)..<((i + 1) * T)].reduce(0, +)
            if s > 0 { for j in 0..<T { out.data[i * T + j] /= s } }
        }
        return out
    }

    /// matrices[L-1] * ... * matrices[0], each (T, T).
    public static func product(_ matrices: [Tensor]) -> Tensor {
        matrices.dropFirst().reduce(matrices[0]) { r, m in multiply(m, onto: r) }
    }

    /// `m` divided by its largest entry (a matrix whose entries are all <= 0 is unchanged).
    public static func scaledByMaximum(_ m: Tensor) -> Tensor {
        var m = m
        let top = m.data.max() ?? 0
        if top > 0 { for k in m.data.indices { m.data[k] /= top } }
        return m
    }

    /// matrices[L-1] * ... * matrices[0] divided by its largest entry (0 stays 0): the product
    /// up to one positive constant, computed with each factor and each partial product scaled
    /// by its own largest entry so that no product of unnormalised matrices overflows.
    public static func scaledProduct(_ matrices: [Tensor]) -> Tensor {
        var r = scaledByMaximum(matrices[0])
        for m in matrices.dropFirst() { r = scaledByMaximum(multiply(scaledByMaximum(m), onto: r)) }
        return r
    }
}
