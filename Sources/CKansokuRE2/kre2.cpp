#include "kre2.h"
#include <re2/re2.h>
#include <cstring>
#include <map>
#include <string>
#include <vector>

struct kre2_regex {
    RE2 *re;
    std::vector<std::string> names;   // index -> name ("" when unnamed)
};

extern "C" kre2_regex *kre2_new(const char *pattern, size_t len, int case_insensitive, char *err, size_t errlen) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_case_sensitive(!case_insensitive);
    opts.set_max_mem(64 << 20);
    RE2 *re = new RE2(re2::StringPiece(pattern, len), opts);
    if (!re->ok()) {
        if (err && errlen > 0) {
            std::strncpy(err, re->error().c_str(), errlen - 1);
            err[errlen - 1] = 0;
        }
        delete re;
        return nullptr;
    }
    kre2_regex *out = new kre2_regex;
    out->re = re;
    out->names.assign(re->NumberOfCapturingGroups() + 1, std::string());
    for (const auto &kv : re->CapturingGroupNames()) out->names[kv.first] = kv.second;
    return out;
}

extern "C" void kre2_free(kre2_regex *re) {
    if (!re) return;
    delete re->re;
    delete re;
}

static RE2::Anchor anchorOf(int a) {
    switch (a) {
        case KRE2_ANCHOR_START: return RE2::ANCHOR_START;
        case KRE2_ANCHOR_BOTH: return RE2::ANCHOR_BOTH;
        default: return RE2::UNANCHORED;
    }
}

extern "C" int kre2_match(const kre2_regex *re, const char *text, size_t len, int anchor) {
    re2::StringPiece sp(text ? text : "", len);
    return re->re->Match(sp, 0, len, anchorOf(anchor), nullptr, 0) ? 1 : 0;
}

extern "C" int kre2_find(const kre2_regex *re, const char *text, size_t len, size_t start,
                         size_t *match_start, size_t *match_end) {
    re2::StringPiece sp(text ? text : "", len);
    re2::StringPiece m;
    if (!re->re->Match(sp, start, len, RE2::UNANCHORED, &m, 1)) return 0;
    *match_start = (size_t)(m.data() - sp.data());
    *match_end = *match_start + m.size();
    return 1;
}

extern "C" int kre2_group_count(const kre2_regex *re) { return re->re->NumberOfCapturingGroups(); }

extern "C" const char *kre2_group_name(const kre2_regex *re, int index) {
    if (index < 0 || (size_t)index >= re->names.size() || re->names[index].empty()) return nullptr;
    return re->names[index].c_str();
}

extern "C" int kre2_captures(const kre2_regex *re, const char *text, size_t len,
                             size_t *starts, size_t *ends, int ngroups) {
    re2::StringPiece sp(text ? text : "", len);
    std::vector<re2::StringPiece> groups(ngroups + 1);
    if (!re->re->Match(sp, 0, len, RE2::UNANCHORED, groups.data(), ngroups + 1)) return 0;
    for (int i = 0; i <= ngroups; i++) {
        if (groups[i].data() == nullptr) { starts[i] = SIZE_MAX; ends[i] = SIZE_MAX; continue; }
        starts[i] = (size_t)(groups[i].data() - sp.data());
        ends[i] = starts[i] + groups[i].size();
    }
    return 1;
}

extern "C" long kre2_literal(const kre2_regex *re, char *out, size_t outlen) {
    // A pattern is a plain literal when quoting its text changes nothing that matters:
    // RE2 tells us by comparing it with its own quoted form.
    const std::string &p = re->re->pattern();
    if (RE2::QuoteMeta(p) != p) return -1;
    if (p.size() > outlen) return -1;
    std::memcpy(out, p.data(), p.size());
    return (long)p.size();
}
