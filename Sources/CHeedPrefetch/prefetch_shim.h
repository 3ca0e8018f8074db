// A software prefetch for the GEMM micro-kernel (HeedKernelsShared/Gemm/MicroKernel.swift):
// Swift has no prefetch intrinsic, so this header-only shim (a system-library target: nothing is
// compiled on its own) wraps the compiler's __builtin_prefetch, which every architecture accepts
// (x86: PREFETCHT0; arm64: PRFM PLDL1KEEP; elsewhere possibly nothing). A prefetch never faults.
#ifndef HEED_PREFETCH_SHIM_H
#define HEED_PREFETCH_SHIM_H

/// Asks for the cache line holding `p` to be brought into L1 for reading.
static inline void heed_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
