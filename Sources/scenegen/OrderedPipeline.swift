import Dispatch
import Foundation

/// Runs `produce` for indices `0..<count` on worker threads and hands the results to the
/// caller in index order, as soon as each next one is ready.
///
/// Workers stay at most `window` items ahead of the consumer, so memory is bounded; the
/// consumer (the calling thread) does its sequential work (appending to a shard) while the
/// workers render the next items, instead of the cores idling at batch boundaries.
final class OrderedPipeline<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [Result<Value, Error>?]
    private var nextToClaim = 0
    private var consumed = 0
    private var cancelled = false
    private let window: Int

    private init(count: Int, window: Int) {
        slots = Array(repeating: nil, count: count)
        self.window = window
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

    private func store(_ result: Result<Value, Error>, at index: Int) {
        condition.lock()
        slots[index] = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the value at `index`, then frees its slot.
    private func take(_ index: Int) -> Result<Value, Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = slots[index] {
                slots[index] = nil
                consumed = index + 1
                condition.broadcast()
                return result
            }
            condition.wait()
        }
    }

    private func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
