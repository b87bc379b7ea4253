import Testing
import KansokuCore

/// Go's `time.ParseDuration` and `Duration.String()`: expected values are what Go 1.22 gives.
@Suite struct GoDurationTests {
    @Test func formatsAsDurationString() {
        #expect(GoDuration.format(721 * 3_600_000_000_000) == "721h0m0s")
        #expect(GoDuration.format(87_600 * 3_600_000_000_000) == "87600h0m0s")
        #expect(GoDuration.format(90_500_000_000) == "1m30.5s")
        #expect(GoDuration.format(250_000_000) == "250ms")
        #expect(GoDuration.format(0) == "0s")
        #expect(GoDuration.format(1) == "1ns")
        #expect(GoDuration.format(1_500) == "1.5µs")
        #expect(GoDuration.format(-4_530_918_273_645) == "-1h15m30.918273645s")
        #expect(GoDuration.format(.min) == "-2562047h47m16.854775808s")
    }

    @Test func parsesWhatParseDurationReads() {
        #expect(GoDuration.parse("1.5s") == 1_500_000_000)
        #expect(GoDuration.parse("250µs") == 250_000)
        #expect(GoDuration.parse("250us") == 250_000)
        #expect(GoDuration.parse("-1h2m") == -3_720_000_000_000)
        #expect(GoDuration.parse("+5ns") == 5)
        #expect(GoDuration.parse("0") == 0)
        #expect(GoDuration.parse(".5m") == 30_000_000_000)
        #expect(GoDuration.parse("1d") == nil)
        #expect(GoDuration.parse("5") == nil)
        #expect(GoDuration.parse("") == nil)
        #expect(GoDuration.parse("3000000h") == nil)
    }

    @Test func errorsAsGoWordsThem() {
        #expect(GoDuration.parseError("1d") == #"time: unknown unit "d" in duration "1d""#)
        #expect(GoDuration.parseError("5") == #"time: missing unit in duration "5""#)
        #expect(GoDuration.parseError("s") == #"time: invalid duration "s""#)
    }
}
