import Foundation

/// How many forward passes the request handlers have started in this process: tests check that
/// a toggle (another method or layer on the same text) is answered from cached taps.
enum ForwardPassCounter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var count = 0

    static func increment() { lock.lock(); count += 1; lock.unlock() }

    /// Passes started so far.
    static var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
