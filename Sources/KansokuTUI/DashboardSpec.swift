import Foundation
public import KansokuCore

/// A dashboard file (`dashboards/*.yaml`): panels stacked top to bottom.
public struct DashboardSpec: Decodable, Sendable, Equatable {
    public enum PanelType: String, Decodable, Sendable {
        case sloTable = "slo_table", alerts, timeseries, stat, logs, labels
    }

    public struct Panel: Decodable, Sendable, Equatable {
        public var type: PanelType
        public var title: String?
        /// PromQL for timeseries/stat; LogQL for logs (and timeseries with `language: logql`).
        public var query: String?
        public var language: String?
        public var unit: String?
        /// Rows the panel takes; panels without one share what is left.
        public var height: Int?
    }

    public struct Variable: Decodable, Sendable, Equatable {
        public var name: String
        /// `label_values(<label>)` source: the label whose values are offered.
        public var label: String
        public var value: String?
    }

    public var title: String
    public var refresh: String?
    public var range: String?
    public var variables: [Variable]?
    public var panels: [Panel]

    public var refreshDuration: PromDuration { refresh.flatMap { PromDuration($0) } ?? PromDuration(milliseconds: 10_000) }
    public var rangeDuration: PromDuration { range.flatMap { PromDuration($0) } ?? PromDuration(milliseconds: 3_600_000) }

    /// Reads a dashboard; a key no panel or setting reads is an error naming where it is
    /// (`UnknownYAMLKeys`), since a misspelt `query` would otherwise leave a panel empty.
    public static func parse(_ yaml: String, file: String = "dashboard") throws -> DashboardSpec {
        try StrictYAMLDecoder.decode(DashboardSpec.self, from: yaml, file: file)
    }
}
