enum MetricsBench { static func run(arguments: [String]) async throws {} }
