import KansokuCore

// The log half of the grammar: selectors, pipelines, label filters, log ranges.
extension ParserState {
    mutating func parseSelectorMatchers() throws(LogQLError) -> [LabelMatcher] {
        _ = try expect(.openBrace)
        var out: [LabelMatcher] = []
        if try accept(.closeBrace) { return out }
        while true {
            out.append(try parseMatcher())
            let t = try current()
            if t.kind == .closeBrace { _ = advance(); return out }
            guard t.kind == .comma else { throw unexpected(expecting: ["}", ","]) }
            _ = advance()
        }
    }

    mutating func parseMatcher() throws(LogQLError) -> LabelMatcher {
        let name = try current()
        guard name.kind == .identifier || TokenKind.keywords[name.text.lowercased()] != nil || TokenKind.functions[name.text.lowercased()] != nil,
              Lexer.isIdentStart(name.text.utf8.first ?? 0) else {
            throw unexpected(expecting: ["IDENTIFIER"])
        }
        _ = advance()
        let opTok = try current()
        let type: MatchType
        switch opTok.kind {
        case .eq: type = .equal
        case .neq: type = .notEqual
        case .re: type = .regexMatch
        case .nre: type = .regexNoMatch
        default: throw unexpected(expecting: ["=", "!=", "=~", "!~"])
        }
        _ = advance()
        let v = try expect(.string, expecting: ["STRING"])
        return try makeMatcher(name.text, type, v.text)
    }

    func makeMatcher(_ name: String, _ type: MatchType, _ value: String) throws(LogQLError) -> LabelMatcher {
        do {
            return try LabelMatcher(name: name, type: type, value: value)
        } catch {
            throw .validation(RegexMessages.goStyle(error, pattern: value))
        }
    }

    mutating func parseLogSelector() throws(LogQLError) -> LogSelectorExpr {
        let matchers = try parseSelectorMatchers()
        return LogSelectorExpr(matchers: matchers, stages: try parseStages())
    }

    static func isLineFilterOp(_ k: TokenKind) -> LineFilterOp? {
        switch k {
        case .pipeExact: return .contains
        case .neq: return .notContains
        case .pipeMatch: return .regex
        case .nre: return .notRegex
        case .pipePattern: return .pattern
        case .npa: return .notPattern
        default: return nil
        }
    }

    /// Pipeline stages until something that is not a stage (`| unwrap`, a range, `)`, …).
    mutating func parseStages() throws(LogQLError) -> [PipelineStage] {
        var stages: [PipelineStage] = []
        while true {
            let t = try current()
            if let op = Self.isLineFilterOp(t.kind) {
                _ = advance()
                stages.append(contentsOf: try parseLineFilter(op))
                continue
            }
            guard t.kind == .pipe, peekKind() != .unwrap else { return stages }
            _ = advance()
            stages.append(try parseStage())
        }
    }

    mutating func parseLineFilterValue() throws(LogQLError) -> LineFilterValue {
        let t = try current()
        if t.kind == .string { _ = advance(); return .string(t.text) }
        if t.kind == .ip {
            _ = advance()
            _ = try expect(.openParen)
            let s = try expect(.string, expecting: ["STRING"])
            _ = try expect(.closeParen)
            return .ip(s.text)
        }
        throw unexpected(expecting: ["STRING", "ip"])
    }

    mutating func parseLineFilter(_ op: LineFilterOp) throws(LogQLError) -> [PipelineStage] {
        var values = [try parseLineFilterValue()]
        while try current().kind == .or, peekKind() == .string || peekKind() == .ip {
            _ = advance()
            values.append(try parseLineFilterValue())
        }
        for v in values { try Validation.checkLineFilter(op, v) }
        // A negated alternative means "none of them": Loki rewrites it as a chain.
        if op.negated { return values.map { .lineFilter(LineFilterExpr(op: op, values: [$0])) } }
        return [.lineFilter(LineFilterExpr(op: op, values: values))]
    }

    mutating func parseExtractions() throws(LogQLError) -> [LabelExtraction] {
        var out: [LabelExtraction] = []
        while isName(try current()) {
            let name = advance().text
            if try accept(.eq) {
                out.append(LabelExtraction(name: name, expression: try expect(.string, expecting: ["STRING"]).text))
            } else {
                out.append(LabelExtraction(name: name, expression: nil))
            }
            if !(try accept(.comma)) { break }
        }
        return out
    }

