import Foundation

/// A thread-safe least-recently-used cache bounded by bytes. Values report their own size.
/// Keys are compared byte for byte (their UTF-8), never by Swift's String equality, which holds
/// canonically equivalent texts equal: "cafe\u{301}" and "caf\u{E9}" have different tokens and spans.
final class ResultCache: @unchecked Sendable {
    private struct Entry { let value: Any; let bytes: Int; var stamp: UInt64 }
    private var entries: [[UInt8]: Entry] = [:]
    private var clock: UInt64 = 0
    private let lock = NSLock()
    private(set) var byteCount = 0
    var budget: Int

    init(budget: Int) { self.budget = budget }

    func get<T>(_ key: String, as: T.Type = T.self) -> T? {
        let key = Array(key.utf8)
        lock.lock(); defer { lock.unlock() }
        guard var e = entries[key] else { return nil }
        clock += 1; e.stamp = clock; entries[key] = e
        return e.value as? T
    }

    func put(_ key: String, _ value: Any, bytes: Int) {
        let key = Array(key.utf8)
        lock.lock(); defer { lock.unlock() }
        guard bytes <= budget else { return }
        if let old = entries[key] { byteCount -= old.bytes }
        clock += 1
        entries[key] = Entry(value: value, bytes: bytes, stamp: clock)
        byteCount += bytes
        evict(to: budget)
    }

    /// Sets the budget and evicts least recently used entries down to it.
    func shrink(to limit: Int) {
        lock.lock(); defer { lock.unlock() }
        budget = limit
        evict(to: limit)
    }

    /// Drops entries whose key starts with `prefix` (a model's results when it unloads).
    func removeAll(prefix: String) {
        let prefix = Array(prefix.utf8)
        lock.lock(); defer { lock.unlock() }
        for (k, e) in entries where k.starts(with: prefix) { byteCount -= e.bytes; entries[k] = nil }
    }

    private func evict(to limit: Int) {
        while byteCount > limit, let oldest = entries.min(by: { $0.value.stamp < $1.value.stamp }) {
            byteCount -= oldest.value.bytes
            entries[oldest.key] = nil
        }
    }
}
