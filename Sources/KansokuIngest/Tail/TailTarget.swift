import KansokuCore

/// A `logs.targets` entry prepared for tailing: validated globs, labels and a compiled pipeline.
struct TailTarget: Sendable {
    var paths: [String]
    var exclude: [String]
    var labels: Labels
    var pipeline: Pipeline

    init(_ config: LogTargetConfig) throws(PipelineConfigError) {
        paths = config.paths ?? []
        exclude = config.exclude ?? []
        for p in paths + exclude where p.isEmpty {
            throw .invalidGlob(p, reason: "empty path")
        }
        var labels: [Label] = []
        for (name, value) in config.labels ?? [:] {
            guard LabelSetText.isValidName(name) else { throw .invalidLabelName(stage: -1, name) }
            labels.append(Label(name: name, value: value))
        }
        self.labels = Labels(labels)
        pipeline = try Pipeline(config.pipeline ?? [])
    }

    /// The stream labels of a file before any stage: the target's labels plus `filename`.
    func baseLabels(path: String) -> Labels { labels.setting("filename", to: path) }

    func excludes(_ path: String) -> Bool { exclude.contains { Glob.matches($0, path: path) } }
}
