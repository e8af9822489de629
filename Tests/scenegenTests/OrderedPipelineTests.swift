import Foundation
import Synchronization
import Testing

@testable import scenegen

/// The generator's worker pipeline: results reach the consumer in index order, whatever
/// order the workers finish in, with the consumer woken per batch.
@Suite("ordered pipeline")
struct OrderedPipelineTests {
    struct Failure: Error, Equatable { let index: Int }

    /// A few microseconds of work that differ by index, so that workers finish out of order.
    static func jitter(_ index: Int) {
        usleep(UInt32((index * 7_919) % 13) * 50)
    }

    @Test("every index arrives once and in order, for any thread count, window and length")
    func order() throws {
        for threads in 1...4 {
            for window in [1, 2, 5, 8] {
                for count in [0, 1, 3, 7, 50] {
                    var seen: [Int] = []
                    try OrderedPipeline<Int>.run(count: count, threads: threads, window: window, produce: { index in
                        Self.jitter(index)
                        return index * 3
                    }, consume: { seen.append($0) })
                    #expect(seen == (0..<count).map { $0 * 3 }, "threads \(threads), window \(window), count \(count)")
                }
            }
        }
    }

    @Test("a failed item is rethrown at its index, after every item before it")
    func producerFailure() {
        for threads in [1, 3] {
            var seen: [Int] = []
            #expect(throws: Failure(index: 11)) {
                try OrderedPipeline<Int>.run(count: 40, threads: threads, window: 8, produce: { index in
                    Self.jitter(index)
                    if index == 11 || index == 25 { throw Failure(index: index) }
                    return index
                }, consume: { seen.append($0) })
            }
            #expect(seen == Array(0..<11), "threads \(threads)")
        }
    }

    @Test("when the consumer fails, the workers stop within a window of it")
    func consumerFailure() {
        let produced = Atomic<Int>(0)
        #expect(throws: Failure(index: 5)) {
            try OrderedPipeline<Int>.run(count: 1_000, threads: 2, window: 4, produce: { index in
                produced.add(1, ordering: .relaxed)
                Self.jitter(index)
                return index
            }, consume: { value in
                if value == 5 { throw Failure(index: 5) }
            })
        }
        // Items 0-5 consumed, at most a window (4) claimed beyond them.
        #expect(produced.load(ordering: .relaxed) <= 6 + 4)
    }
}
