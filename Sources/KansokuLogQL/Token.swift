/// The terminal symbols of LogQL, named as Loki's grammar names them (so token streams can
/// be compared with Loki's own lexer tests).
public enum TokenKind: String, Sendable, Hashable {
    case eof = "$end"
    case identifier = "IDENTIFIER", string = "STRING", number = "NUMBER"
    case duration = "DURATION", bytes = "BYTES", range = "RANGE", functionFlag = "FUNCTION_FLAG"
    case openBrace = "OPEN_BRACE", closeBrace = "CLOSE_BRACE"
    case openParen = "OPEN_PARENTHESIS", closeParen = "CLOSE_PARENTHESIS"
    case comma = "COMMA", dot = "DOT"
    case eq = "EQ", neq = "NEQ", re = "RE", nre = "NRE"
    case pipeExact = "PIPE_EXACT", pipeMatch = "PIPE_MATCH", pipePattern = "PIPE_PATTERN", npa = "NPA"
    case pipe = "PIPE"
    case cmpEq = "CMP_EQ", gt = "GT", gte = "GTE", lt = "LT", lte = "LTE"
    case add = "ADD", sub = "SUB", mul = "MUL", div = "DIV", mod = "MOD", pow = "POW"
    case or = "OR", and = "AND", unless = "UNLESS"
    case by = "BY", without = "WITHOUT", bool = "BOOL", on = "ON", ignoring = "IGNORING"
    case groupLeft = "GROUP_LEFT", groupRight = "GROUP_RIGHT", offset = "OFFSET"
    case json = "JSON", regexp = "REGEXP", logfmt = "LOGFMT", unpack = "UNPACK", pattern = "PATTERN"
    case lineFormat = "LINE_FMT", labelFormat = "LABEL_FMT", unwrap = "UNWRAP", decolorize = "DECOLORIZE"
    case drop = "DROP", keep = "KEEP"
    // function tokens: only when followed by `(` (or by/without for aggregations)
    case countOverTime = "COUNT_OVER_TIME", rate = "RATE", rateCounter = "RATE_COUNTER"
    case bytesOverTime = "BYTES_OVER_TIME", bytesRate = "BYTES_RATE"
    case avgOverTime = "AVG_OVER_TIME", sumOverTime = "SUM_OVER_TIME", minOverTime = "MIN_OVER_TIME"
    case maxOverTime = "MAX_OVER_TIME", stddevOverTime = "STDDEV_OVER_TIME", stdvarOverTime = "STDVAR_OVER_TIME"
    case quantileOverTime = "QUANTILE_OVER_TIME", firstOverTime = "FIRST_OVER_TIME", lastOverTime = "LAST_OVER_TIME"
    case absentOverTime = "ABSENT_OVER_TIME"
    case sum = "SUM", avg = "AVG", count = "COUNT", max = "MAX", min = "MIN", stddev = "STDDEV", stdvar = "STDVAR"
    case bottomk = "BOTTOMK", topk = "TOPK", sort = "SORT", sortDesc = "SORT_DESC", approxTopk = "APPROX_TOPK"
    case bytesConv = "BYTES_CONV", durationConv = "DURATION_CONV", durationSecondsConv = "DURATION_SECONDS_CONV"
    case labelReplace = "LABEL_REPLACE", vector = "VECTOR", ip = "IP"

    /// How a syntax error names the token (Loki's grammar spells a few by their text).
    var displayName: String {
        switch self {
        case .openBrace: return "{"
        case .closeBrace: return "}"
        case .openParen: return "("
        case .closeParen: return ")"
        case .comma: return ","
        case .ip: return "ip"
        case .bool: return "bool"
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .mod: return "%"
        case .pow: return "^"
        default: return rawValue
        }
    }

    /// Keywords recognised anywhere (case-insensitive).
    static let keywords: [String: TokenKind] = [
        "by": .by, "without": .without, "bool": .bool, "on": .on, "ignoring": .ignoring,
        "group_left": .groupLeft, "group_right": .groupRight, "offset": .offset,
        "json": .json, "regexp": .regexp, "logfmt": .logfmt, "unpack": .unpack, "pattern": .pattern,
        "line_format": .lineFormat, "label_format": .labelFormat, "unwrap": .unwrap,
        "decolorize": .decolorize, "drop": .drop, "keep": .keep,
        "or": .or, "and": .and, "unless": .unless,
    ]

    /// Function names: tokens only when a `(` (or a grouping) follows, identifiers otherwise.
    static let functions: [String: TokenKind] = [
        "count_over_time": .countOverTime, "rate": .rate, "rate_counter": .rateCounter,
        "bytes_over_time": .bytesOverTime, "bytes_rate": .bytesRate,
        "avg_over_time": .avgOverTime, "sum_over_time": .sumOverTime, "min_over_time": .minOverTime,
        "max_over_time": .maxOverTime, "stddev_over_time": .stddevOverTime, "stdvar_over_time": .stdvarOverTime,
        "quantile_over_time": .quantileOverTime, "first_over_time": .firstOverTime,
        "last_over_time": .lastOverTime, "absent_over_time": .absentOverTime,
        "sum": .sum, "avg": .avg, "count": .count, "max": .max, "min": .min, "stddev": .stddev,
        "stdvar": .stdvar, "bottomk": .bottomk, "topk": .topk, "sort": .sort, "sort_desc": .sortDesc,
        "approx_topk": .approxTopk,
        "bytes": .bytesConv, "duration": .durationConv, "duration_seconds": .durationSecondsConv,
        "label_replace": .labelReplace, "vector": .vector, "ip": .ip,
    ]

    /// Two-character operators, then one-character ones.
    static let operators2: [String: TokenKind] = [
        "!=": .neq, "=~": .re, "!~": .nre, "|=": .pipeExact, "|~": .pipeMatch, "|>": .pipePattern,
        "!>": .npa, "==": .cmpEq, ">=": .gte, "<=": .lte,
    ]
    static let operators1: [UInt8: TokenKind] = [
        UInt8(ascii: "{"): .openBrace, UInt8(ascii: "}"): .closeBrace, UInt8(ascii: "("): .openParen,
        UInt8(ascii: ")"): .closeParen, UInt8(ascii: ","): .comma, UInt8(ascii: "."): .dot,
        UInt8(ascii: "="): .eq, UInt8(ascii: "|"): .pipe, UInt8(ascii: ">"): .gt, UInt8(ascii: "<"): .lt,
        UInt8(ascii: "+"): .add, UInt8(ascii: "-"): .sub, UInt8(ascii: "*"): .mul, UInt8(ascii: "/"): .div,
        UInt8(ascii: "%"): .mod, UInt8(ascii: "^"): .pow,
    ]
}

/// One lexed token. `line` is 0 for tokens whose error position Loki reports without a line
/// (multi-character operators, ranges, durations, flags), so errors print as Loki's do.
public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    /// Identifier or number text, or the unquoted string.
    public var text: String
    public var line: Int
    public var column: Int
    /// Nanoseconds for DURATION and RANGE, bytes for BYTES.
    public var duration: Int64 = 0
    public var bytes: UInt64 = 0
}
