import Glibc

/// Expands file globs the way Promtail's `__path__` does: `*`, `?` and `[...]` within one path
/// component (fnmatch rules, hidden files only when the pattern says so), and `**` for any
/// number of directories. Only regular files are returned, sorted.
public enum Glob {
    public static func expand(_ pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [String] = []
        walk(absolute ? "/" : ".", parts[...], &results, prefix: absolute ? "/" : "")
        return results.sorted()
    }

    /// Whether `path` matches `pattern` (used for `exclude`).
    public static func matches(_ pattern: String, path: String) -> Bool {
        let pp = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let cp = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return match(pp[...], cp[...])
    }

    static func hasMeta(_ s: String) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    private static func match(_ p: ArraySlice<String>, _ c: ArraySlice<String>) -> Bool {
        guard let first = p.first else { return c.isEmpty }
        if first == "**" {
            var rest = c
            while true {
                if match(p.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let name = c.first, fnmatch(first, name, FNM_PERIOD) == 0 else { return false }
        return match(p.dropFirst(), c.dropFirst())
    }

    private static func walk(_ dir: String, _ parts: ArraySlice<String>, _ out: inout [String], prefix: String) {
        guard let part = parts.first else { return }
        let rest = parts.dropFirst()
        func join(_ name: String) -> String { prefix.isEmpty || prefix.hasSuffix("/") ? prefix + name : prefix + "/" + name }
        func fsPath(_ name: String) -> String { dir == "/" ? "/" + name : dir + "/" + name }

        if part == "**" {
            walk(dir, rest, &out, prefix: prefix)  // zero directories
            for (name, isDir) in entries(dir) where isDir && !name.hasPrefix(".") {
                walk(fsPath(name), parts, &out, prefix: join(name))
            }
            return
        }
        if !hasMeta(part) {
            let path = fsPath(part)
            if rest.isEmpty {
                if case .success(let st) = FileStatus.of(path: path), st.isRegular { out.append(join(part)) }
            } else {
                walk(path, rest, &out, prefix: join(part))
            }
            return
        }
        for (name, isDir) in entries(dir) where fnmatch(part, name, FNM_PERIOD) == 0 {
            if rest.isEmpty {
                if case .success(let st) = FileStatus.of(path: fsPath(name)), st.isRegular { out.append(join(name)) }
            } else if isDir {
                walk(fsPath(name), rest, &out, prefix: join(name))
            }
        }
    }

    /// Directory entries with whether each is a directory (following symlinks).
    static func entries(_ dir: String) -> [(String, Bool)] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [(String, Bool)] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            var isDir = e.pointee.d_type == UInt8(DT_DIR)
            if e.pointee.d_type == UInt8(DT_LNK) || e.pointee.d_type == UInt8(DT_UNKNOWN) {
                var st = stat()
                let full = dir == "/" ? "/" + name : dir + "/" + name
                isDir = stat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }
            out.append((name, isDir))
        }
        return out
    }
}
