import Foundation
import KansokuCore
import Testing

@testable import KansokuIngest

@Suite struct TimestampLayoutTests {
    // 2026-06-15T12:00:00Z
    let now: Int64 = 1_781_524_800_000_000_000

    func parse(_ format: String, _ value: String, zone: String? = nil) throws -> Int64? {
        try TimestampLayout(format).parse(value, zone: zone.flatMap { TimeZone(identifier: $0) }, now: now)
    }

    func rfc(_ s: String) -> Int64 { TimeParser.parseRFC3339(s)! }

    @Test func accessLogLayout() throws {
        #expect(try parse("02/Jan/2006:15:04:05 -0700", "17/May/2015:10:05:03 +0000") == rfc("2015-05-17T10:05:03Z"))
        #expect(try parse("02/Jan/2006:15:04:05 -0700", "25/Oct/2015:04:11:25 +0100") == rfc("2015-10-25T03:11:25Z"))
        #expect(try parse("02/Jan/2006:15:04:05 -0700", "25/oct/2015:04:11:25 +0100") == rfc("2015-10-25T03:11:25Z"))
        #expect(try parse("02/Jan/2006:15:04:05 -0700", "25/Oct/2015:04:11:25") == nil)
    }

    @Test func namedFormats() throws {
        #expect(try parse("RFC3339", "2024-01-02T15:04:05Z") == rfc("2024-01-02T15:04:05Z"))
        #expect(try parse("RFC3339", "2024-01-02T15:04:05+02:00") == rfc("2024-01-02T13:04:05Z"))
        #expect(try parse("RFC3339Nano", "2024-01-02T15:04:05.123456789Z") == rfc("2024-01-02T15:04:05.123456789Z"))
        #expect(try parse("RFC3339Nano", "2024-01-02T15:04:05.5Z") == rfc("2024-01-02T15:04:05.5Z"))
        #expect(try parse("RFC3339Nano", "2024-01-02T15:04:05Z") == rfc("2024-01-02T15:04:05Z"))
        #expect(try parse("RFC1123", "Tue, 02 Jan 2024 15:04:05 GMT") == rfc("2024-01-02T15:04:05Z"))
        #expect(try parse("RFC1123Z", "Tue, 02 Jan 2024 15:04:05 -0700") == rfc("2024-01-02T22:04:05Z"))
        #expect(try parse("ANSIC", "Tue Jan  2 15:04:05 2024") == rfc("2024-01-02T15:04:05Z"))
        #expect(try parse("UnixDate", "Tue Jan  2 15:04:05 UTC 2024") == rfc("2024-01-02T15:04:05Z"))
        #expect(try parse("RFC822Z", "02 Jan 24 15:04 +0000") == rfc("2024-01-02T15:04:00Z"))
        #expect(try parse("Kitchen", "3:04PM") == rfc("2026-01-01T15:04:00Z"))
        #expect(try parse("StampMilli", "Jun 14 15:16:01.123") == rfc("2026-06-14T15:16:01.123Z"))
    }

    @Test func epochs() throws {
        #expect(try parse("Unix", "1117838570") == 1_117_838_570_000_000_000)
        #expect(try parse("Unix", "1562708916.414123") == 1_562_708_916_414_123_000)
        #expect(try parse("UnixMs", "1562708916414") == 1_562_708_916_414_000_000)
        #expect(try parse("UnixUs", "1562708916414123") == 1_562_708_916_414_123_000)
        #expect(try parse("UnixNs", "1562708916414123456") == 1_562_708_916_414_123_456)
        #expect(try parse("Unix", "12ab") == nil)
        #expect(try parse("UnixMs", "1.5") == nil)
    }

    @Test func realLogLayouts() throws {
        // Hadoop/Zookeeper log4j with a comma before the millis
        #expect(try parse("2006-01-02 15:04:05,000", "2015-10-18 18:01:47,978") == rfc("2015-10-18T18:01:47.978Z"))
        // BGL
        #expect(try parse("2006-01-02-15.04.05.000000", "2005-06-03-15.42.50.675872") == rfc("2005-06-03T15:42:50.675872Z"))
        // HDFS yyMMdd HHmmss
        #expect(try parse("060102 150405", "081109 203615") == rfc("2008-11-09T20:36:15Z"))
        // Spark yy/MM/dd
        #expect(try parse("06/01/02 15:04:05", "17/06/09 20:10:40") == rfc("2017-06-09T20:10:40Z"))
        // Apache error log
        #expect(try parse("Mon Jan 02 15:04:05 2006", "Sun Dec 04 04:47:44 2005") == rfc("2005-12-04T04:47:44Z"))
        // syslog without a year, space-padded day: current year
        #expect(try parse("Jan _2 15:04:05", "Jun  1 00:21:28") == rfc("2026-06-01T00:21:28Z"))
        #expect(try parse("Jan _2 15:04:05", "Jun 14 15:16:01") == rfc("2026-06-14T15:16:01Z"))
        // a date more than a day ahead of now without a year belongs to the previous year
        #expect(try parse("Jan _2 15:04:05", "Dec 31 23:59:59") == rfc("2025-12-31T23:59:59Z"))
        // unpadded fields (HealthApp)
        #expect(try parse("20060102-15:4:5", "20171224-1:2:35") == rfc("2017-12-24T01:02:35Z"))
        // fractional seconds present in the value but not in the layout are accepted
        #expect(try parse("2006-01-02 15:04:05", "2017-05-16 00:00:00.008") == rfc("2017-05-16T00:00:00.008Z"))
        // 12-hour clock
        #expect(try parse("01/02/2006 03:04:05 PM", "01/02/2024 12:30:00 AM") == rfc("2024-01-02T00:30:00Z"))
        #expect(try parse("01/02/2006 03:04:05 PM", "01/02/2024 01:30:00 PM") == rfc("2024-01-02T13:30:00Z"))
    }

    @Test func locationForZonelessLayouts() throws {
        // 2024-01-02 10:00 in New York (EST, -05:00)
        #expect(try parse("2006-01-02 15:04:05", "2024-01-02 10:00:00", zone: "America/New_York") == rfc("2024-01-02T15:00:00Z"))
        // summer: EDT, -04:00
        #expect(try parse("2006-01-02 15:04:05", "2024-07-02 10:00:00", zone: "America/New_York") == rfc("2024-07-02T14:00:00Z"))
    }

    @Test func rejectsBadValuesAndLayouts() throws {
        #expect(try parse("2006-01-02", "2024-02-30") == nil)
        #expect(try parse("2006-01-02", "2024-13-01") == nil)
        #expect(try parse("2006-01-02", "2024-01-02 extra") == nil)
        #expect(throws: PipelineConfigError.self) { try TimestampLayout("no time here") }
    }
}