    mutating func parseStage() throws(LogQLError) -> PipelineStage {
        let t = try current()
        switch t.kind {
        case .json:
            _ = advance()
            return .parser(.json(params: try parseExtractions()))
        case .logfmt:
            _ = advance()
            var strict = false, keepEmpty = false
            while try current().kind == .functionFlag {
                let f = advance()
                switch f.text {
                case "--strict": strict = true
                case "--keep-empty": keepEmpty = true
                default: throw .parse(message: "syntax error: unexpected flag \(f.text)", line: f.line, column: f.column)
                }
            }
            return .parser(.logfmt(strict: strict, keepEmpty: keepEmpty, params: try parseExtractions()))
        case .regexp:
            _ = advance()
            let s = try expect(.string, expecting: ["STRING"])
            try Validation.checkRegexpParser(s.text)
            return .parser(.regexp(s.text))
        case .pattern:
            _ = advance()
            let s = try expect(.string, expecting: ["STRING"])
            do { _ = try PatternMatcher(s.text, forLineFilter: false) } catch { throw .validation(error.message) }
            return .parser(.pattern(s.text))
        case .unpack:
            _ = advance()
            return .parser(.unpack)
        case .lineFormat:
            _ = advance()
            return .lineFormat(try expect(.string, expecting: ["STRING"]).text)
        case .labelFormat:
            _ = advance()
            var items: [LabelFormatItem] = []
            repeat {
                let name = try expectName().text
                _ = try expect(.eq)
                let v = try current()
                if v.kind == .string {
                    items.append(LabelFormatItem(name: name, source: advance().text, isTemplate: true))
                } else if isName(v) {
                    items.append(LabelFormatItem(name: name, source: advance().text, isTemplate: false))
                } else {
                    throw unexpected(expecting: ["STRING", "IDENTIFIER"])
                }
            } while try accept(.comma)
            return .labelFormat(items)
        case .decolorize:
            _ = advance()
            return .decolorize
        case .drop, .keep:
            _ = advance()
            var items: [NamedLabelMatcher] = []
            repeat {
                let name = try expectName().text
                let k = try current().kind
                if k == .eq || k == .neq || k == .re || k == .nre {
                    _ = advance()
                    let v = try expect(.string, expecting: ["STRING"]).text
                    let type: MatchType = k == .eq ? .equal : k == .neq ? .notEqual : k == .re ? .regexMatch : .regexNoMatch
                    items.append(NamedLabelMatcher(name: name, matcher: try makeMatcher(name, type, v)))
                } else {
                    items.append(NamedLabelMatcher(name: name, matcher: nil))
                }
            } while try accept(.comma)
            return t.kind == .drop ? .drop(items) : .keep(items)
        case .identifier where isName(t), .openParen:
            return .labelFilter(try parseLabelFilterOr())
        default:
            throw unexpected()
        }
    }

    // MARK: - label filters

    mutating func parseLabelFilterOr() throws(LogQLError) -> LabelFilterExpr {
        try nest()
        var links = 1
        defer { depth -= links }
        var l = try parseLabelFilterAnd()
        while try current().kind == .or {
            try nest()
            links += 1
            _ = advance()
            l = .or(l, try parseLabelFilterAnd())
        }
        return l
    }

    mutating func parseLabelFilterAnd() throws(LogQLError) -> LabelFilterExpr {
        try nest()
        var links = 1
        defer { depth -= links }
        var l = try parseLabelFilterPrimary()
        while true {
            let k = try current().kind
            if k == .and || k == .comma {
                _ = advance()
            } else if !(k == .identifier || k == .openParen) {
                return l
            }
            try nest()
            links += 1
            l = .and(l, try parseLabelFilterPrimary())
        }
    }

