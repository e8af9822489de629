import Dispatch
import Foundation

/// Runs independent jobs (one file each) on a few threads and returns their results in job
/// order, so that what the jobs produce does not depend on the thread count.
final class ParallelJobs<Value: Sendable>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var next = 0
    private var failed = false
    private var results: [Result<Value, Error>?]

    private init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    /// Runs `job(0..<count)` on up to `threads` threads, each claiming the next unclaimed
    /// index. After a job throws, no new job starts; the error of the lowest-numbered
    /// failed job is rethrown once the running ones finish.
    static func run(count: Int, threads: Int, _ job: @escaping @Sendable (Int) throws -> Value) throws -> [Value] {
        let state = ParallelJobs(count: count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while let index = state.claim() {
                state.store(Result { try job(index) }, at: index)
            }
        }
        var values: [Value] = []
        values.reserveCapacity(count)
        // Jobs are claimed in index order, so every slot before the first failure is filled.
        for slot in state.results {
            guard let slot else { break }
            values.append(try slot.get())
        }
        return values
    }

    private func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard !failed, next < results.count else { return nil }
        defer { next += 1 }
        return next
    }

    private func store(_ result: Result<Value, Error>, at index: Int) {
        lock.lock()
        results[index] = result
        if case .failure = result { failed = true }
        lock.unlock()
    }
}
