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
