/// One batch to build: which records, how many context views, and the state after it.
struct BatchPlan: Sendable {
    var epoch: Int
    var batchNumber: Int
    var contextCount: Int
    var samples: [SampleReference]
    /// The loader's state once this batch has been consumed.
    var stateAfter: LoaderState
}

/// The batches of one rank, epoch after epoch: a pure function of the configuration, the
/// split's layout and the starting state.
///
/// Rank `r` of `n` owns the global positions `P + r + n * j` of each epoch's order, where `P`
/// is the position the epoch started from (0, or a resumed state's). Its batch `i` holds the
/// positions `j` in `i * B ..< (i + 1) * B`; so after `b` batches on every rank, the positions
/// `0 ..< P + b * B * n` are consumed exactly, which is what ``LoaderState/position`` records.
struct BatchPlanner {
    private let recordCounts: [Int]
    private let sceneCount: Int
    private let configuration: LoaderConfiguration
    /// The epoch after the last one to read, or nil for no end.
    private let endEpoch: Int?

    private var epoch: Int
    private var order: EpochOrder
    /// The global position of `order`'s next output.
    private var globalPosition: Int
    /// The epoch's start position `P`.
    private var startPosition: Int
    /// Batches of this epoch planned since `startPosition`.
    private var planned = 0
    /// Batches this rank gets in the epoch from `startPosition`.
    private var batchCount: Int

    /// - Throws: `.stateMismatch` when `state` does not fit, `.invalidConfiguration` when an
    ///   endless run would produce no batch.
    init(layout: SplitLayout, configuration: LoaderConfiguration, state: LoaderState?) throws(DataLoaderError) {
        recordCounts = layout.shards.map(\.entry.recordCount)
        sceneCount = layout.sceneCount
        self.configuration = configuration
        endEpoch = configuration.epochs.map { configuration.firstEpoch + $0 }
        let start = state ?? LoaderState(epoch: configuration.firstEpoch, position: 0,
                                         seed: configuration.seed, sceneCount: layout.sceneCount)
        guard start.seed == configuration.seed else {
            throw .stateMismatch(field: "seed", expected: "\(configuration.seed) (the configuration's)", found: "\(start.seed)")
        }
        guard start.sceneCount == layout.sceneCount else {
            throw .stateMismatch(field: "sceneCount", expected: "\(layout.sceneCount) (split \(configuration.split))",
                                 found: "\(start.sceneCount)")
        }
        guard start.epoch >= 0, (0...layout.sceneCount).contains(start.position) else {
            throw .stateMismatch(field: "position", expected: "epoch >= 0 and position in 0...\(layout.sceneCount)",
                                 found: "epoch \(start.epoch), position \(start.position)")
        }
        if configuration.epochs == nil,
           Self.batches(sceneCount: layout.sceneCount, from: 0, configuration: configuration) == 0 {
            throw .invalidConfiguration(
                field: "batchSize", expected: "a batch for rank \(configuration.rank) of \(configuration.worldSize) per epoch",
                found: "\(layout.sceneCount) scenes with batch size \(configuration.batchSize)")
        }
        epoch = start.epoch
        order = EpochOrder(recordCounts: recordCounts, seed: configuration.seed, epoch: epoch,
                           shuffle: configuration.shuffle, bufferSize: configuration.shuffleBufferSize)
        globalPosition = 0
        startPosition = start.position
        batchCount = Self.batches(sceneCount: sceneCount, from: start.position, configuration: configuration)
        skip(to: start.position)
    }

    /// Scenes rank `r` owns from position `from`: the `j` with `from + r + n j < N`.
    static func samples(sceneCount: Int, from: Int, configuration c: LoaderConfiguration) -> Int {
        let remaining = sceneCount - from - c.rank
        return remaining <= 0 ? 0 : (remaining + c.worldSize - 1) / c.worldSize
    }

    /// Batches rank `r` gets from position `from`.
    static func batches(sceneCount: Int, from: Int, configuration c: LoaderConfiguration) -> Int {
        if c.dropLast {
            return max(0, sceneCount - from) / (c.worldSize * c.batchSize)
        }
        let samples = samples(sceneCount: sceneCount, from: from, configuration: c)
        return (samples + c.batchSize - 1) / c.batchSize
    }

    /// Advances the order to global position `position`.
    private mutating func skip(to position: Int) {
        while globalPosition < position, order.next() != nil {
            globalPosition += 1
        }
    }

    /// Starts the next epoch; false when the last one is done.
    private mutating func advanceEpoch() -> Bool {
        epoch += 1
        if let endEpoch, epoch >= endEpoch { return false }
        order = EpochOrder(recordCounts: recordCounts, seed: configuration.seed, epoch: epoch,
                           shuffle: configuration.shuffle, bufferSize: configuration.shuffleBufferSize)
        globalPosition = 0
        startPosition = 0
        planned = 0
        batchCount = Self.batches(sceneCount: sceneCount, from: 0, configuration: configuration)
        return true
    }

    /// The next batch of this rank, or nil when the last epoch is done.
    mutating func next() -> BatchPlan? {
        if let endEpoch, epoch >= endEpoch { return nil }
        // An epoch can have no batch for this rank only with a finite epoch count (`init`
        // rejects an endless run without batches), so this loop ends.
        while planned >= batchCount {
            guard advanceEpoch() else { return nil }
        }
        let c = configuration
        let stride = c.worldSize * c.batchSize
        let owned = Self.samples(sceneCount: sceneCount, from: startPosition, configuration: c)
        let take = min(c.batchSize, owned - planned * c.batchSize)
        var samples: [SampleReference] = []
        samples.reserveCapacity(take)
        for j in (planned * c.batchSize)..<(planned * c.batchSize + take) {
            let target = startPosition + c.rank + c.worldSize * j
            skip(to: target)
            guard let sample = order.next() else { break }
            globalPosition += 1
            samples.append(sample)
        }
        let batchNumber = startPosition / stride + planned
        planned += 1
        let stateAfter: LoaderState
        if planned >= batchCount {
            stateAfter = LoaderState(epoch: epoch + 1, position: 0, seed: c.seed, sceneCount: sceneCount)
        } else {
            stateAfter = LoaderState(epoch: epoch, position: min(sceneCount, startPosition + planned * stride),
                                     seed: c.seed, sceneCount: sceneCount)
        }
        return BatchPlan(epoch: epoch, batchNumber: batchNumber, contextCount: contextCount(batchNumber: batchNumber),
                         samples: samples, stateAfter: stateAfter)
    }

    /// `K` of batch `batchNumber` of the current epoch: the same on every rank, since the
    /// ranks' batches `batchNumber` together form one global batch (the positions
    /// `batchNumber * B * n ..< (batchNumber + 1) * B * n`), which a data-parallel step
    /// trains on as one; and the same as one process's with batch size `B * n`. The key's
    /// fourth part, once the rank, is 0 for every rank, so single-process draws are unchanged.
    private func contextCount(batchNumber: Int) -> Int {
        switch configuration.context {
        case .fixed(let count):
            return count
        case .random(let range):
            let key = StatelessRandom.key(.contextCount, configuration.seed, UInt64(epoch), 0, UInt64(batchNumber))
            return range.lowerBound + StatelessRandom.below(range.count, key: key, counter: 0)
        }
    }
}
