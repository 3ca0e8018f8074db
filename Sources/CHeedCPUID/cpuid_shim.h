// CPUID and XGETBV for HeedKernels' start-up check (ISA.swift). Swift has no intrinsic for
// either, so this header-only shim (a system-library target: nothing is compiled on its own)
// wraps the compiler's <cpuid.h> and one instruction of inline assembly. Both are valid on
// every x86-64 CPU; on other architectures the header declares nothing.
#ifndef HEED_CPUID_SHIM_H
#define HEED_CPUID_SHIM_H
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define HEED_HAS_CPUID 1

/// Registers EAX, EBX, ECX, EDX of CPUID leaf `leaf`, subleaf `sub`, into out[0..3].
/// Returns 0 (and leaves out alone) when the CPU does not have that leaf.
static inline int heed_cpuid(unsigned leaf, unsigned sub, uint32_t out[4]) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(leaf, sub, &a, &b, &c, &d)) return 0;
  out[0] = a; out[1] = b; out[2] = c; out[3] = d;
  return 1;
}

/// XCR0: the register state the operating system saves (bits 1-2: SSE/AVX, 5-7: AVX-512).
/// Call only when CPUID.1:ECX.OSXSAVE[bit 27] is set (XGETBV faults otherwise).
static inline uint64_t heed_xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}
#endif
#endif
