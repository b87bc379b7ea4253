import Testing
@testable import KansokuCore

/// Go's `strconv.FormatFloat` layouts: expected strings are what Go 1.22 prints for the same
/// values (`'f'`, `'g'` and `'e'` with precision -1), as Prometheus, Sloth and templates write them.
@Suite struct GoFloatTests {
    @Test func fixedAsPrometheusAPIValues() {
        #expect(GoFloat.fixed(1) == "1")
        #expect(GoFloat.fixed(0.1) == "0.1")
        #expect(GoFloat.fixed(1e6) == "1000000")
        #expect(GoFloat.fixed(1.5e-7) == "0.00000015")
        #expect(GoFloat.fixed(1e-7) == "0.0000001")
        #expect(GoFloat.fixed(-2.5) == "-2.5")
        #expect(GoFloat.fixed(.infinity) == "+Inf")
        #expect(GoFloat.fixed(-.infinity) == "-Inf")
        #expect(GoFloat.fixed(.nan) == "NaN")
        #expect(GoFloat.fixed(1e21) == "1000000000000000000000")
        #expect(GoFloat.fixed(-0.0) == "-0")
    }

    @Test func shortestAsGoPercentV() {
        #expect(GoFloat.shortest(1e6) == "1e+06")
        #expect(GoFloat.shortest(123456) == "123456")
        #expect(GoFloat.shortest(0.0001) == "0.0001")
        #expect(GoFloat.shortest(0.00001) == "1e-05")
        #expect(GoFloat.shortest(1.5e300) == "1.5e+300")
        #expect(GoFloat.shortest(0.0009999999999999432) == "0.0009999999999999432")
        #expect(GoFloat.shortest(14.4) == "14.4")
        #expect(GoFloat.shortest(-30) == "-30")
    }

    @Test func exponentAsGoPercentE() {
        #expect(GoFloat.exponent(1) == "1e+00")
        #expect(GoFloat.exponent(0.0015) == "1.5e-03")
        #expect(GoFloat.exponent(123456789) == "1.23456789e+08")
        #expect(GoFloat.exponent(-0.0) == "-0e+00")
        #expect(GoFloat.exponent(1e-300) == "1e-300")
        #expect(GoFloat.exponent(.infinity) == "+Inf")
    }
}

/// `strconv.ParseFloat(s, 64)`, as LogQL label filters and unwrap and PromQL's bucket bounds
/// read numbers: what Go accepts and refuses, including what Swift's parser alone would take.
@Suite struct GoFloatParseTests {
    @Test func acceptsGoSyntax() {
        #expect(GoFloat.parse("1") == 1)
        #expect(GoFloat.parse("-2.5e3") == -2500)
        #expect(GoFloat.parse(".25") == 0.25)
        #expect(GoFloat.parse("5.") == 5)
        #expect(GoFloat.parse("+Inf") == .infinity)
        #expect(GoFloat.parse("-infinity") == -.infinity)
        #expect(GoFloat.parse("INF") == .infinity)
        #expect(GoFloat.parse("NaN")?.isNaN == true)
        #expect(GoFloat.parse("0x1p-2") == 0.25)
        #expect(GoFloat.parse("0x_1p4") == 16)
    }

    @Test func refusesWhatGoRefuses() {
        for text in ["", "0x10", "1_000", "+nan", "nan(1)", "1e", "abc", " 1", "0b101", "infinit"] {
            #expect(GoFloat.parse(text) == nil, "\(text)")
        }
    }
}
