#if os(Linux)
@_silgen_name("mallopt")
private func c_mallopt(_ param: Int32, _ value: Int32) -> Int32
#endif

public enum Allocator {
    /// Keeps large buffers (attention matrices, activations) in the heap between forward passes
    /// instead of mapping fresh, zero-filled pages for each one: glibc serves blocks above
    /// 128 KiB with mmap by default, and the page faults cost ~10% of a forward pass.
    public static func keepLargeBlocks() {
        #if os(Linux)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1   // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD (malloc.h)
        let arenaMax: Int32 = -8                                   // M_ARENA_MAX
        _ = c_mallopt(mmapThreshold, 1 << 30)
        _ = c_mallopt(trimThreshold, 1 << 30)
        // One arena: the daemon runs each request on whichever dispatch thread is free, and with
        // an arena per thread a request's buffers came from an arena whose free blocks were
        // elsewhere, i.e. fresh pages to fault in: a first highlight's forward stage took
        // 12.1 ms (p50, T = 128) against 10.9 ms with one arena (docs/performance.md). Blocks
        // are large and few per pass, so the shared arena's lock is not contended.
        _ = c_mallopt(arenaMax, 1)
        #endif
    }
}
