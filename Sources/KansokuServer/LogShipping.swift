import Foundation
import KansokuCore
import KansokuLogStore
import KansokuObjectStore
import Logging
import Synchronization

/// An ingester's copy of its log store in the object store: every interval it seals the
/// segment files being appended to and ships what changed (sealed segments, then the period
/// indexes that name them), each tenant's under its own prefix,
/// `logs/<tenant>/<ingester id>/<incarnation>/` (the tenant is `fake` with tenancy off).
///
/// The incarnation is a random id kept in the data directory: an ingester whose disk was
/// lost starts numbering segments from 1 again, and must not overwrite the objects its
/// former self left, which are then the only copy.
final class LogShipping: Sendable {
    let store: any ObjectStore
    /// `<ingester id>/<incarnation>/`, the part of every prefix after the tenant.
    let ingesterPath: String
    /// One shipper per tenant met so far, each keeping its prefix in step.
    private let shippers = Mutex<[String: DirectoryShipper]>([:])
    let logStore: LogStore
    let interval: Duration
    let logger: Logger
    let passes = Atomic<Int>(0)
    let uploadedObjects = Atomic<Int>(0)
    let uploadedBytes = Atomic<Int>(0)
    let deletedObjects = Atomic<Int>(0)
    let failedObjects = Atomic<Int>(0)
    /// Unix seconds of the last pass that shipped everything it was given.
    let lastCompletePass = Atomic<Int64>(0)

    private init(store: any ObjectStore, ingesterPath: String, logStore: LogStore, interval: Duration, logger: Logger) {
        self.store = store
        self.ingesterPath = ingesterPath
        self.logStore = logStore
        self.interval = interval
        self.logger = logger
    }

    /// The shipping of this server's logs, or nil when no object store is configured.
    static func make(config: KansokuConfig, logStore: LogStore, logger: Logger) throws -> LogShipping? {
        guard let settings = config.storage.objectStore else {
            if config.target == .ingester {
                throw ConfigError.invalid(key: "storage.object_store", reason: "--target ingester needs an object store to ship to")
            }
            return nil
        }
        let store = try settings.makeStore()
        let ingester = try config.cluster.checkedIngesterID(default: ProcessInfo.processInfo.hostName)
        let incarnation = try Self.incarnation(dataDirectory: config.storage.path)
        let ingesterPath = "\(ingester)/\(incarnation)/"
        let interval = try config.cluster.uploadIntervalDuration()
        logger.info("shipping logs to the object store", metadata: ["prefix": "\(Self.prefix(tenant: "<tenant>", ingesterPath: ingesterPath))",
                                                                    "backend": "\(settings.backend)"])
        return LogShipping(store: store, ingesterPath: ingesterPath, logStore: logStore,
                           interval: .milliseconds(interval.milliseconds), logger: logger)
    }

    /// Where `tenant`'s objects shipped by one ingester incarnation live.
    static func prefix(tenant: String, ingesterPath: String) -> String { "logs/\(tenant)/\(ingesterPath)" }

    /// This ingester's prefix for `tenant`'s objects.
    func prefix(tenant: String) -> String { Self.prefix(tenant: tenant, ingesterPath: ingesterPath) }

    /// This data directory's incarnation id, made on first use.
    static func incarnation(dataDirectory: String) throws -> String {
        let path = dataDirectory + "/object-store-incarnation"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty, id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) { return id }
        }
        var rng = SystemRandomNumberGenerator()
        let id = String(rng.next() as UInt64, radix: 16)
        do { try id.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw ConfigError.unreadable(path: path, reason: "cannot write the object store incarnation id: \(error)")
        }
        return id
    }

    /// One pass: seal, list, ship. Failures are counted and retried by the next pass; the
    /// data stays on local disk meanwhile.
    @discardableResult
    func pass() async -> DirectoryShipper.Report {
        await logStore.sealSegments()
        var byTenant: [String: [DirectoryShipper.File]] = [:]
        do {
            for f in try logStore.shippableFiles() {
                byTenant[f.tenant, default: []].append(DirectoryShipper.File(relativePath: f.relativePath, immutable: f.immutable, contents: f.contents))
            }
        } catch {
            logger.error("listing log files to ship failed", metadata: ["error": "\(error)"])
            return DirectoryShipper.Report()
        }
        // Every tenant shipped to before is passed again, with nothing if it has nothing left,
        // so its objects whose files are gone get deleted.
        let tenantShippers = shippers.withLock { known in
            for tenant in byTenant.keys where known[tenant] == nil {
                known[tenant] = DirectoryShipper(store: store, directory: logStore.config.directory, prefix: prefix(tenant: tenant), logger: logger)
            }
            return known
        }
        var report = DirectoryShipper.Report()
        for (tenant, shipper) in tenantShippers.sorted(by: { $0.key < $1.key }) {
            let r = await shipper.ship(byTenant[tenant] ?? [])
            report.uploaded += r.uploaded.map { shipper.prefix + $0 }
            report.uploadedBytes += r.uploadedBytes
            report.deleted += r.deleted.map { shipper.prefix + $0 }
            for (k, v) in r.failed { report.failed[shipper.prefix + k] = v }
        }
        passes.add(1, ordering: .relaxed)
        uploadedObjects.add(report.uploaded.count, ordering: .relaxed)
        uploadedBytes.add(report.uploadedBytes, ordering: .relaxed)
        deletedObjects.add(report.deleted.count, ordering: .relaxed)
        failedObjects.add(report.failed.count, ordering: .relaxed)
        if report.failed.isEmpty { lastCompletePass.store(TimeParser.currentNanos() / 1_000_000_000, ordering: .relaxed) }
        return report
    }

    func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            await pass()
        }
    }

    func renderMetrics() -> String {
        var out = ""
        func counter(_ name: String, _ help: String, _ value: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        counter("kansoku_object_store_ship_passes_total", "Passes that shipped sealed log segments and indexes.", passes.load(ordering: .relaxed))
        counter("kansoku_object_store_uploaded_objects_total", "Objects uploaded to the object store.", uploadedObjects.load(ordering: .relaxed))
        counter("kansoku_object_store_uploaded_bytes_total", "Bytes uploaded to the object store.", uploadedBytes.load(ordering: .relaxed))
        counter("kansoku_object_store_deleted_objects_total", "Objects deleted after compaction or retention removed their file.", deletedObjects.load(ordering: .relaxed))
        counter("kansoku_object_store_failed_objects_total", "Uploads or deletes that failed and were left to the next pass.", failedObjects.load(ordering: .relaxed))
        out += "# HELP kansoku_object_store_last_complete_ship_timestamp_seconds When a pass last shipped everything.\n"
        out += "# TYPE kansoku_object_store_last_complete_ship_timestamp_seconds gauge\n"
        out += "kansoku_object_store_last_complete_ship_timestamp_seconds \(lastCompletePass.load(ordering: .relaxed))\n"
        return out
    }
}
