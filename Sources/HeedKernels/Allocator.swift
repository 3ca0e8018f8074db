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
        _ = c_mallopt(mmapThreshold, 1 << 30)
        _ = c_mallopt(trimThreshold, 1 << 30)
        #endif
    }
}
