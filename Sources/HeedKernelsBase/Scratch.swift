#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-thread, 64-byte aligned float buffer that grows on demand and lives until its thread
/// exits. Kernels use it for packing so that no call allocates once the sizes have been seen.
/// Only the GEMM driver uses it, and never across a call to other code, so nested use on one
/// thread cannot happen.
public enum ThreadScratch {
    /// A buffer of at least `count` floats owned by the calling thread (contents undefined).
    public static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let header: UnsafeMutablePointer<ScratchHeader>
        if let raw = pthread_getspecific(scratchKey) {
            header = raw.assumingMemoryBound(to: ScratchHeader.self)
        } else {
            header = .allocate(capacity: 1)
            header.initialize(to: ScratchHeader(base: nil, capacity: 0))
            pthread_setspecific(scratchKey, header)
        }
        if header.pointee.capacity < count {
            header.pointee.base?.deallocate()
            // Grow geometrically so a slowly increasing sequence of sizes does not reallocate each call.
            let capacity = max(count, header.pointee.capacity * 3 / 2, 4096)
            header.pointee.base = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
            header.pointee.capacity = capacity
        }
        return header.pointee.base!.assumingMemoryBound(to: Float.self)
    }
}

struct ScratchHeader {
    var base: UnsafeMutableRawPointer?
    var capacity: Int
}

private func releaseScratch(_ raw: UnsafeMutableRawPointer) {
    let header = raw.assumingMemoryBound(to: ScratchHeader.self)
    header.pointee.base?.deallocate()
    header.deinitialize(count: 1)
    header.deallocate()
}

private let scratchKey: pthread_key_t = {
    var key = pthread_key_t()
    #if canImport(Glibc)
    pthread_key_create(&key) { raw in if let raw { releaseScratch(raw) } }
    #else
    pthread_key_create(&key) { raw in releaseScratch(raw) }
    #endif
    return key
}()
