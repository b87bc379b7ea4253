// Substring search over raw bytes with the widest vectors the processor has (AVX2 when
// present, else SSE2 on x86-64; portable C elsewhere). Swift's SIMD types compile to the
// baseline target only and expose no byte movemask, and line filters spend most of a scan's
// non-decompression time here.
#ifndef KANSOKU_BYTESEARCH_H
#define KANSOKU_BYTESEARCH_H

#include <stddef.h>

/// Offset of the first occurrence of `needle` (`m` bytes) in `hay` (`n` bytes), or -1.
/// With `folded` nonzero the match is ASCII case-insensitive and `needle` must already be
/// lower-case.
long kbytesearch_find(const void *hay, size_t n, const void *needle, size_t m, int folded);

#endif
