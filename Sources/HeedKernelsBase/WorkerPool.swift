import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent worker threads for `Parallel.forEach`. GCD's `concurrentPerform` wakes its
/// workers through the kernel for every call (4-10 us on these VMs, often longer than the GEMM
/// of a short sentence); these workers spin for a short while after each region, so the
/// back-to-back regions of a forward pass start within about a microsecond, and then sleep.
///
/// Synchronisation uses pthread primitives only (no atomics module): a spin lock guards the job
/// state (held for a few instructions at a time), a mutex + condition variable put idle workers
/// to sleep. One region runs at a time; a caller that finds the pool busy runs its loop inline.
final class WorkerPool: @unchecked Sendable {
    /// How long an idle worker keeps polling for the next region before it sleeps: long enough
    /// to bridge the serial code between the kernels of a forward pass (like OpenMP's default
    /// spin-wait), short enough to cost nothing between requests. Polling holds the core;
    /// yielding instead (sched_yield) measured worse on a loaded machine: the worker queues
    /// behind other processes and misses whole regions.
    static let spinNanoseconds: UInt64 = 1_000_000

    private struct State {
        var generation = 0
        var body: ((Int) -> Void)?
        var count = 0
        var next = 0
        var remaining = 0
    }

    private let workerCount: Int
    private let state: UnsafeMutablePointer<State>          // guarded by `spin`
    private let sleepers: UnsafeMutablePointer<Int>          // guarded by `sleepMutex`
    private let spin = ShortLock()
    private let sleepMutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let submit: UnsafeMutablePointer<pthread_mutex_t>
    /// Bumped by `prewake` (guarded by `sleepMutex`): sleepers return to polling without a region.
    private var wakeEpoch = 0

    init(workers: Int) {
        workerCount = workers
        state = .allocate(capacity: 1)
        state.initialize(to: State())
        sleepers = .allocate(capacity: 1)
        sleepers.initialize(to: 0)
        sleepMutex = .allocate(capacity: 1)
        pthread_mutex_init(sleepMutex, nil)
        wake = .allocate(capacity: 1)
        pthread_cond_init(wake, nil)
        submit = .allocate(capacity: 1)
        pthread_mutex_init(submit, nil)
        let cpus = CPUPlacement.workerCPUs(workers: workers)
        for w in 0..<workers {
            let cpu = cpus.isEmpty ? nil : cpus[w]
            let thread = Thread { [self] in
                if let cpu { CPUPlacement.pin(to: cpu) }
                self.workerLoop()
            }
            thread.stackSize = 8 << 20
            thread.name = "heed-worker"
            thread.start()
        }
    }

    /// Runs body(0..<count) on the caller and the workers; returns when all are done. Returns
    /// false without running anything when another region holds the pool.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        if pthread_mutex_trylock(submit) != 0 { return false }
        defer { pthread_mutex_unlock(submit) }
        withoutActuallyEscaping(body) { escapable in
            spin.lock()
            state.pointee.body = escapable
            state.pointee.count = count
            state.pointee.next = 0
            state.pointee.remaining = count
            state.pointee.generation &+= 1
            spin.unlock()
            pthread_mutex_lock(sleepMutex)
            if sleepers.pointee > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(sleepMutex)
            work()
            // Wait for the tasks the workers took: a spin (they are short), yielding if long.
            var polls = 0
            while true {
                spin.lock()
                let left = state.pointee.remaining
                spin.unlock()
                if left == 0 { break }
                polls += 1
                if polls > 200 { sched_yield() }
            }
            spin.lock()
            state.pointee.body = nil
            spin.unlock()
        }
        return true
    }

    /// Wakes sleeping workers so they poll for the next region (for `spinNanoseconds`): their
    /// wake-up (25-70 us on these VMs) overlaps the caller's serial work. Costs a mutex when no
    /// worker sleeps; woken workers go back to sleep unused if no region comes.
    func prewake() {
        pthread_mutex_lock(sleepMutex)
        if sleepers.pointee > 0 {
            wakeEpoch &+= 1
            pthread_cond_broadcast(wake)
        }
        pthread_mutex_unlock(sleepMutex)
    }

    /// Takes and runs tasks of the current region until none is left.
    private func work() {
        // The task is counted done only after `runOne` returned: the worker's copy of the
        // closure is released by then, as `withoutActuallyEscaping` in `run` requires.
        while runOne() {
            spin.lock()
            state.pointee.remaining -= 1
            spin.unlock()
        }
    }

    /// Runs one task of the current region; false when none is left.
    @inline(never)
    private func runOne() -> Bool {
        spin.lock()
        let i = state.pointee.next
        let body = i < state.pointee.count ? state.pointee.body : nil
        if body != nil { state.pointee.next = i + 1 }
        spin.unlock()
        guard let body else { return false }
        Parallel.enterRegion()
        body(i)
        Parallel.leaveRegion()
        return true
    }

    private func currentGeneration() -> Int {
        spin.lock()
        let g = state.pointee.generation
        spin.unlock()
        return g
    }

    private func workerLoop() {
        var seen = currentGeneration()
        while true {
            // Poll for a new region, then sleep until one is published.
            var polls = 0
            var start: UInt64 = 0
            while currentGeneration() == seen {
                polls += 1
                if polls & 63 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if start == 0 { start = now; continue }
                if now - start < WorkerPool.spinNanoseconds { continue }
                pthread_mutex_lock(sleepMutex)
                sleepers.pointee += 1
                let epoch = wakeEpoch
                while currentGeneration() == seen && wakeEpoch == epoch { pthread_cond_wait(wake, sleepMutex) }
                sleepers.pointee -= 1
                pthread_mutex_unlock(sleepMutex)
                polls = 0
                start = 0
            }
            seen = currentGeneration()
            work()
        }
    }
}

