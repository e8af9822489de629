import Foundation

/// The background half of a ``GQNLoader``: decoding threads that build planned batches ahead
/// of the consumer, at most `prefetchBatches` at a time, handed over in plan order.
///
/// One lock and one condition guard everything mutable. Each thread plans a batch under the
/// lock (cheap: integer work), builds it outside the lock into buffers only it touches, and
/// files the result by sequence number. ``stop()`` wakes every thread and waits for all of
/// them to leave, so nothing outlives the loader.
final class DecodePipeline: @unchecked Sendable {
    private let condition = NSCondition()
    private let assembler: BatchAssembler
    private let prefetchBatches: Int

    // Guarded by `condition`.
    private var planner: BatchPlanner
    private var plannerExhausted = false
    private var nextToPlan = 0
    private var nextToDeliver = 0
    private var ready: [Int: Result<BatchOutcome, DataLoaderError>] = [:]
    private var stopped = false
    private var liveWorkers = 0

    /// Starts `threads` decoding threads.
    init(planner: BatchPlanner, assembler: BatchAssembler, prefetchBatches: Int, threads: Int) {
        self.planner = planner
        self.assembler = assembler
        self.prefetchBatches = prefetchBatches
        liveWorkers = threads
        for number in 0..<threads {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "DataLoader decode \(number)"
            thread.start()
        }
    }

    /// Decoding threads still running.
    var liveWorkerCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return liveWorkers
    }

    private func workerLoop() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, assembler.scratchByteCount), alignment: 64)
        defer { scratch.deallocate() }
        condition.lock()
        while !stopped {
            if nextToPlan - nextToDeliver < prefetchBatches, !plannerExhausted {
                guard let plan = planner.next() else {
                    plannerExhausted = true
                    condition.broadcast()
                    continue
                }
                let sequence = nextToPlan
                nextToPlan += 1
                condition.unlock()
                let outcome = assembler.build(plan, scratch: scratch)
                condition.lock()
                ready[sequence] = outcome
                condition.broadcast()
            } else if plannerExhausted {
                break
            } else {
                condition.wait()
            }
        }
        liveWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch's outcome in plan order, waiting for it; nil after the last one, or once stopped.
    func next() -> Result<BatchOutcome, DataLoaderError>? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let outcome = ready.removeValue(forKey: nextToDeliver) {
                nextToDeliver += 1
                condition.broadcast()
                return outcome
            }
            if stopped || (plannerExhausted && nextToDeliver == nextToPlan) { return nil }
            condition.wait()
        }
    }

    /// Whether every batch of the plan has been delivered (the last epoch is over), as opposed to
    /// ``stop()`` having ended it early.
    var isExhausted: Bool {
        condition.lock()
        defer { condition.unlock() }
        return plannerExhausted && nextToDeliver == nextToPlan && ready.isEmpty
    }

    /// Stops planning, wakes every thread and waits until all have exited (each finishes the
    /// batch it is building first). Idempotent.
    func stop() {
        condition.lock()
        stopped = true
        ready.removeAll()
        condition.broadcast()
        while liveWorkers > 0 {
            condition.wait()
        }
        condition.unlock()
    }
}
