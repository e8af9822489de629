import Dispatch
import Foundation

/// Runs `produce` for indices `0..<count` on worker threads and hands the results to the
/// caller in index order.
///
/// Workers stay at most `window` items ahead of the consumer, so memory is bounded; the
/// consumer (the calling thread) does its sequential work (appending to a shard) while the
/// workers render the next items, instead of the cores idling at batch boundaries.
///
/// The consumer sleeps until a batch of the next items (half the window) is ready, not until
/// each next one is: on two busy cores every wake-up of the consumer also preempts a worker,
/// and waking once per item cost about 1 % of generation's CPU time.
final class OrderedPipeline<Value>: @unchecked Sendable {
    /// Guards everything below; workers wait on it for room in the window.
    private let condition = NSCondition()
    private var slots: [Result<Value, Error>?]
    private var nextToClaim = 0
    private var consumed = 0
    /// The first index at or after `consumed` whose result is not stored yet.
    private var readyEnd = 0
    private var cancelled = false
    private let window: Int
    private let batch: Int
    /// Set while the consumer sleeps on `consumerWake`, until `readyEnd` reaches this.
    private var consumerAwaits: Int?
    private let consumerWake = DispatchSemaphore(value: 0)

    private init(count: Int, window: Int) {
        slots = Array(repeating: nil, count: count)
        self.window = window
        batch = max(1, window / 2)
    }

    /// Produces `count` values on `threads` workers and passes them to `consume` in order.
    /// If `consume` throws, the workers stop after their current item and the error is
    /// rethrown once they have all finished. A failed `produce` is rethrown at its index.
    static func run(count: Int, threads: Int, window: Int,
                    produce: @escaping @Sendable (Int) throws -> Value,
                    consume: (Value) throws -> Void) throws {
        let pipeline = OrderedPipeline(count: count, window: max(window, threads))
        let workers = DispatchGroup()
        for _ in 0..<max(threads, 1) {
            DispatchQueue.global().async(group: workers) {
                while let index = pipeline.claim() {
                    pipeline.store(Result { try produce(index) }, at: index)
                }
            }
        }
        defer {
            pipeline.cancel()
            workers.wait()
        }
        for index in 0..<count {
            try consume(try pipeline.take(index).get())
        }
    }

    /// The next index to produce, waiting while the workers are a full window ahead;
    /// nil when everything is claimed or the run was cancelled.
    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextToClaim < slots.count && nextToClaim >= consumed + window {
            condition.wait()
        }
        guard !cancelled, nextToClaim < slots.count else { return nil }
        defer { nextToClaim += 1 }
        return nextToClaim
    }

    /// Stores a result, and wakes the consumer when the batch it waits for is complete.
    private func store(_ result: Result<Value, Error>, at index: Int) {
        condition.lock()
        slots[index] = result
        while readyEnd < slots.count, slots[readyEnd] != nil { readyEnd += 1 }
        var wake = false
        if let awaited = consumerAwaits, readyEnd >= awaited {
            consumerAwaits = nil
            wake = true
        }
        condition.unlock()
        if wake { consumerWake.signal() }
    }

    /// Waits for the value at `index` (the next in order), then frees its slot. When it is
    /// not ready, sleeps until it and the rest of its batch are.
    private func take(_ index: Int) -> Result<Value, Error> {
        condition.lock()
        if slots[index] == nil {
            consumerAwaits = min(index + batch, slots.count)
            condition.unlock()
            consumerWake.wait()
            condition.lock()
        }
        let result = slots[index]!
        slots[index] = nil
        consumed = index + 1
        // Room in the window: a worker waiting in claim() may go on.
        condition.broadcast()
        condition.unlock()
        return result
    }

    private func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
