#include "kbytesearch.h"
#include <stdint.h>
#include <string.h>

// Candidates are positions whose first and last bytes match the needle's (far apart, so less
// correlated than neighbours); each candidate is then verified in full.

static inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }
static inline int is_lower_letter(unsigned char c) { return c >= 'a' && c <= 'z'; }

static inline int verify(const unsigned char *p, const unsigned char *nd, size_t m, int folded) {
    if (!folded) {
        // Short needles (most line filters) are cheaper to compare inline than through a call.
        if (m > 16) return memcmp(p, nd, m) == 0;
        for (size_t j = 0; j < m; j++) if (p[j] != nd[j]) return 0;
        return 1;
    }
    for (size_t j = 0; j < m; j++) if (lower(p[j]) != nd[j]) return 0;
    return 1;
}

static long find_scalar(const unsigned char *h, size_t from, size_t n, const unsigned char *nd, size_t m, int folded) {
    for (size_t i = from; i + m <= n; i++) {
        if ((folded ? lower(h[i]) : h[i]) == nd[0] && verify(h + i, nd, m, folded)) return (long)i;
    }
    return -1;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static int has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // the OS saves XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & bit_AVX2) != 0;
}

__attribute__((target("avx2")))
static long find_avx2(const unsigned char *h, size_t n, const unsigned char *nd, size_t m, int folded) {
    const __m256i first = _mm256_set1_epi8((char)nd[0]), last = _mm256_set1_epi8((char)nd[m - 1]);
    const __m256i fold1 = _mm256_set1_epi8(folded && is_lower_letter(nd[0]) ? 0x20 : 0);
    const __m256i fold2 = _mm256_set1_epi8(folded && is_lower_letter(nd[m - 1]) ? 0x20 : 0);
    size_t i = 0;
    for (; i + m - 1 + 32 <= n; i += 32) {
        __m256i a = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i)), fold1);
        __m256i b = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + i + m - 1)), fold2);
        uint32_t mask = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, last)));
        while (mask) {
            unsigned k = (unsigned)__builtin_ctz(mask);
            if (verify(h + i + k, nd, m, folded)) return (long)(i + k);
            mask &= mask - 1;
        }
    }
    return find_scalar(h, i, n, nd, m, folded);
}

static long find_sse2(const unsigned char *h, size_t n, const unsigned char *nd, size_t m, int folded) {
    const __m128i first = _mm_set1_epi8((char)nd[0]), last = _mm_set1_epi8((char)nd[m - 1]);
    const __m128i fold1 = _mm_set1_epi8(folded && is_lower_letter(nd[0]) ? 0x20 : 0);
    const __m128i fold2 = _mm_set1_epi8(folded && is_lower_letter(nd[m - 1]) ? 0x20 : 0);
    size_t i = 0;
    for (; i + m - 1 + 16 <= n; i += 16) {
        __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i)), fold1);
        __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + i + m - 1)), fold2);
        uint32_t mask = (uint32_t)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
        while (mask) {
            unsigned k = (unsigned)__builtin_ctz(mask);
            if (verify(h + i + k, nd, m, folded)) return (long)(i + k);
            mask &= mask - 1;
        }
    }
    return find_scalar(h, i, n, nd, m, folded);
}

static long (*resolve(void))(const unsigned char *, size_t, const unsigned char *, size_t, int) {
    return has_avx2() ? find_avx2 : find_sse2;
}
#else
static long find_portable(const unsigned char *h, size_t n, const unsigned char *nd, size_t m, int folded) {
    return find_scalar(h, 0, n, nd, m, folded);
}
static long (*resolve(void))(const unsigned char *, size_t, const unsigned char *, size_t, int) { return find_portable; }
#endif

long kbytesearch_find(const void *hay, size_t n, const void *needle, size_t m, int folded) {
    static long (*impl)(const unsigned char *, size_t, const unsigned char *, size_t, int);
    if (m == 0) return 0;
    if (n < m || hay == NULL) return -1;
    if (m == 1 && !folded) {
        const void *p = memchr(hay, ((const unsigned char *)needle)[0], n);
        return p ? (long)((const unsigned char *)p - (const unsigned char *)hay) : -1;
    }
    // A benign race: every thread that resolves stores the same pointer.
    long (*f)(const unsigned char *, size_t, const unsigned char *, size_t, int) = __atomic_load_n(&impl, __ATOMIC_RELAXED);
    if (!f) {
        f = resolve();
        __atomic_store_n(&impl, f, __ATOMIC_RELAXED);
    }
    return f(hay, n, needle, m, folded);
}
