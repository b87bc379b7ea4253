public import KansokuCore

/// One node of the compiled routing tree: Alertmanager's `dispatch.Route`. Settings are
/// already inherited from the parents.
public struct Route: Sendable, Hashable {
    /// Position in the tree (`0`, `0/1`, …): tells apart sibling routes whose matchers are equal.
    public let id: String
    /// `{}` for the root, then parent keys joined by `/`: the left part of a group key.
    public let key: String
    public let receiver: String
    public let matchers: [LabelMatcher]
    /// Label names to group by; ignored when `groupByAll`.
    public let groupBy: Set<String>
    public let groupByAll: Bool
    public let groupWait: Duration
    public let groupInterval: Duration
    public let repeatInterval: Duration
    public let `continue`: Bool
    public let children: [Route]

    /// The routes an alert with `labels` is delivered through, in tree order: the deepest
    /// matching nodes, stopping at the first matching child unless it has `continue`.
    public func match(_ labels: Labels) -> [Route] {
        guard matchers.matches(labels) else { return [] }
        var all: [Route] = []
        for child in children {
            let found = child.match(labels)
            all += found
            if !found.isEmpty && !child.continue { break }
        }
        return all.isEmpty ? [self] : all
    }

    /// The group labels of an alert on this route: the `group_by` labels it has, or all.
    public func groupLabels(of labels: Labels) -> Labels {
        groupByAll ? labels : labels.keeping(groupBy)
    }

    /// Alertmanager's group key: `<route key>:<group labels>`, e.g. `{}:{alertname="x"}`.
    public func groupKey(groupLabels: Labels) -> String { "\(key):\(groupLabels.description)" }

    /// Compiles a configured tree, checking receivers and matchers.
    public static func compile(_ config: RouteConfig, receivers: Set<String>) throws(NotifyConfigError) -> Route {
        guard config.receiver != nil else { throw .rootRouteWithoutReceiver }
        guard config.matchers.isEmpty, config.match.isEmpty, config.matchRE.isEmpty else { throw .rootRouteWithMatchers }
        let defaults = Inherited(
            receiver: "", groupBy: [], groupWait: .seconds(30), groupInterval: .seconds(300),
            repeatInterval: .seconds(4 * 3600))
        return try compile(config, parent: defaults, parentKey: nil, id: "0", receivers: receivers)
    }

    private struct Inherited {
        var receiver: String
        var groupBy: [String]
        var groupWait: Duration
        var groupInterval: Duration
        var repeatInterval: Duration
    }

    private static func compile(
        _ c: RouteConfig, parent: Inherited, parentKey: String?, id: String, receivers: Set<String>
    ) throws(NotifyConfigError) -> Route {
        var mine = parent
        if let r = c.receiver { mine.receiver = r }
        guard receivers.contains(mine.receiver) else { throw .unknownReceiver(mine.receiver) }
        if let g = c.groupBy { mine.groupBy = g }
        if let d = c.groupWait { mine.groupWait = .milliseconds(d.milliseconds) }
        if let d = c.groupInterval {
            guard d.milliseconds > 0 else { throw .zeroInterval("group_interval") }
            mine.groupInterval = .milliseconds(d.milliseconds)
        }
        if let d = c.repeatInterval {
            guard d.milliseconds > 0 else { throw .zeroInterval("repeat_interval") }
            mine.repeatInterval = .milliseconds(d.milliseconds)
        }
        let all = mine.groupBy.contains("...")
        if all && mine.groupBy.count > 1 { throw .groupByAllMixed(mine.groupBy) }

        var matchers: [LabelMatcher] = []
        for text in c.matchers { matchers.append(try RouteMatcherParser.parse(text)) }
        for (name, value) in c.match {
            do { matchers.append(try LabelMatcher(name: name, type: .equal, value: value)) } catch {
                throw .invalidMatcher("\(name)=\(value)", reason: "\(error)")
            }
        }
        for (name, value) in c.matchRE {
            do { matchers.append(try LabelMatcher(name: name, type: .regexMatch, value: value)) } catch {
                throw .invalidMatcher("\(name)=~\(value)", reason: "invalid regular expression: \(error)")
            }
        }
        matchers.sort(by: alertmanagerMatcherOrder)
        let matcherText = "{" + matchers.map(alertmanagerText).joined(separator: ",") + "}"
        let key = parentKey.map { "\($0)/\(matcherText)" } ?? matcherText

        var children: [Route] = []
        for (i, child) in c.routes.enumerated() {
            children.append(try compile(child, parent: mine, parentKey: key, id: "\(id)/\(i)", receivers: receivers))
        }
        return Route(
            id: id, key: key, receiver: mine.receiver, matchers: matchers,
            groupBy: all ? [] : Set(mine.groupBy), groupByAll: all, groupWait: mine.groupWait,
            groupInterval: mine.groupInterval, repeatInterval: mine.repeatInterval,
            continue: c.continue, children: children)
    }

    /// Alertmanager sorts a route's matchers (by name, then value, then operator) before
    /// printing them into the route key.
    private static func alertmanagerMatcherOrder(_ a: LabelMatcher, _ b: LabelMatcher) -> Bool {
        if a.name != b.name { return a.name < b.name }
        if a.value != b.value { return a.value < b.value }
        let order: [MatchType] = [.equal, .notEqual, .regexMatch, .regexNoMatch]
        return order.firstIndex(of: a.type)! < order.firstIndex(of: b.type)!
    }

    /// Alertmanager's `Matcher.String()`: the value in double quotes with only `\\`, `"` and
    /// newlines escaped (OpenMetrics style); the name quoted only when it needs to be.
    static func alertmanagerText(_ m: LabelMatcher) -> String {
        var value = ""
        for ch in m.value.unicodeScalars {
            switch ch {
            case "\\": value += "\\\\"
            case "\n": value += "\\n"
            case "\"": value += "\\\""
            default: value.unicodeScalars.append(ch)
            }
        }
        let reserved = m.name.unicodeScalars.contains { ch in
            ch.properties.isWhitespace || "{}!=~,\\\"'`".unicodeScalars.contains(ch)
        }
        let name = reserved ? goQuoted(m.name) : m.name
        return name + m.type.rawValue + "\"" + value + "\""
    }

    /// Every node, depth first.
    public var allRoutes: [Route] { [self] + children.flatMap(\.allRoutes) }
}
