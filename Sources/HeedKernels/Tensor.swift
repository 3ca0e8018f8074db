// Row-major float32 tensors. Shapes use the fixed letters of docs/methods.md in comments:
// T tokens, C hidden size, NH heads, HS head size.

/// A dense, row-major float32 tensor. Value semantics (copy-on-write through `data`).
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Elements per row of the last dimension.
    public var lastDim: Int { shape.last ?? 1 }
    /// Number of rows when viewed as a 2-D (rows, lastDim) matrix.
    public var rows: Int { lastDim == 0 ? 0 : count / lastDim }

    /// The row `i` of the 2-D view, copied.
    public func row(_ i: Int) -> [Float] {
        Array(data[(i * lastDim)..<((i + 1) * lastDim)])
    }
}
