// A hint to load memory into the cache ahead of use. Swift has no prefetch intrinsic, and
// PromQL's per-series loops visit series in label order, which is not the order their
// samples lie in memory: without a hint every series starts with a cache miss.
#ifndef KANSOKU_PREFETCH_H
#define KANSOKU_PREFETCH_H

/// Asks for the cache line holding `p` to be loaded for reading; never faults.
static inline void kprefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
