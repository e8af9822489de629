import Foundation

/// Thread CPU time spent in each stage of dataset generation, summed over all threads:
/// rendering and encoding on the workers, appending and publishing on the writer.
///
/// What `scenegen bench --family` reports as the cost of encoding and writing against
/// rendering, measured inside one end-to-end run on the same scenes: unlike two runs'
/// throughputs, the shares do not move when other work on the host slows a whole run.
/// Sampling a scene's description is in neither stage (both pipelines do it alike).
final class StageClock: @unchecked Sendable {
    /// Nanoseconds of thread CPU time per stage.
    struct Totals {
        var render: UInt64 = 0
        var encode: UInt64 = 0
        var write: UInt64 = 0
    }

    private let lock = NSLock()
    private var totals = Totals()

    /// What has been added so far.
    var snapshot: Totals { lock.withLock { totals } }

    /// Adds the calling worker's render and encode times of one scene.
    func addWorker(render: UInt64, encode: UInt64) {
        lock.withLock {
            totals.render += render
            totals.encode += encode
        }
    }

    /// Adds time the writer spent appending or publishing.
    func addWrite(_ nanoseconds: UInt64) {
        lock.withLock { totals.write += nanoseconds }
    }

    /// Runs `body` and returns its result with the calling thread's CPU time it took, in
    /// nanoseconds (`CLOCK_THREAD_CPUTIME_ID`: time on a core, not time waiting for one).
    static func measure<T>(_ body: () throws -> T) rethrows -> (T, UInt64) {
        let start = threadCPUNanoseconds()
        let value = try body()
        let end = threadCPUNanoseconds()
        return (value, end >= start ? end - start : 0)
    }

    private static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