    mutating func parseLabelFilterPrimary() throws(LogQLError) -> LabelFilterExpr {
        let t = try current()
        if t.kind == .openParen {
            _ = advance()
            let inner = try parseLabelFilterOr()
            _ = try expect(.closeParen)
            return inner
        }
        guard isName(t) else { throw unexpected() }
        let name = advance().text
        let opTok = try current()
        let valueTok = peekKind()
        switch opTok.kind {
        case .eq, .neq, .re, .nre:
            if valueTok == .string {
                _ = advance()
                let v = advance().text
                let type: MatchType = opTok.kind == .eq ? .equal : opTok.kind == .neq ? .notEqual : opTok.kind == .re ? .regexMatch : .regexNoMatch
                return .string(try makeMatcher(name, type, v))
            }
            if valueTok == .ip, opTok.kind == .eq || opTok.kind == .neq {
                _ = advance(); _ = advance()
                _ = try expect(.openParen)
                let s = try expect(.string, expecting: ["STRING"]).text
                _ = try expect(.closeParen)
                return .ip(name: name, negated: opTok.kind == .neq, pattern: s)
            }
            if opTok.kind == .re || opTok.kind == .nre { _ = advance(); throw unexpected(expecting: ["STRING"]) }
            fallthrough
        case .cmpEq, .gt, .gte, .lt, .lte:
            let op: ComparisonOp
            switch opTok.kind {
            case .eq, .cmpEq: op = .eq
            case .neq: op = .neq
            case .gt: op = .gt
            case .gte: op = .gte
            case .lt: op = .lt
            default: op = .lte
            }
            _ = advance()
            let v = try current()
            switch v.kind {
            case .duration:
                _ = advance()
                return .duration(name: name, op: op, nanoseconds: v.duration)
            case .bytes:
                _ = advance()
                return .bytes(name: name, op: op, value: v.bytes)
            case .number:
                _ = advance()
                return .number(name: name, op: op, value: try parseNumber(v))
            case .add, .sub:
                if peekKind() == .number {
                    _ = advance()
                    let n = try parseNumber(advance())
                    return .number(name: name, op: op, value: v.kind == .sub ? -n : n)
                }
                throw unexpected()
            default:
                throw unexpected()
            }
        default:
            throw unexpected()
        }
    }

    // MARK: - log ranges

    mutating func parseUnwrap() throws(LogQLError) -> UnwrapExpr {
        _ = try expect(.pipe)
        _ = try expect(.unwrap)
        let t = try current()
        var conv = UnwrapConversion.none
        let label: String
        switch t.kind {
        case .identifier:
            label = advance().text
        case .bytesConv, .durationConv, .durationSecondsConv:
            conv = t.kind == .bytesConv ? .bytes : t.kind == .durationConv ? .duration : .durationSeconds
            _ = advance()
            _ = try expect(.openParen)
            label = try expect(.identifier, expecting: ["IDENTIFIER"]).text
            _ = try expect(.closeParen)
        default:
            throw unexpected()
        }
        var post: [LabelFilterExpr] = []
        while try current().kind == .pipe, peekKind() == .identifier || peekKind() == .openParen {
            _ = advance()
            post.append(try parseLabelFilterOr())
        }
        return UnwrapExpr(label: label, conversion: conv, postFilters: post)
    }

    /// The argument of a range aggregation, in all the shapes Loki accepts:
    /// `{…} | p [5m]`, `{…}[5m] | p`, `({…} | p)[5m]`, with unwrap and offset.
    mutating func parseLogRange() throws(LogQLError) -> LogRangeExpr {
        var r = try parseLogRangeOrLog()
        if r.range < 0 { throw unexpected(expecting: ["RANGE"]) }
        r.offset = try parseOffset()
        return r
    }

    /// A selector with stages and, if present, its range (range < 0 when absent).
    mutating func parseLogRangeOrLog() throws(LogQLError) -> LogRangeExpr {
        if try current().kind == .openParen {
            try nest()
            defer { depth -= 1 }
            _ = advance()
            var inner = try parseLogRangeOrLog()
            _ = try expect(.closeParen)
            if inner.range < 0, try current().kind == .range { inner.range = advance().duration }
            return inner
        }
        let matchers = try parseSelectorMatchers()
        var stages = try parseStages()
        var unwrap: UnwrapExpr?
        if try current().kind == .pipe, peekKind() == .unwrap { unwrap = try parseUnwrap() }
        var range: Int64 = -1
        if try current().kind == .range {
            range = advance().duration
            if stages.isEmpty, unwrap == nil {
                stages = try parseStages()
                if try current().kind == .pipe, peekKind() == .unwrap { unwrap = try parseUnwrap() }
            } else if unwrap == nil, try current().kind == .pipe, peekKind() == .unwrap {
                unwrap = try parseUnwrap()
            }
        }
        return LogRangeExpr(selector: LogSelectorExpr(matchers: matchers, stages: stages), range: range, offset: 0, unwrap: unwrap)
    }

    mutating func parseOffset() throws(LogQLError) -> Int64 {
        guard try accept(.offset) else { return 0 }
        return try expect(.duration, expecting: ["DURATION"]).duration
    }
}
