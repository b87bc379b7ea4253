/// The cases of ../shared/conformance/logql the engine does not pass, each with the reason.
/// Each conformance test fails when a case outside its list fails and when a listed case
/// passes, so every list is exactly the failing set. TSV cases are named by data row
/// (1-based, after the header); `.logqltest` evals by `file:line` of the eval command.
/// `CONFORMANCE_DUMP=1` prints the failures in this form.
enum LogQLConformanceExclusions {
    static let logqltest: [String: String] = [:]
    static let queries: [String: String] = [
        "queries.tsv row 361": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foobar); Loki's parser rejects it too",
        "queries.tsv row 362": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (bar); Loki's parser rejects it too",
        "queries.tsv row 363": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foobuzz); Loki's parser rejects it too",
        "queries.tsv row 364": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foo); Loki's parser rejects it too",
        "queries.tsv row 365": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foo bar); Loki's parser rejects it too",
        "queries.tsv row 366": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foo.bar.baz); Loki's parser rejects it too",
        "queries.tsv row 367": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (field=foo); Loki's parser rejects it too",
        "queries.tsv row 368": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (field=bar); Loki's parser rejects it too",
        "queries.tsv row 369": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (field=foo.bar); Loki's parser rejects it too",
        "queries.tsv row 370": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=5m total_bytes=5kB); Loki's parser rejects it too",
        "queries.tsv row 371": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=1s total_bytes=256B); Loki's parser rejects it too",
        "queries.tsv row 372": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=0s); Loki's parser rejects it too",
        "queries.tsv row 373": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (none); Loki's parser rejects it too",
        "queries.tsv row 374": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test foo); Loki's parser rejects it too",
        "queries.tsv row 375": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test bar); Loki's parser rejects it too",
        "queries.tsv row 376": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test baz); Loki's parser rejects it too",
        "queries.tsv row 377": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (baz); Loki's parser rejects it too",
        "queries.tsv row 378": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (car test foo); Loki's parser rejects it too",
        "queries.tsv row 379": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (car test bar); Loki's parser rejects it too",
        "queries.tsv row 380": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (car test baz); Loki's parser rejects it too",
        "queries.tsv row 381": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test); Loki's parser rejects it too",
        "queries.tsv row 382": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (car); Loki's parser rejects it too",
        "queries.tsv row 383": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (foo buzz); Loki's parser rejects it too",
        "queries.tsv row 384": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (bar fizz); Loki's parser rejects it too",
        "queries.tsv row 385": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (127.0.0.2); Loki's parser rejects it too",
        "queries.tsv row 386": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (127.0.0.1); Loki's parser rejects it too",
        "queries.tsv row 387": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (req from 127.0.0.2 ok); Loki's parser rejects it too",
        "queries.tsv row 388": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (req from 8.8.8.8 ok); Loki's parser rejects it too",
        "queries.tsv row 389": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (from 10.5.3.2); Loki's parser rejects it too",
        "queries.tsv row 390": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (from 192.168.1.1); Loki's parser rejects it too",
        "queries.tsv row 391": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (from 8.8.8.8); Loki's parser rejects it too",
        "queries.tsv row 392": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (has special); Loki's parser rejects it too",
        "queries.tsv row 393": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (has special2); Loki's parser rejects it too",
        "queries.tsv row 394": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (nothing relevant); Loki's parser rejects it too",
        "queries.tsv row 395": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test foo test); Loki's parser rejects it too",
        "queries.tsv row 396": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test bar test); Loki's parser rejects it too",
        "queries.tsv row 397": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (test baz test); Loki's parser rejects it too",
        "queries.tsv row 398": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=5m); Loki's parser rejects it too",
        "queries.tsv row 399": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=1s); Loki's parser rejects it too",
        "queries.tsv row 400": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (duration=-5m); Loki's parser rejects it too",
        "queries.tsv row 401": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (count=5); Loki's parser rejects it too",
        "queries.tsv row 402": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (count=1); Loki's parser rejects it too",
        "queries.tsv row 403": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (count=0); Loki's parser rejects it too",
        "queries.tsv row 404": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (count=-5); Loki's parser rejects it too",
        "queries.tsv row 405": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (counter=1); Loki's parser rejects it too",
        "queries.tsv row 406": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (counter=0); Loki's parser rejects it too",
        "queries.tsv row 407": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (counter=-1); Loki's parser rejects it too",
        "queries.tsv row 408": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (counter=-2); Loki's parser rejects it too",
        "queries.tsv row 409": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (\\); Loki's parser rejects it too",
        "queries.tsv row 410": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (|); Loki's parser rejects it too",
        "queries.tsv row 519": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (c); Loki's parser rejects it too",
        "queries.tsv row 520": "not a query: a log line or label name the corpus extraction took from Loki's filter and extractor tests (a); Loki's parser rejects it too",
    ]
    static let parseErrors: [String: String] = [:]
    static let lex: [String: String] = [:]
    static let pattern: [String: String] = [:]
    static let pretty: [String: String] = [:]
    static let lineFilterMatches: [String: String] = [:]
}
