// Parallel (the worker pool), ThreadScratch and VectorFunction live in HeedKernelsBase, under the
// variant targets; users of HeedKernels see them as before.
@_exported import HeedKernelsBase
