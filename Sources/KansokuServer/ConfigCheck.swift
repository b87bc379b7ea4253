import KansokuCore
import KansokuRules

extension KansokuConfig {
    /// What `kansoku server` would refuse at startup, found without starting anything:
    /// settings out of range and every problem of the rule files `rules.files` names. Keys and
    /// value types were already checked when the file was read (`load(path:)`).
    public func problems() -> [String] {
        var out: [String] = []
        do { _ = try server.hostAndPort() } catch { out.append(error.description) }
        do { _ = try storage.retentionDuration() } catch { out.append(error.description) }
        do { _ = try storage.chunkBlockBytes() } catch { out.append(error.description) }
        if !["batch", "always", "never"].contains(storage.fsync) {
            out.append(ConfigError.invalid(key: "storage.fsync", reason: "expected batch, always or never, got \"\(storage.fsync)\"").description)
        }
        if PromDuration(rules.interval).map({ $0.milliseconds <= 0 }) ?? true {
            out.append(ConfigError.invalid(key: "rules.interval", reason: "expected a duration such as 30s, got \"\(rules.interval)\"").description)
        }
        if !RuleFiles.expand(rules.files).isEmpty {
            do throws(SpecError) { _ = try RuleFiles.load(rules.files) } catch { out += error.issues.map(\.description) }
        }
        return out
    }
}
