public import KansokuCore

extension MetricsRegistry {
    /// The registry rendered for a `/metrics` response: body and Content-Type, in the format
    /// the request's Accept header prefers (text 0.0.4 unless OpenMetrics is asked for).
    public func exposition(accept: String? = nil) -> (body: [UInt8], contentType: String) {
        let format = ContentNegotiation.responseFormat(accept: accept)
        return (TextExpositionWriter.write(gather(), format: format), format.contentType)
    }
}
