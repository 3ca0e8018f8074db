// A trie over Unicode scalars. Keys compare scalar by scalar (like the Rust library's byte
// comparison), never by canonical equivalence as Swift String equality would.

/// Maps scalar sequences to integer values; supports exact and longest-prefix lookups.
struct ScalarTrie {
    /// (node << 21 | scalar) -> child node.
    private var edges: [UInt64: Int32] = [:]
    /// Value per node, -1 when no key ends there. Node 0 is the root.
    private var values: [Int32] = [-1]
    /// Number of distinct keys.
    private(set) var keyCount = 0

    static let root: Int32 = 0

    init() {}

    /// Inserts or overwrites a key (the last insertion of a duplicate wins, as with serde maps).
    mutating func insert<S: Sequence>(_ key: S, value: Int) where S.Element == Unicode.Scalar {
        var node = ScalarTrie.root
        for scalar in key {
            let edge = UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
            if let child = edges[edge] {
                node = child
            } else {
                let child = Int32(values.count)
                values.append(-1)
                edges[edge] = child
                node = child
            }
        }
        if values[Int(node)] < 0 { keyCount += 1 }
        values[Int(node)] = Int32(truncatingIfNeeded: value)
    }

    /// The child of `node` along `scalar`, if any.
    @inline(__always)
    func child(_ node: Int32, _ scalar: Unicode.Scalar) -> Int32? {
        edges[UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)]
    }

    /// The node reached from `node` by `key`, if every step exists.
    func walk<S: Sequence>(_ key: S, from node: Int32 = ScalarTrie.root) -> Int32? where S.Element == Unicode.Scalar {
        var current = node
        for scalar in key {
            guard let next = child(current, scalar) else { return nil }
            current = next
        }
        return current
    }

    /// The value stored at `node`, if a key ends there.
    @inline(__always)
    func value(at node: Int32) -> Int? {
        let value = values[Int(node)]
        return value < 0 ? nil : Int(value)
    }

    /// Exact lookup.
    func value<S: Sequence>(for key: S) -> Int? where S.Element == Unicode.Scalar {
        walk(key).flatMap(value(at:))
    }

    /// The longest key, starting from `node`, that is a prefix of `scalars[start..<end]`:
    /// its length in scalars and its value.
    func longestMatch(_ scalars: [Unicode.Scalar], from start: Int, to end: Int,
                      node: Int32 = ScalarTrie.root) -> (length: Int, value: Int)? {
        var current = node
        var best: (length: Int, value: Int)?
        var i = start
        while i < end, let next = child(current, scalars[i]) {
            current = next
            i += 1
            let stored = values[Int(current)]
            if stored >= 0 { best = (i - start, Int(stored)) }
        }
        return best
    }
}