#if os(Linux)
// glibc's GNU extensions, which the Glibc module does not export.
@_silgen_name("sched_getaffinity") private func c_sched_getaffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeMutableRawPointer) -> Int32
@_silgen_name("sched_setaffinity") private func c_sched_setaffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeRawPointer) -> Int32
#endif

/// Pins each worker to a CPU of its own (Linux; nothing elsewhere). Measured on a 2-vCPU VM
/// (docs/performance.md, "Workers that start asleep"): a worker woken from its condition
/// variable after a pause was placed on the waking thread's CPU in 65-100 % of wake-ups, and the
/// two shared that core for milliseconds (a T = 16 forward pass: 5.9-7.0 ms instead of 2.2);
/// moving it off with sched_setaffinity after the wake-up did not help (3.7 ms: the scheduler
/// kept it slow), pinning it did (2.3-2.4 ms). The calling thread stays free: the scheduler
/// moves it if it wakes on a worker's CPU. `HEED_PIN=0` turns pinning off.
enum CPUPlacement {
    /// One CPU per worker, all distinct, from the process's allowed set, leaving its first CPU
    /// to the caller; empty (no pinning) when the set has fewer than workers + 1 CPUs, when
    /// `HEED_PIN=0`, or off Linux.
    static func workerCPUs(workers: Int) -> [Int32] {
        #if os(Linux)
        if ProcessInfo.processInfo.environment["HEED_PIN"] == "0" || workers < 1 { return [] }
        var mask = [UInt64](repeating: 0, count: 16)   // a cpu_set_t: 1024 bits
        guard c_sched_getaffinity(0, mask.count * 8, &mask) == 0 else { return [] }
        var allowed: [Int32] = []
        for cpu in 0..<(mask.count * 64) where mask[cpu / 64] & (UInt64(1) << UInt64(cpu % 64)) != 0 { allowed.append(Int32(cpu)) }
        guard allowed.count >= workers + 1 else { return [] }
        return Array(allowed[1...workers])
        #else
        return []
        #endif
    }

    /// Restricts the calling thread to `cpu`.
    static func pin(to cpu: Int32) {
        #if os(Linux)
        var mask = [UInt64](repeating: 0, count: 16)
        mask[Int(cpu) / 64] = UInt64(1) << UInt64(Int(cpu) % 64)
        _ = c_sched_setaffinity(0, mask.count * 8, mask)
        #endif
    }
}

/// A lock for critical sections of a few instructions: a spin lock on Linux (waiters never
/// sleep in the kernel), a plain mutex elsewhere.
final class ShortLock: @unchecked Sendable {
    #if canImport(Glibc)
    private let raw: UnsafeMutablePointer<pthread_spinlock_t>
    init() { raw = .allocate(capacity: 1); pthread_spin_init(raw, 0) }
    @inline(__always) func lock() { pthread_spin_lock(raw) }
    @inline(__always) func unlock() { pthread_spin_unlock(raw) }
    #else
    private let raw: UnsafeMutablePointer<pthread_mutex_t>
    init() { raw = .allocate(capacity: 1); pthread_mutex_init(raw, nil) }
    @inline(__always) func lock() { pthread_mutex_lock(raw) }
    @inline(__always) func unlock() { pthread_mutex_unlock(raw) }
    #endif
}
