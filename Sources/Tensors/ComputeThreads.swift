import CBLAS
import Dispatch
import Foundation

/// The process-wide thread count shared by OpenBLAS and the engine's own parallel loops.
///
/// The engine never runs a BLAS call inside one of its parallel loops, and never runs
/// a parallel loop while a BLAS call is in flight, so with both set to `count` the
/// cores are never oversubscribed. Results are deterministic for a fixed count: work
/// is split into contiguous slices and each iteration writes only its own slice.
public enum ComputeThreads {
    private static let state = LockedValue<Int>(0)

    /// The number of threads used by OpenBLAS and by the engine's parallel loops.
    ///
    /// Defaults to the number of active processors the first time it is read.
    public static var count: Int {
        state.withLock { value in
            if value == 0 {
                value = max(1, ProcessInfo.processInfo.activeProcessorCount)
                openblas_set_num_threads(Int32(value))
            }
            return value
        }
    }

    /// Sets the thread count for OpenBLAS and for the engine's parallel loops.
    ///
    /// - Parameter threads: The number of threads; values below 1 are clamped to 1.
    public static func set(_ threads: Int) {
        let clamped = max(1, threads)
        state.withLock { value in
            value = clamped
            openblas_set_num_threads(Int32(clamped))
        }
    }

    /// The thread count OpenBLAS reports (for benchmark output).
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS's build configuration and the kernel core it selected (for benchmark output).
    public static var blasConfiguration: String {
        let config = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(config) core=\(core)"
    }
}

/// Splits `0..<count` into at most `ComputeThreads.count` contiguous chunks of at least
/// `grain` items and runs `body` on each chunk, in parallel when there is more than one.
///
/// Each chunk must write only to its own slice of the output; the split depends only
/// on `count`, `grain` and the thread count, never on timing.
/// - Parameters:
///   - count: The number of items.
///   - grain: The smallest number of items worth giving a thread.
///   - body: Work on one contiguous range of items.
@inline(__always)
func parallelChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = ComputeThreads.count
    let chunks = min(threads, max(1, count / max(1, grain)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    // Each chunk writes only its own slice, which is what makes sharing `body` across
    // threads sound even though the compiler cannot see it.
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            shared.value(start..<end)
        }
    }
}

/// Carries a value the caller guarantees is used safely across threads.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A value guarded by a lock, usable from any thread.
final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
