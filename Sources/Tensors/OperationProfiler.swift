import Dispatch

/// Wall-clock time per operation kind, forward and backward, for `gqn-train bench --profile`.
///
/// Off by default, when it costs one branch per recorded operation. When on, the time
/// between two consecutive recorded operations is charged to the second one's forward
/// pass (operations run one after another, so that is its forward time plus the little
/// Swift glue before it), and each backward closure is timed on its own. Only operations
/// recorded on a tape are seen: profile training steps, not inference.
public enum OperationProfiler {
    /// The accumulated time of one operation kind.
    public struct Entry: Sendable, Equatable, Codable {
        /// The operation, e.g. `conv2d` or `sigmoid`.
        public var operation: String
        /// Recorded calls.
        public var calls = 0
        /// Seconds charged to the forward passes.
        public var forwardSeconds = 0.0
        /// Seconds spent in the backward closures.
        public var backwardSeconds = 0.0
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var mark: UInt64 = 0
    }

    private static let state = LockedValue(State())
    nonisolated(unsafe) private static var enabled = false

    /// Whether operations are being timed.
    public static var isEnabled: Bool { enabled }

    /// Clears the table and starts timing.
    public static func start() {
        state.withLock { state in
            state.entries = [:]
            state.mark = DispatchTime.now().uptimeNanoseconds
        }
        enabled = true
    }

    /// Stops timing and returns the table, slowest operation first.
    public static func stop() -> [Entry] {
        enabled = false
        return state.withLock { state in
            state.entries.values.sorted { ($0.forwardSeconds + $0.backwardSeconds) > ($1.forwardSeconds + $1.backwardSeconds) }
        }
    }

    /// Restarts the forward clock (at the start of a step, or before a backward pass).
    static func mark() {
        guard enabled else { return }
        state.withLock { $0.mark = DispatchTime.now().uptimeNanoseconds }
    }

    /// Charges the time since the last mark to `operation`'s forward pass.
    static func recordForward(_ operation: StaticString) {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { state in
            let name = "\(operation)"
            state.entries[name, default: Entry(operation: name)].calls += 1
            state.entries[name, default: Entry(operation: name)].forwardSeconds += Double(now &- state.mark) * 1e-9
            state.mark = now
        }
    }

    /// Adds `seconds` to a detail row (time already inside an operation's own figures, such
    /// as the layout reorders of the convolutions), kept apart under `name`.
    static func recordDetail(_ name: StaticString, seconds: Double) {
        state.withLock { state in
            let key = "(\(name))"
            state.entries[key, default: Entry(operation: key)].calls += 1
            state.entries[key, default: Entry(operation: key)].forwardSeconds += seconds
        }
    }

    /// Charges `seconds` to `operation`'s backward pass.
    static func recordBackward(_ operation: StaticString, seconds: Double) {
        state.withLock { state in
            let name = "\(operation)"
            state.entries[name, default: Entry(operation: name)].backwardSeconds += seconds
        }
    }
}
