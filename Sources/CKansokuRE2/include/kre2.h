// A C face for RE2 so Swift can call it without C++ interop.
// RE2 gives Go/Loki/Prometheus regex semantics and runs in linear time.
#ifndef KANSOKU_RE2_H
#define KANSOKU_RE2_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct kre2_regex kre2_regex;

enum {
    KRE2_UNANCHORED = 0,
    KRE2_ANCHOR_START = 1,
    KRE2_ANCHOR_BOTH = 2,
};

/// Compiles `pattern`. On failure returns NULL and writes a message into `err`.
kre2_regex *kre2_new(const char *pattern, size_t len, int case_insensitive, char *err, size_t errlen);
void kre2_free(kre2_regex *re);
/// 1 when `text` matches under `anchor`.
int kre2_match(const kre2_regex *re, const char *text, size_t len, int anchor);
/// Finds the leftmost match at or after `start`; 1 and its bounds when found.
int kre2_find(const kre2_regex *re, const char *text, size_t len, size_t start,
              size_t *match_start, size_t *match_end);
/// Number of capturing groups (not counting the whole match).
int kre2_group_count(const kre2_regex *re);
/// Name of capturing group `index` (1-based), or NULL when it has none.
const char *kre2_group_name(const kre2_regex *re, int index);
/// Unanchored match filling `starts`/`ends` for groups 0...ngroups; unset groups get SIZE_MAX.
int kre2_captures(const kre2_regex *re, const char *text, size_t len,
                  size_t *starts, size_t *ends, int ngroups);
/// When the whole pattern is one literal string, copies it and returns its length; else -1.
long kre2_literal(const kre2_regex *re, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
