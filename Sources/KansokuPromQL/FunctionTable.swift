/// The signature of a PromQL function: argument types and the result type.
struct FunctionSignature: Sendable {
    var name: String
    var args: [PromQLValueType]
    /// 0: exactly `args`; n > 0: up to n trailing optional args; -1: the last repeats.
    var variadic: Int = 0
    var returns: PromQLValueType = .vector
    /// Experimental functions Prometheus gates behind a feature flag.
    var experimental = false
}

/// Every function the engine knows, by name.
enum PromQLFunctions {
    static let table: [String: FunctionSignature] = {
        var t: [String: FunctionSignature] = [:]
        func add(_ name: String, _ args: [PromQLValueType], variadic: Int = 0, returns: PromQLValueType = .vector,
                 experimental: Bool = false) {
            t[name] = FunctionSignature(name: name, args: args, variadic: variadic, returns: returns, experimental: experimental)
        }
        for f in ["abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                  "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
                  "deg", "rad", "timestamp", "sort", "sort_desc", "absent",
                  "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar"] {
            add(f, [.vector])
        }
        for f in ["rate", "increase", "irate", "delta", "idelta", "deriv", "resets", "changes",
                  "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                  "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "absent_over_time"] {
            add(f, [.matrix])
        }
        for f in ["first_over_time", "mad_over_time", "ts_of_min_over_time", "ts_of_max_over_time",
                  "ts_of_last_over_time", "ts_of_first_over_time"] {
            add(f, [.matrix], experimental: true)
        }
        add("quantile_over_time", [.scalar, .matrix])
        add("predict_linear", [.matrix, .scalar])
        add("double_exponential_smoothing", [.matrix, .scalar, .scalar], experimental: true)
        add("clamp", [.vector, .scalar, .scalar])
        add("clamp_min", [.vector, .scalar])
        add("clamp_max", [.vector, .scalar])
        add("round", [.vector, .scalar], variadic: 1)
        add("histogram_quantile", [.scalar, .vector])
        add("histogram_quantiles", [.vector, .string, .scalar], variadic: -1, experimental: true)
        add("histogram_fraction", [.scalar, .scalar, .vector])
        add("label_replace", [.vector, .string, .string, .string, .string])
        add("label_join", [.vector, .string, .string, .string], variadic: -1)
        add("sort_by_label", [.vector, .string], variadic: -1, experimental: true)
        add("sort_by_label_desc", [.vector, .string], variadic: -1, experimental: true)
        add("vector", [.scalar])
        add("info", [.vector, .vector], variadic: 1, experimental: true)
        add("scalar", [.vector], returns: .scalar)
        add("time", [], returns: .scalar)
        add("pi", [], returns: .scalar)
        add("min_of", [.scalar, .scalar], returns: .scalar, experimental: true)
        add("max_of", [.scalar, .scalar], returns: .scalar, experimental: true)
        for f in ["start", "end", "range", "step"] { add(f, [], returns: .scalar, experimental: true) }
        for f in ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"] {
            add(f, [.vector], variadic: 1)
        }
        return t
    }()
}
