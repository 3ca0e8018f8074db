import HeedKernelsBase

// The GEMM driver: splits C (M, N) into tasks over column panels (and row blocks when there
// are few panels), packs B per task unless it comes pre-packed, and sweeps register tiles.
//
// Loop nest of one task (BLIS order, A read in place):
//   for kc block (depth gemmKC):            B micro-panel (kc x gemmNR) stays in L1
//     for mc block of rows (gemmMC):        A block (mc x kc) stays in L2
//       for panel in the task's panels:
//         for 6-row tile in the mc block:   micro-kernel

// gemmKC (depth of a k block) is the variant's (Width.swift): a 16-wide B micro-panel of
// depth 384 is 24 KiB (measured best of 192/256/384 on MiniLM shapes with AVX2); 32-wide
// AVX-512 panels use 256 (32 KiB).
/// Rows of an A block kept in L2 while a task's panels stream past it.
let gemmMC = 120
/// Below this many flops a GEMM runs on the calling thread only.
let gemmParallelMinFlops = 500_000.0

/// Where the packed B panels come from.
enum GemmB {
    /// b (N, K) row-major: C = A * b^T.
    case transposed(UnsafePointer<Float>, ldb: Int)
    /// b (K, N) row-major: C = A * b.
    case plain(UnsafePointer<Float>, ldb: Int)
    /// Panels already packed (PackedLinear): panel p's K rows of gemmNR floats at
    /// base + p * panelStride (K * gemmNR for a whole packed W; larger for a k-range of the
    /// panels of a wider W, whose rows k0 ..< k0 + K are contiguous in each panel).
    case packed(UnsafePointer<Float>, panelStride: Int)
}

