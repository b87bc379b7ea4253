import KansokuCore
public import KansokuIngest

extension RemoteWriteQueue {
    /// Sends the scrapes' metric metadata every `metadata_config.send_interval`, as
    /// Prometheus 2.42's metadata watcher does: requests holding metadata only, at most
    /// `max_samples_per_send` entries each, the first one interval after start. A send that
    /// cannot be delivered is retried like a sample batch, so a long outage holds the next
    /// interval back instead of piling requests up. Runs until cancelled.
    public func runMetadata(_ source: @escaping @Sendable () -> [RemoteWriteMetadata]) async {
        let m = config.metadata
        guard m.send else { return }
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(m.sendInterval.milliseconds))
                try await sendMetadata(source())
            } catch {
                return
            }
        }
    }

    func sendMetadata(_ all: [RemoteWriteMetadata]) async throws {
        var i = 0
        while i < all.count {
            let batch = all[i..<min(i + config.metadata.maxSamplesPerSend, all.count)]
            i += batch.count
            let body = RemoteWriteCodec.encode([RemoteWriteSeries](), metadata: Array(batch))
            metrics.metadataTotal.inc(Double(batch.count))
            _ = try await deliver(body, count: batch.count, what: "metadata", bytes: metrics.metadataBytes,
                                  retried: metrics.metadataRetried, failed: metrics.metadataFailed)
        }
    }
}
