import KansokuCore

extension Parser {
    // MARK: Selectors

    mutating func parseSelector(name: String?, nameToken: Token, allowEmpty: Bool = false) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        if let name { matchers.append(try makeMatcher("__name__", .equal, name, at: nameToken.start)) }
        if peek.kind == .leftBrace {
            advance()
            while peek.kind != .rightBrace {
                if peek.kind == .eof { throw error("unexpected end of input inside braces", at: peek.start) }
                let t = advance()
                var labelName: String
                switch t.kind {
                case .identifier, .metricIdentifier, .keyword, .aggregator, .binary(.and), .binary(.or),
                     .binary(.unless), .binary(.atan2):
                    labelName = t.text
                case .number where t.text.lowercased() == "inf" || t.text.lowercased() == "nan":
                    labelName = t.text
                case .string:
                    labelName = t.text
                    if peek.kind == .comma || peek.kind == .rightBrace {
                        // A quoted name on its own selects the metric name.
                        matchers.append(try makeMatcher("__name__", .equal, t.text, at: t.start))
                        if peek.kind == .comma { advance() }
                        continue
                    }
                default:
                    throw unexpected(t, context: " in label matching, expected identifier or \"}\"")
                }
                let opTok = advance()
                let type: MatchType
                switch opTok.kind {
                case .assign: type = .equal
                case .binary(.neq): type = .notEqual
                case .eqlRegex: type = .regexMatch
                case .neqRegex: type = .regexNoMatch
                default: throw unexpected(opTok, context: " in label matching, expected label matching operator")
                }
                let v = advance()
                guard v.kind == .string else { throw unexpected(v, context: " in label matching, expected string") }
                matchers.append(try makeMatcher(labelName, type, v.text, at: t.start))
                if peek.kind == .comma {
                    advance()
                } else if peek.kind == .eof {
                    throw error("unexpected end of input inside braces", at: peek.start)
                } else if peek.kind != .rightBrace {
                    throw unexpected(peek, context: " in label matching, expected \",\" or \"}\"")
                }
            }
            advance()
        }
        let names = matchers.filter { $0.name == "__name__" && $0.type == .equal }
        if name != nil, names.count > 1 {
            throw error("metric name must not be set twice: \(goQuoted(name!)) or \(goQuoted(names[1].value))", at: nameToken.start)
        }
        if !allowEmpty, !matchers.contains(where: { !$0.matchesEmpty }) {
            throw error("vector selector must contain at least one non-empty matcher", at: nameToken.start)
        }
        var sel = VectorSelector(name: name ?? (names.count == 1 ? nil : nil), matchers: matchers)
        sel.name = name
        return sel
    }

    func makeMatcher(_ name: String, _ type: MatchType, _ value: String, at pos: Int) throws(PromQLError) -> LabelMatcher {
        do {
            return try LabelMatcher(name: name, type: type, value: value)
        } catch {
            throw self.error(error.description, at: pos)
        }
    }

    mutating func parseLabelList() throws(PromQLError) -> [String] {
        _ = try expect(.leftParen, " in grouping opts, expected \"(\"")
        var out: [String] = []
        while peek.kind != .rightParen {
            let t = advance()
            switch t.kind {
            case .identifier, .keyword, .aggregator, .string, .binary(.and), .binary(.or), .binary(.unless), .binary(.atan2):
                out.append(t.text)
            case .number where t.text.lowercased() == "inf" || t.text.lowercased() == "nan":
                out.append(t.text)
            default:
                throw unexpected(t, context: " in grouping opts, expected label")
            }
            if peek.kind == .comma {
                advance()
            } else if peek.kind != .rightParen {
                throw unexpected(peek, context: " in grouping opts, expected \",\" or \")\"")
            }
        }
        advance()
        return out
    }

    // MARK: Calls and aggregations

    mutating func parseCall(_ nameTok: Token) throws(PromQLError) -> PromQLExpr {
        guard let sig = PromQLFunctions.table[nameTok.text] else {
            throw error("unknown function with name \(goQuoted(nameTok.text))", at: nameTok.start)
        }
        _ = try expect(.leftParen, "")
        var args: [PromQLExpr] = []
        while peek.kind != .rightParen {
            if sig.name == "info", args.count == 1, peek.kind == .leftBrace {
                // info()'s data-label selector may consist of matchers that all match "".
                let t = peek
                args.append(.vectorSelector(try parseSelector(name: nil, nameToken: t, allowEmpty: true)))
            } else {
                args.append(try parseExpr(minPrecedence: 0))
            }
            if peek.kind == .comma {
                advance()
            } else if peek.kind != .rightParen {
                throw unexpected(peek, context: " in call to function \(goQuoted(sig.name)), expected \",\" or \")\"")
            }
        }
        advance()
        let n = sig.args.count
        if sig.variadic == 0 {
            if n != args.count {
                throw error("expected \(n) argument(s) in call to \(goQuoted(sig.name)), got \(args.count)", at: nameTok.start)
            }
        } else {
            if n - 1 > args.count {
                throw error("expected at least \(n - 1) argument(s) in call to \(goQuoted(sig.name)), got \(args.count)", at: nameTok.start)
            }
            if sig.variadic > 0, n - 1 + sig.variadic < args.count {
                throw error("expected at most \(n - 1 + sig.variadic) argument(s) in call to \(goQuoted(sig.name)), got \(args.count)", at: nameTok.start)
            }
        }
        for a in args {
            guard case .matrixSelector(let m) = a.unwrapped, let mod = m.selector.modifier else { continue }
            let allowed = mod == .smoothed ? ["delta", "increase", "rate"] : ["changes", "delta", "increase", "rate", "resets"]
            if !allowed.contains(sig.name) {
                throw error("\(mod.rawValue) modifier can only be used with: \(allowed.joined(separator: ", ")) - not with \(sig.name)", at: nameTok.start)
            }
        }
        for (k, a) in args.enumerated() {
            var idx = k
            if idx >= n {
                if sig.variadic != -1 { break }
                idx = n - 1
            }
            try expectType(a, sig.args[idx], "call to function \(goQuoted(sig.name))", at: nameTok.start)
        }
        return .call(FunctionCall(name: sig.name, args: args))
    }

    func expectType(_ e: PromQLExpr, _ want: PromQLValueType, _ context: String, at pos: Int) throws(PromQLError) {
        if e.type != want {
            throw error("expected type \(want.rawValue) in \(context), got \(e.type.rawValue)", at: pos)
        }
    }

    mutating func parseAggregate(_ op: AggregateOp, _ opTok: Token) throws(PromQLError) -> PromQLExpr {
        var grouping: [String] = []
        var without = false
        var hasGrouping = false
        func modifier(_ p: inout Parser) throws(PromQLError) -> Bool {
            if p.peek.kind == .keyword(.by) || p.peek.kind == .keyword(.without) {
                without = p.advance().kind == .keyword(.without)
                grouping = try p.parseLabelList()
                hasGrouping = true
                return true
            }
            return false
        }
        let before = try modifier(&self)
        guard peek.kind == .leftParen else { throw unexpected(peek, context: " in aggregation, expected \"(\"") }
        advance()
        var args: [PromQLExpr] = []
        while peek.kind != .rightParen {
            args.append(try parseExpr(minPrecedence: 0))
            if peek.kind == .comma {
                advance()
            } else if peek.kind != .rightParen {
                throw unexpected(peek, context: " in aggregation, expected \",\" or \")\"")
            }
        }
        advance()
        if !before { _ = try modifier(&self) }
        let want = op.hasParameter ? 2 : 1
        guard args.count == want else {
            if args.isEmpty { throw error("no arguments for aggregate expression provided", at: opTok.start) }
            throw error("wrong number of arguments for aggregate expression provided, expected \(want), got \(args.count)", at: opTok.start)
        }
        let expr = args[want - 1]
        try expectType(expr, .vector, "aggregation expression", at: opTok.start)
        var param: PromQLExpr?
        if op.hasParameter {
            param = args[0]
            try expectType(args[0], op == .countValues ? .string : .scalar, "aggregation parameter", at: opTok.start)
        }
        return .aggregate(AggregateExpr(op: op, expr: expr, param: param, grouping: grouping, without: without, hasGrouping: hasGrouping))
    }

    // MARK: Binary expressions

    func makeBinary(_ op: BinaryOp, _ lhs: PromQLExpr, _ rhs: PromQLExpr, returnBool: Bool, matching: VectorMatching,
                    at pos: Int) throws(PromQLError) -> PromQLExpr {
        var matching = matching
        let lt = lhs.type, rt = rhs.type
        if returnBool, !op.isComparison { throw error("bool modifier can only be used on comparison operators", at: pos) }
        if op.isComparison, !returnBool, lt == .scalar, rt == .scalar {
            throw error("comparisons between scalars must use BOOL modifier", at: pos)
        }
        if op.isSetOperator, matching.cardinality == .oneToOne { matching.cardinality = .manyToMany }
        if matching.on {
            for l in matching.matchingLabels where matching.include.contains(l) {
                throw error("label \(goQuoted(l)) must not occur in ON and GROUP clause at once", at: pos)
            }
        }
        guard lt == .scalar || lt == .vector, rt == .scalar || rt == .vector else {
            throw error("binary expression must contain only scalar and instant vector types", at: pos)
        }
        var m: VectorMatching? = matching
        if lt != .vector || rt != .vector {
            if !matching.matchingLabels.isEmpty { throw error("vector matching only allowed between instant vectors", at: pos) }
            m = nil
        } else if op.isSetOperator {
            if matching.cardinality == .oneToMany || matching.cardinality == .manyToOne {
                throw error("no grouping allowed for \(goQuoted(op.rawValue)) operation", at: pos)
            }
            if matching.fillLeft != nil || matching.fillRight != nil {
                throw error("filling in missing series is not supported for set operators", at: pos)
            }
        }
        if m == nil, matching.fillLeft != nil || matching.fillRight != nil {
            throw error("filling in missing series is only supported between instant vectors", at: pos)
        }
        if (lt == .scalar || rt == .scalar) && op.isSetOperator {
            throw error("set operator \(goQuoted(op.rawValue)) not allowed in binary scalar expression", at: pos)
        }
        return .binary(BinaryExpr(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: m, isScalar: lt == .scalar && rt == .scalar))
    }
}
