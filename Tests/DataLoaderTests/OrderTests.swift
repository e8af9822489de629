import Foundation
import Testing
@testable import DataLoader

/// Sample order: exact epochs over ranks, determinism, epochs, resume.
@Suite("DataLoader order")
struct OrderTests {
    @Test("every scene exactly once per epoch over n ranks together", arguments: [1, 2, 3])
    func exactEpochs(worldSize: Int) throws {
        let directory = try LoaderFixtures.dataset()
        var seen: [UInt64] = []
        var batchCounts: [Int] = []
        for rank in 0..<worldSize {
            let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory, rank: rank, worldSize: worldSize))
            let batches = try LoaderFixtures.drain(loader)
            batchCounts.append(batches.count)
            #expect(batches.allSatisfy { $0.batchSize <= 4 && $0.epoch == 0 })
            seen += batches.flatMap(\.sceneIndices)
            #expect(loader.state == LoaderState(epoch: 1, position: 0, seed: 7, sceneCount: 37))
        }
        #expect(seen.count == 37)
        #expect(Set(seen) == Set(0..<37))
        // Without dropLast, batch counts differ by at most one between ranks.
        #expect(batchCounts.max()! - batchCounts.min()! <= 1)
    }

    @Test("dropLast: equal full batches on every rank, fewer than n * B scenes left out", arguments: [1, 2, 3])
    func dropLast(worldSize: Int) throws {
        let directory = try LoaderFixtures.dataset()
        var seen: [UInt64] = []
        for rank in 0..<worldSize {
            let loader = try GQNLoader(configuration: LoaderFixtures.configuration(
                directory, rank: rank, worldSize: worldSize, dropLast: true))
            let batches = try LoaderFixtures.drain(loader)
            #expect(batches.count == 37 / (worldSize * 4))
            #expect(batches.allSatisfy { $0.batchSize == 4 })
            seen += batches.flatMap(\.sceneIndices)
        }
        #expect(Set(seen).count == seen.count)
        #expect(seen.count == 37 / (worldSize * 4) * worldSize * 4)
    }

    @Test("same seed and epoch give the same batches; another epoch or seed another order")
    func determinism() throws {
        let directory = try LoaderFixtures.dataset()
        let a = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory)))
        let b = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory)))
        #expect(a == b)
        #expect(a.flatMap(\.sceneIndices) != Array(0..<37))
        let epoch1 = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory, firstEpoch: 1)))
        #expect(epoch1.flatMap(\.sceneIndices) != a.flatMap(\.sceneIndices))
        #expect(Set(epoch1.flatMap(\.sceneIndices)) == Set(a.flatMap(\.sceneIndices)))
        #expect(epoch1.allSatisfy { $0.epoch == 1 })
        let otherSeed = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory, seed: 8)))
        #expect(otherSeed.flatMap(\.sceneIndices) != a.flatMap(\.sceneIndices))
        // Two epochs in one run equal the epochs run one at a time.
        let both = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory, epochs: 2)))
        #expect(both == a + epoch1)
    }

    @Test("shuffle off reads scene-index order")
    func unshuffled() throws {
        let directory = try LoaderFixtures.dataset()
        var configuration = LoaderFixtures.configuration(directory)
        configuration.shuffle = false
        let batches = try LoaderFixtures.drain(GQNLoader(configuration: configuration))
        #expect(batches.flatMap(\.sceneIndices) == Array(0..<37))
    }

    @Test("the shuffle buffer mixes across shards and its size changes the order")
    func shuffleBuffer() throws {
        let counts = [8, 8, 8, 8, 5]
        func order(_ size: Int) -> [SampleReference] {
            var order = EpochOrder(recordCounts: counts, seed: 3, epoch: 0, shuffle: true, bufferSize: size)
            var out: [SampleReference] = []
            while let next = order.next() { out.append(next) }
            return out
        }
        let small = order(1), large = order(20)
        #expect(small.count == 37 && Set(small).count == 37 && large.count == 37 && Set(large).count == 37)
        // Buffer 1 streams the shuffled shards: each shard's records together and in order.
        let changes = zip(small, small.dropFirst()).filter { $0.shard != $1.shard }
        #expect(changes.count == counts.count - 1)
        #expect(zip(small, small.dropFirst()).allSatisfy { $0.shard != $1.shard || $1.record == $0.record + 1 })
        #expect(small.map(\.shard) != small.map(\.shard).sorted())
        // A larger buffer interleaves shards within the first 8 samples.
        #expect(Set(large.prefix(8).map(\.shard)).count > 1)
    }

    @Test("resuming from a saved state gives exactly the remaining batches",
          arguments: [(1, false), (2, false), (3, true)])
    func resume(worldSize: Int, dropLast: Bool) throws {
        let directory = try LoaderFixtures.dataset()
        for rank in 0..<worldSize {
            let configuration = LoaderFixtures.configuration(
                directory, context: .random(1...3), rank: rank, worldSize: worldSize, epochs: 2, dropLast: dropLast)
            let full = try LoaderFixtures.drain(GQNLoader(configuration: configuration))
            #expect(full.count >= 2)
            for stopAfter in [0, 1, full.count / 2, full.count - 1] {
                let first = try GQNLoader(configuration: configuration)
                var head: [GQNBatch] = []
                for _ in 0..<stopAfter { head.append(try #require(try first.next())) }
                // A checkpoint stores the state as JSON.
                let saved = try JSONEncoder().encode(first.state)
                first.stop()
                let state = try JSONDecoder().decode(LoaderState.self, from: saved)
                let rest = try LoaderFixtures.drain(GQNLoader(configuration: configuration, resumingFrom: state))
                #expect(head + rest == full, "rank \(rank) of \(worldSize), stopped after \(stopAfter)")
            }
        }
    }

    @Test("the state counts global positions and rolls over to the next epoch")
    func stateProgress() throws {
        let directory = try LoaderFixtures.dataset()
        let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory, rank: 1, worldSize: 2, epochs: nil))
        #expect(loader.state.epoch == 0 && loader.state.position == 0)
        _ = try loader.next()
        #expect(loader.state == LoaderState(epoch: 0, position: 8, seed: 7, sceneCount: 37))
        // Rank 1 of 2 owns 18 of 37 scenes: 5 batches of 4, the last with 2.
        var last: GQNBatch?
        for _ in 0..<4 { last = try loader.next() }
        #expect(last?.batchSize == 2 && last?.batchNumber == 4)
        #expect(loader.state == LoaderState(epoch: 1, position: 0, seed: 7, sceneCount: 37))
        let next = try #require(try loader.next())
        #expect(next.epoch == 1 && next.batchNumber == 0)
    }

    @Test("a state from another seed or dataset, or an impossible configuration, is rejected")
    func rejections() throws {
        let directory = try LoaderFixtures.dataset()
        let configuration = LoaderFixtures.configuration(directory)
        #expect(throws: DataLoaderError.stateMismatch(field: "seed", expected: "7 (the configuration's)", found: "8")) {
            _ = try GQNLoader(configuration: configuration,
                              resumingFrom: LoaderState(epoch: 0, position: 0, seed: 8, sceneCount: 37))
        }
        #expect(throws: DataLoaderError.self) {
            _ = try GQNLoader(configuration: configuration,
                              resumingFrom: LoaderState(epoch: 0, position: 0, seed: 7, sceneCount: 36))
        }
        #expect(throws: DataLoaderError.self) {
            _ = try GQNLoader(configuration: configuration,
                              resumingFrom: LoaderState(epoch: 0, position: 38, seed: 7, sceneCount: 37))
        }
        // 5 views per scene: at most 4 context views.
        #expect(throws: DataLoaderError.self) {
            _ = try GQNLoader(configuration: LoaderFixtures.configuration(directory, context: .fixed(5)))
        }
        var unknown = configuration
        unknown.split = "validation"
        #expect(throws: DataLoaderError.unknownSplit(name: "validation", available: ["train", "test"])) {
            _ = try GQNLoader(configuration: unknown)
        }
        var badRank = configuration
        badRank.rank = 2
        badRank.worldSize = 2
        #expect(throws: DataLoaderError.self) { _ = try GQNLoader(configuration: badRank) }
    }

    @Test("three epochs over 40 ranks, some of which get no batch: every scene exactly once per epoch, and every rank ends")
    func ranksWithoutBatches() throws {
        let directory = try LoaderFixtures.dataset()
        let worldSize = 40  // rank r owns positions r + 40 j: of 37 scenes, ranks 0...36 get one, 37...39 none
        var perEpoch: [Int: [UInt64]] = [:]
        var emptyRanks = 0
        for rank in 0..<worldSize {
            let loader = try GQNLoader(configuration: LoaderFixtures.configuration(
                directory, rank: rank, worldSize: worldSize, epochs: 3))
            let batches = try LoaderFixtures.drain(loader)
            if batches.isEmpty { emptyRanks += 1 }
            for batch in batches { perEpoch[batch.epoch, default: []] += batch.sceneIndices }
            #expect(loader.state == LoaderState(epoch: 3, position: 0, seed: 7, sceneCount: 37), "rank \(rank)")
        }
        #expect(emptyRanks == 3)
        #expect(perEpoch.keys.sorted() == [0, 1, 2])
        for (epoch, scenes) in perEpoch {
            #expect(scenes.count == 37 && Set(scenes) == Set(0..<37), "epoch \(epoch)")
        }
        #expect(perEpoch[0] != perEpoch[1])
    }

    @Test("stopped at 2 ranks and resumed at 1, 3 or 5: the epoch still holds every scene exactly once", arguments: [1, 3, 5])
    func resumeWithAnotherWorldSize(newWorldSize: Int) throws {
        let directory = try LoaderFixtures.dataset()
        var head: [UInt64] = []
        var states: [LoaderState] = []
        for rank in 0..<2 {
            let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory, rank: rank, worldSize: 2))
            for _ in 0..<2 { head += try #require(try loader.next()).sceneIndices }
            states.append(loader.state)
            loader.stop()
        }
        // Two batches of 4 on each of 2 ranks: global positions 0..<16 consumed, the same state on both.
        let expected = LoaderState(epoch: 0, position: 16, seed: 7, sceneCount: 37)
        #expect(states == [expected, expected])
        var rest: [UInt64] = []
        for rank in 0..<newWorldSize {
            let loader = try GQNLoader(
                configuration: LoaderFixtures.configuration(directory, rank: rank, worldSize: newWorldSize), resumingFrom: states[0])
            rest += try LoaderFixtures.drain(loader).flatMap(\.sceneIndices)
        }
        #expect(head.count == 16)
        #expect((head + rest).count == 37 && Set(head + rest) == Set(0..<37))
        // The same scenes as one uninterrupted single-rank epoch from the same seed.
        let single = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory)))
        #expect(Set(single.flatMap(\.sceneIndices)) == Set(head + rest))
    }
}
