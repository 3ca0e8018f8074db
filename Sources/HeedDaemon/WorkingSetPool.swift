import Foundation
import HeedAnalysis
import HeedModels
#if canImport(Glibc)
import Glibc
#endif

/// What the weights leave of `--max-memory`, shared by cached results and the working sets of
/// the requests being computed (protocol.md, section 1). A request reserves its working set before allocating
/// it and gives it back once its response is written; cached results get what the reservations
/// leave, at most `cacheLimit`, least recently used first out. A request whose working set does
/// not fit next to the others' waits for them; one that cannot fit even alone is refused.
final class WorkingSetPool: @unchecked Sendable {
    /// `--max-memory`.
    let budget: Int
    /// Bytes of the loaded models' weights, now.
    let weights: () -> Int
    /// Bytes shared by cached results and reservations: the budget less the weights.
    var capacity: Int { max(0, budget - weights()) }
    /// The most cached results may hold when no request needs the room.
    let cacheLimit: Int
    private let cache: ResultCache
    private let condition = NSCondition()
    private(set) var reserved = 0

    init(budget: Int, cacheLimit: Int, cache: ResultCache, weights: @escaping () -> Int) {
        self.budget = budget; self.cacheLimit = cacheLimit; self.cache = cache; self.weights = weights
        cache.shrink(to: min(cacheLimit, budget))
    }

    var reservedBytes: Int { condition.lock(); defer { condition.unlock() }; return reserved }

    /// Reserves `bytes`, evicting cached results and waiting for other requests' reservations
    /// as needed. - Throws: `WorkingSetTooLarge` when `bytes` exceeds the capacity (nothing is
    /// evicted then), `ForwardError.cancelled` when cancelled while waiting.
    func reserve(_ bytes: Int, what: @autoclosure () -> String, isCancelled: () -> Bool) throws {
        let capacity = self.capacity
        guard bytes <= capacity else {
            throw WorkingSetTooLarge(neededBytes: bytes, budgetBytes: capacity, what: what())
        }
        condition.lock()
        defer { condition.unlock() }
        while reserved > 0 && reserved + bytes > capacity {
            if isCancelled() { throw ForwardError.cancelled }
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
        }
        reserved += bytes
        cache.shrink(to: min(cacheLimit, max(0, capacity - reserved)))
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        condition.lock()
        reserved -= bytes
        cache.shrink(to: min(cacheLimit, max(0, capacity - reserved)))
        condition.broadcast()
        condition.unlock()
    }
}

/// What one request holds in a `WorkingSetPool`, given back by the server after its response.
final class Reservation: @unchecked Sendable {
    private let lock = NSLock()
    private var held = 0
    func add(_ bytes: Int) { lock.lock(); held += bytes; lock.unlock() }
    /// The bytes held, now zero.
    func take() -> Int { lock.lock(); defer { held = 0; lock.unlock() }; return held }
}
