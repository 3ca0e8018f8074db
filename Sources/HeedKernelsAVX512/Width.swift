// The avx512 kernel variant: the sources in Shared/ (a symlink to Sources/HeedKernelsShared,
// shared by every variant target) compiled for x86-64-v4 (AVX-512F/BW/CD/DQ/VL).
// This file is the only one that differs between variants: vector width and tile sizes.

/// The vector type of every kernel of this variant: 16 lanes of Float.
typealias VF = SIMD16<Float>
/// Int32 lanes of the same width (bit manipulation in exp).
typealias VI = SIMD16<Int32>
/// UInt32 lanes of the same width (sign and magnitude masks).
typealias VU = SIMD16<UInt32>
/// Rows of the full GEMM register tile (2 x MR accumulators of VF).
let gemmMR = 12
/// Depth of a GEMM k block (a B micro-panel of kc x gemmNR floats should stay in L1).
let gemmKC = 256
/// The name of this variant, spelled as HEED_ISA spells it.
let variantName = "avx512"
/// F16C (vcvtph2ps) is available: two adjacent halves convert in one instruction (QuantGemm.swift).
let hasF16C = true
