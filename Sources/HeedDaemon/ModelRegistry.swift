import Foundation
import HeedCheckpoints
import HeedModels

/// Loaded models, kept warm; each loads once even when several requests ask at the same time.
/// When weights exceed the budget, the least recently used model is unloaded.
final class ModelRegistry: @unchecked Sendable {
    private struct Entry { let model: LoadedModel; var stamp: UInt64 }
    private var loaded: [String: Entry] = [:]
    private var loading: [String: NSCondition] = [:]
    private var failures: [String: Error] = [:]
    private var clock: UInt64 = 0
    private let lock = NSLock()
    let budget: Int
    /// Called with the id of a model that was unloaded (its cached results go too).
    var onUnload: (String) -> Void = { _ in }
    /// Called once with each model that loaded (the server logs its load notes at info).
    var onLoad: (LoadedModel) -> Void = { _ in }

    init(budget: Int) { self.budget = budget }

    /// The loaded model `id`, loading it (and fetching a catalog model) if needed.
    func model(_ id: String, progress: @escaping (String) -> Void = { _ in }) throws -> LoadedModel {
        lock.lock()
        while true {
            if var e = loaded[id] {
                clock += 1; e.stamp = clock; loaded[id] = e
                lock.unlock()
                return e.model
            }
            if let cond = loading[id] {
                // Another request is loading it: wait, then look again.
                lock.unlock()
                cond.lock(); _ = cond.wait(until: Date().addingTimeInterval(0.05)); cond.unlock()
                lock.lock()
                if loading[id] == nil, let failure = failures[id] { lock.unlock(); throw failure }
                continue
            }
            break
        }
        let cond = NSCondition()
        loading[id] = cond
        failures[id] = nil
        lock.unlock()

        let result = Result { try LoadedModel.resolve(id, progress: progress) }
        lock.lock()
        loading[id] = nil
        var evicted: [String] = []
        switch result {
        case let .success(model):
            clock += 1
            loaded[id] = Entry(model: model, stamp: clock)
            evicted = evictOverBudget(keeping: id)
        case let .failure(error):
            failures[id] = error
        }
        lock.unlock()
        cond.lock(); cond.broadcast(); cond.unlock()
        if case let .success(model) = result { onLoad(model) }
        for e in evicted { onUnload(e) }
        return try result.get()
    }

    /// Makes `model` loaded under `model.id`, as if it had been loaded from its files (same
    /// budget and least-recently-used unloading): the seam through which tests serve a network
    /// built in the process (a test double) without files on disk.
    func insert(_ model: LoadedModel) {
        lock.lock()
        clock += 1
        loaded[model.id] = Entry(model: model, stamp: clock)
        let evicted = evictOverBudget(keeping: model.id)
        lock.unlock()
        onLoad(model)
        for e in evicted { onUnload(e) }
    }

    func loadedModel(_ id: String) -> LoadedModel? {
        lock.lock(); defer { lock.unlock() }
        return loaded[id]?.model
    }

    func unload(_ id: String) {
        lock.lock()
        let was = loaded.removeValue(forKey: id) != nil
        lock.unlock()
        if was { onUnload(id) }
    }

    /// Bytes of the loaded models' weights.
    var weightBytes: Int { lock.lock(); defer { lock.unlock() }; return loaded.values.reduce(0) { $0 + $1.model.weightBytes } }

    var loadedIDs: [String] { lock.lock(); defer { lock.unlock() }; return loaded.keys.sorted() }

    /// Unloads least recently used models (never `keeping`) until weights fit the budget.
    private func evictOverBudget(keeping: String) -> [String] {
        var evicted: [String] = []
        while loaded.values.reduce(0, { $0 + $1.model.weightBytes }) > budget,
              let victim = loaded.filter({ $0.key != keeping }).min(by: { $0.value.stamp < $1.value.stamp }) {
            loaded[victim.key] = nil
            evicted.append(victim.key)
        }
        return evicted
    }
}
