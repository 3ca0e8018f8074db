// The merge loop of BPE (tokenizers/src/models/bpe/word.rs, `Word::merge_all`) and the cache of
// merged words (model.rs keeps one per thread; here one shared, lock-protected cache).

import Foundation

/// One word being merged: a doubly linked list of symbols over an array, as Rust's `Word`.
struct BPEWord {
    private struct Node {
        var id: Int32
        /// UTF-8 bytes covered (Rust `len`); 0 marks a symbol merged into its left neighbour.
        var length: Int32
        var previous: Int32
        var next: Int32
    }

    /// A queued merge: `key` is rank << 32 | position, so the smallest key is Rust's next merge
    /// (lowest rank, then leftmost position).
    private struct Candidate {
        var key: UInt64
        var newID: Int32
    }

    private var nodes: [Node] = []

    init(capacity: Int) {
        nodes.reserveCapacity(capacity)
    }

    /// Appends a symbol (Rust `Word::add`).
    mutating func add(_ id: Int32, length: Int32) {
        let count = Int32(nodes.count)
        if count > 0 { nodes[Int(count) - 1].next = count }
        nodes.append(Node(id: id, length: length, previous: count - 1, next: -1))
    }

    @inline(__always)
    private static func pair(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Applies merges until none applies (Rust `Word::merge_all` without dropout): pop the
    /// best candidate; skip it if its symbol was merged away, is last, or now forms a pair whose
    /// merge makes a different token; else merge and queue the pairs the new symbol forms.
    mutating func mergeAll(_ merges: [UInt64: BPEModel.Merge]) {
        let count = nodes.count
        guard count > 1 else { return }
        var heap: [Candidate] = []
        heap.reserveCapacity(count)
        for i in 0..<(count - 1) {
            if let merge = merges[BPEWord.pair(nodes[i].id, nodes[i + 1].id)] {
                BPEWord.push(&heap, Candidate(key: UInt64(UInt32(merge.rank)) << 32 | UInt64(i), newID: merge.newID))
            }
        }
        while let top = BPEWord.pop(&heap) {
            let position = Int(top.key & 0xFFFF_FFFF)
            let node = nodes[position]
            if node.length == 0 || node.next == -1 { continue }
            let nextPosition = Int(node.next)
            let right = nodes[nextPosition]
            guard let merge = merges[BPEWord.pair(node.id, right.id)], merge.newID == top.newID else { continue }

            nodes[position].id = top.newID
            nodes[position].length += right.length
            nodes[position].next = right.next
            nodes[nextPosition].length = 0
            if right.next > -1 && Int(right.next) < count {
                nodes[Int(right.next)].previous = Int32(position)
            }
            let current = nodes[position]
            if current.previous >= 0 {
                let previous = Int(current.previous)
                if let merge = merges[BPEWord.pair(nodes[previous].id, current.id)] {
                    BPEWord.push(&heap, Candidate(key: UInt64(UInt32(merge.rank)) << 32 | UInt64(previous), newID: merge.newID))
                }
            }
            if current.next >= 0 && Int(current.next) < count {
                if let merge = merges[BPEWord.pair(current.id, nodes[Int(current.next)].id)] {
                    BPEWord.push(&heap, Candidate(key: UInt64(UInt32(merge.rank)) << 32 | UInt64(position), newID: merge.newID))
                }
            }
        }
    }

    /// The remaining symbols with scalar ranges in `scalars` (the word): Rust gives each symbol
    /// the byte offsets that add up the lengths before it (so a dropped scalar shifts the
    /// offsets after it, as in Rust); a byte offset maps to the scalar holding that byte.
    func symbols(over scalars: [Unicode.Scalar]) -> [BPEModel.Symbol] {
        var result: [BPEModel.Symbol] = []
        result.reserveCapacity(nodes.count)
        var scalarIndex = 0
        var scalarByteStart = 0
        let lastScalar = max(scalars.count - 1, 0)
        /// The index of the scalar holding byte `offset` (monotonic calls only).
        func scalar(holding offset: Int) -> Int {
            while scalarIndex < lastScalar && scalarByteStart + UTF8.width(scalars[scalarIndex]) <= offset {
                scalarByteStart += UTF8.width(scalars[scalarIndex])
                scalarIndex += 1
            }
            return scalarIndex
        }
        var byteOffset = 0
        for node in nodes where node.length != 0 {
            let start = scalar(holding: byteOffset)
            byteOffset += Int(node.length)
            let end = scalar(holding: byteOffset - 1) + 1
            result.append(BPEModel.Symbol(id: node.id, start: Int32(start), end: Int32(end)))
        }
        return result
    }

    // MARK: - Binary min-heap on `key`

    private static func push(_ heap: inout [Candidate], _ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].key <= candidate.key { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = candidate
    }

    private static func pop(_ heap: inout [Candidate]) -> Candidate? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        var parent = 0
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && heap[child + 1].key < heap[child].key { child += 1 }
            if last.key <= heap[child].key { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }
}

/// Merged words by their scalars, shared by all threads using one model. Like Rust's cache it
/// holds words under 256 UTF-8 bytes and stops taking new ones when full.
final class BPECache: @unchecked Sendable {
    private var entries: [[Unicode.Scalar]: [BPEModel.Symbol]] = [:]
    private let lock = NSLock()
    let capacity: Int
    /// Rust `MAX_LENGTH`: longer words are not cached.
    static let maxUTF8Length = 256

    init(capacity: Int) {
        self.capacity = capacity
    }

    func lookup(_ word: [Unicode.Scalar]) -> [BPEModel.Symbol]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func insert(_ word: [Unicode.Scalar], _ symbols: [BPEModel.Symbol]) {
        guard word.count < BPECache.maxUTF8Length,
              word.reduce(0, { $0 + UTF8.width($1) }) < BPECache.maxUTF8Length else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = symbols }
    }
}
