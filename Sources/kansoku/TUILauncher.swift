import KansokuCore
import KansokuTUI

/// Opens the terminal dashboard (kept here so the server library does not depend on the TUI).
enum TUILauncher {
    static func run(addr: String, dashboard: String?, tenant: String?) async throws -> Int32 {
        try await TUIApp.run(options: TUIOptions(addr: addr, dashboardPath: dashboard, tenant: tenant))
    }
}