enum GemmDriver {
    /// c (M, N) (+)= a (M, K) * B + bias. c must not overlap a or b.
    static func run(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: GemmB,
                    c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            for i in 0..<m {
                for j in 0..<n {
                    let s: Float = bias?[j] ?? 0
                    c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s
                }
            }
            return
        }
        forEachTask(m: m, n: n, work: 2.0 * Double(m) * Double(n) * Double(k)) { panels, rows in
            runTask(n: n, k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, bias: bias, accumulate: accumulate,
                    panels: panels, rows: rows)
        }
    }

    /// Splits C (M, N) into tasks over ranges of column panels (and of rows, in whole gemmMR
    /// tiles, when the panels are too few to go round) and runs `body(panels, rows)` for each on
    /// the worker pool; below gemmParallelMinFlops of `work` (flops, or their equivalent) one task
    /// runs on the calling thread.
    static func forEachTask(m: Int, n: Int, work: Double, _ body: (Range<Int>, Range<Int>) -> Void) {
        let panels = (n + gemmNR - 1) / gemmNR
        let rowBlocks = (m + gemmMR - 1) / gemmMR
        let threads = Parallel.availableThreads
        var panelChunks = 1, rowChunks = 1
        if threads > 1 && work >= gemmParallelMinFlops {
            // Several tasks per thread: a thread that starts late still finds work, and a core
            // taken by another process is evened out. Splitting N costs nothing extra
            // (each panel is packed once); splitting M repacks B per row chunk, so only when
            // panels are few (attention's (T x T)(T x 32), say).
            let tasks = threads * 4
            panelChunks = min(tasks, panels)
            if panels < 2 * threads { rowChunks = min(rowBlocks, (tasks + panelChunks - 1) / panelChunks) }
        }
        Parallel.forEach(panelChunks * rowChunks) { t in
            let pc = t % panelChunks, rc = t / panelChunks
            let r0 = (rc * rowBlocks / rowChunks) * gemmMR
            let r1 = min(m, ((rc + 1) * rowBlocks / rowChunks) * gemmMR)
            body((pc * panels / panelChunks)..<((pc + 1) * panels / panelChunks), r0..<r1)
        }
    }

    private static func runTask(n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: GemmB,
                                c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                                panels: Range<Int>, rows: Range<Int>) {
        if panels.isEmpty || rows.isEmpty { return }
        let spillFloats = gemmMR * gemmNR
        let packFloats: Int
        switch b { case .packed: packFloats = 0
        default: packFloats = packedPanelFloats(panels: panels.count, k: k) }
        let scratch = ThreadScratch.floats(spillFloats + packFloats)
        let spill = scratch
        // Panel `panels.lowerBound` starts at `first`; the others follow `panelStride` floats apart.
        let first: UnsafePointer<Float>
        let panelStride: Int
        // Packed weights stream from memory (each weight is read once per pass): their first
        // tile prefetches ahead. B packed here from a or b is in cache already.
        var prefetch = false
        switch b {
        case .packed(let base, let stride):
            prefetch = true
            panelStride = stride
            first = base + panels.lowerBound * stride
        case .transposed(let bt, let ldb):
            packPanelsTransposed(b: bt, ldb: ldb, n: n, k: k, panels: panels, into: scratch + spillFloats)
            panelStride = k * gemmNR
            first = UnsafePointer(scratch + spillFloats)
        case .plain(let bb, let ldb):
            packPanels(b: bb, ldb: ldb, n: n, k: k, panels: panels, into: scratch + spillFloats)
            panelStride = k * gemmNR
            first = UnsafePointer(scratch + spillFloats)
        }
        var k0 = 0
        while k0 < k {
            // Split k into near-equal blocks of at most gemmKC.
            let kBlocks = (k - k0 + gemmKC - 1) / gemmKC
            let kc = (k - k0 + kBlocks - 1) / kBlocks
            sweepKBlock(rows: rows, panels: panels, panel: { first + ($0 - panels.lowerBound) * panelStride + k0 * gemmNR },
                        k0: k0, kc: kc, n: n, a: a, lda: lda, c: c, ldc: ldc, bias: bias, accumulate: accumulate, spill: spill,
                        prefetch: prefetch)
            k0 += kc
        }
    }

    /// One k block [k0, k0 + kc) of a task: the rows in gemmMC blocks against each of `panels`,
    /// whose (kc x gemmNR) slab `panel(p)` gives, in tiles of at most gemmMR rows through the
    /// micro-kernel. The first k block (k0 == 0) writes c (plus bias; added to c when
    /// `accumulate`), later ones add to it. With `prefetch`, the first tile over each panel
    /// prefetches it ahead (`gemmPrefetchFloats`).
    @inline(__always)
    static func sweepKBlock(rows: Range<Int>, panels: Range<Int>, panel: (Int) -> UnsafePointer<Float>, k0: Int, kc: Int, n: Int,
                            a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                            bias: UnsafePointer<Float>?, accumulate: Bool, spill: UnsafeMutablePointer<Float>, prefetch: Bool = false) {
        let firstBlock = k0 == 0
        var i0 = rows.lowerBound
        while i0 < rows.upperBound {
            let i1 = min(rows.upperBound, i0 + gemmMC)
            for p in panels {
                let j0 = p * gemmNR
                let bp = panel(p)
                let e = TileEpilogue(bias: firstBlock ? bias.map { $0 + j0 } : nil,
                                     accumulate: firstBlock ? accumulate : true,
                                     nr: min(gemmNR, n - j0), spill: spill)
                var i = i0
                var tile = e
                tile.prefetch = prefetch && i0 == rows.lowerBound ? gemmPrefetchFloats : 0
                while i < i1 {
                    // Between MR and 2 MR rows left: two near-equal tiles beat a full one
                    // and a 1- or 2-row tile (8 rows with MR = 6: 4 + 4, not 6 + 2).
                    let left = i1 - i
                    let mr = left > gemmMR && left < 2 * gemmMR ? (left + 1) / 2 : min(gemmMR, left)
                    gemmTile(mr: mr, kc, a + i * lda + k0, lda, bp, c + i * ldc + j0, ldc, tile)
                    tile.prefetch = 0
                    i += mr
                }
            }
            i0 = i1
        }
    }
}

