import CBLAS
import CDNNL
import Foundation

/// The process-wide thread count shared by oneDNN, OpenBLAS and the engine's own loops.
///
/// oneDNN runs on GNU OpenMP's thread team, and so do the engine's parallel loops
/// (`parallelChunks` starts an OpenMP parallel region), so a convolution and
/// the elementwise work after it use the same threads: no second pool spins while the
/// first works. OpenBLAS (the im2col fallback) has its own pool of `count` threads; the
/// engine never runs a BLAS call inside one of its parallel loops or the reverse, so the
/// cores are never oversubscribed. Results are deterministic for a fixed count: work is
/// split into contiguous slices that depend only on the count, and each slice writes only
/// its own part of the output.
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
                omp_set_num_threads(Int32(value))
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
            omp_set_num_threads(Int32(clamped))
        }
    }

    /// OpenMP's team size is a per-thread setting: makes the calling thread's match
    /// ``count`` before it starts oneDNN work or a parallel loop.
    @inline(__always)
    static func prepareCurrentThread() {
        let threads = Int32(count)
        if omp_get_max_threads() != threads { omp_set_num_threads(threads) }
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
        var job = ParallelJob(count: count, chunks: chunks, body: body)
        withUnsafeMutablePointer(to: &job) { pointer in
            GOMP_parallel(runParallelJob, pointer, UInt32(chunks), 0)
        }
    }
}

/// What every thread of an OpenMP team needs to run its share of ``parallelChunks(_:grain:_:)``.
private struct ParallelJob {
    let count: Int
    let chunks: Int
    let body: (Range<Int>) -> Void
}

/// The OpenMP outlined function: thread `t` of `n` runs chunks `t, t + n, ...`, so every
/// chunk runs exactly once even when the runtime grants fewer threads than asked.
private func runParallelJob(_ raw: UnsafeMutableRawPointer?) {
    guard let job = raw?.assumingMemoryBound(to: ParallelJob.self).pointee else { return }
    let team = Int(omp_get_num_threads())
    var chunk = Int(omp_get_thread_num())
    while chunk < job.chunks {
        job.body((job.count * chunk / job.chunks)..<(job.count * (chunk + 1) / job.chunks))
        chunk += max(1, team)
    }
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
