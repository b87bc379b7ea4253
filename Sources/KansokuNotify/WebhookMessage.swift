public import KansokuCore

/// Builds the body Alertmanager's webhook integration posts (payload `version` "4"):
/// the template data (receiver, status, alerts, groupLabels, commonLabels,
/// commonAnnotations, externalURL) followed by version, groupKey and truncatedAlerts,
/// field for field and byte for byte as Go encodes it.
public enum WebhookMessage {
    /// Go's zero `time.Time`, which Alertmanager shows as `endsAt` of firing alerts.
    public static let zeroTime = "0001-01-01T00:00:00Z"

    /// The JSON body for `alerts` (already in notification order, firing alerts' `endsAt`
    /// hidden by the caller or here). `maxAlerts` 0 keeps all alerts.
    public static func encode(
        receiver: String, groupKey: String, groupLabels: Labels, alerts: [NotifyAlert],
        externalURL: String, maxAlerts: Int, now: UnixNanos
    ) -> [UInt8] {
        let kept = maxAlerts > 0 && alerts.count > maxAlerts ? Array(alerts.prefix(maxAlerts)) : alerts
        let truncated = alerts.count - kept.count
        let anyFiring = kept.contains { !$0.isResolved(at: now) }

        var w = GoJSONWriter()
        w.beginObject()
        w.key("receiver"); w.string(quoteMeta(receiver))
        w.key("status"); w.string(anyFiring ? "firing" : "resolved")
        w.key("alerts")
        w.beginArray()
        for a in kept {
            let resolved = a.isResolved(at: now)
            w.beginObject()
            w.key("status"); w.string(resolved ? "resolved" : "firing")
            w.key("labels"); w.stringMap(a.labels.map { ($0.name, $0.value) })
            w.key("annotations"); w.stringMap(a.annotations.map { ($0.key, $0.value) })
            w.key("startsAt"); w.string(TimeFormatter.rfc3339Nano(a.startsAt))
            w.key("endsAt"); w.string(resolved ? TimeFormatter.rfc3339Nano(a.endsAt ?? now) : zeroTime)
            w.key("generatorURL"); w.string(a.generatorURL)
            w.key("fingerprint"); w.string(a.fingerprint.description)
            w.endObject()
        }
        w.endArray()
        w.key("groupLabels"); w.stringMap(groupLabels.map { ($0.name, $0.value) })
        let (commonLabels, commonAnnotations) = common(kept)
        w.key("commonLabels"); w.stringMap(commonLabels)
        w.key("commonAnnotations"); w.stringMap(commonAnnotations)
        w.key("externalURL"); w.string(externalURL)
        w.key("version"); w.string("4")
        w.key("groupKey"); w.string(groupKey)
        w.key("truncatedAlerts"); w.integer(truncated)
        w.endObject()
        w.finishLine()
        return w.bytes
    }

    /// Labels and annotations equal across all alerts (Alertmanager's intersection).
    static func common(_ alerts: [NotifyAlert]) -> ([(String, String)], [(String, String)]) {
        guard var labels = alerts.first.map({ Dictionary(uniqueKeysWithValues: $0.labels.map { ($0.name, $0.value) }) }),
            var annotations = alerts.first?.annotations
        else { return ([], []) }
        for a in alerts.dropFirst() {
            if labels.isEmpty && annotations.isEmpty { break }
            labels = labels.filter { a.labels[$0.key] == $0.value }
            annotations = annotations.filter { a.annotations[$0.key] == $0.value }
        }
        return (labels.map { ($0.key, $0.value) }, annotations.map { ($0.key, $0.value) })
    }

    /// Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver name.
    static func quoteMeta(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            if "\\.+*?()|[]{}^$".unicodeScalars.contains(ch) { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        return out
    }
}

/// Builds the body of `POST /api/v2/alerts`: an array of postable alerts.
public enum PostableAlerts {
    /// Firing alerts get `endsAt` at least `validFor` past `now`, so Alertmanager keeps them
    /// active until the next resend (as Prometheus does with 4 × resend delay); resolved
    /// alerts carry the time they resolved.
    public static func encode(_ alerts: [NotifyAlert], now: UnixNanos, validFor: Duration) -> [UInt8] {
        let validNanos = validFor.components.seconds * 1_000_000_000 + validFor.components.attoseconds / 1_000_000_000
        var w = GoJSONWriter()
        w.beginArray()
        for a in alerts {
            let resolved = a.isResolved(at: now)
            let endsAt = resolved ? (a.endsAt ?? now) : max(a.endsAt ?? 0, now + validNanos)
            w.beginObject()
            w.key("labels"); w.stringMap(a.labels.map { ($0.name, $0.value) })
            w.key("annotations"); w.stringMap(a.annotations.map { ($0.key, $0.value) })
            w.key("startsAt"); w.string(TimeFormatter.rfc3339Nano(a.startsAt))
            w.key("endsAt"); w.string(TimeFormatter.rfc3339Nano(endsAt))
            if !a.generatorURL.isEmpty { w.key("generatorURL"); w.string(a.generatorURL) }
            w.endObject()
        }
        w.endArray()
        w.finishLine()
        return w.bytes
    }
}
