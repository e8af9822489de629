import Foundation

/// What a ``GQNLoader`` reads and how: dataset, split, batch shape, order, ranks, threads and
/// the corruption policy.
///
/// ```swift
/// var configuration = LoaderConfiguration(directory: URL(fileURLWithPath: "data/rooms"))
/// configuration.batchSize = 36
/// configuration.context = .random(1...5)
/// configuration.rank = rank
/// configuration.worldSize = worldSize
/// ```
public struct LoaderConfiguration: Sendable, Equatable {
    /// How many context views each scene of a batch carries.
    public enum ContextCount: Sendable, Equatable {
        /// Always `K` views.
        case fixed(Int)
        /// `K` drawn per batch, uniformly from the range, keyed by (seed, epoch, batch number):
        /// every rank draws the same `K` for its part of a global batch.
        case random(ClosedRange<Int>)

        /// The largest `K` this setting can produce.
        public var maximum: Int {
            switch self {
            case .fixed(let count): return count
            case .random(let range): return range.upperBound
            }
        }

        /// The smallest `K` this setting can produce.
        public var minimum: Int {
            switch self {
            case .fixed(let count): return count
            case .random(let range): return range.lowerBound
            }
        }
    }

    /// What to do with a record that fails its CRC-32C or structure check, or whose image
    /// does not decode.
    public enum CorruptRecordPolicy: String, Sendable, Equatable, CaseIterable {
        /// Throw ``DataLoaderError/corruptRecord(shard:record:offset:reason:)`` from ``GQNLoader/next()``.
        case fail
        /// Leave the scene out of its batch (which is then smaller) and count it in
        /// ``GQNLoader/skippedRecords``.
        case skip
    }

    /// The dataset directory (it holds `manifest.json`).
    public var directory: URL
    /// The split to read (`train`, `test`, ...).
    public var split: String
    /// Scenes per batch, `B`.
    public var batchSize: Int
    /// Context views per scene, `K`; each scene also has one query view, so the dataset needs
    /// at least `K + 1` views per scene.
    public var context: ContextCount
    /// The seed of the order and of every per-sample draw.
    public var seed: UInt64
    /// Whether to shuffle at all. When false, every epoch reads the split in scene-index order
    /// (for evaluation); views are still drawn per scene.
    public var shuffle: Bool
    /// Capacity of the shuffle buffer, in scenes (it holds (shard, record) references, 8 bytes each).
    public var shuffleBufferSize: Int
    /// This process's rank, `0..<worldSize`.
    public var rank: Int
    /// How many ranks share every epoch.
    public var worldSize: Int
    /// Batches decoded ahead of the consumer (ready or being decoded); bounds memory. Decoding
    /// uses `min(decodeThreads, prefetchBatches)` threads at once.
    public var prefetchBatches: Int
    /// Background decoding threads.
    public var decodeThreads: Int
    /// Whether to drop each epoch's final partial batches so that every rank gets the same
    /// number of full batches (`floor(N / (worldSize * batchSize))`); at most
    /// `worldSize * batchSize - 1` scenes of the epoch are then left out.
    public var dropLast: Bool
    /// What to do with corrupt records.
    public var corruptRecords: CorruptRecordPolicy
    /// The first epoch to read.
    public var firstEpoch: Int
    /// How many epochs to read (`firstEpoch ..< firstEpoch + epochs`), or nil for no end.
    public var epochs: Int?
    /// Whether each batch carries its query views' instance masks (``GQNBatch/queryMasks``),
    /// for measuring errors over object and room pixels. The dataset must store masks
    /// (`scenegen generate --masks`); otherwise the loader throws
    /// ``DataLoaderError/missingMasks(path:)``.
    public var queryMasks: Bool
    /// Whether each batch carries its scenes' ground truth (``GQNBatch/labels``), for probes.
    public var labels: Bool

    /// Creates a configuration.
    /// - Parameters:
    ///   - directory: The dataset directory.
    ///   - split: The split to read.
    ///   - batchSize: Scenes per batch.
    ///   - context: Context views per scene.
    ///   - seed: The seed of the order and the per-sample draws.
    ///   - shuffle: Whether to shuffle.
    ///   - shuffleBufferSize: Shuffle buffer capacity in scenes.
    ///   - rank: This process's rank.
    ///   - worldSize: How many ranks share each epoch.
    ///   - prefetchBatches: Batches decoded ahead.
    ///   - decodeThreads: Background decoding threads.
    ///   - dropLast: Whether to drop final partial batches.
    ///   - corruptRecords: The corruption policy.
    ///   - firstEpoch: The first epoch.
    ///   - epochs: How many epochs, or nil for no end.
    ///   - queryMasks: Whether batches carry the query views' instance masks.
    ///   - labels: Whether batches carry the scenes' ground truth.
    public init(
        directory: URL, split: String = "train", batchSize: Int = 16, context: ContextCount = .fixed(3),
        seed: UInt64 = 0, shuffle: Bool = true, shuffleBufferSize: Int = 10_000, rank: Int = 0, worldSize: Int = 1,
        prefetchBatches: Int = 4, decodeThreads: Int = 2, dropLast: Bool = false,
        corruptRecords: CorruptRecordPolicy = .fail, firstEpoch: Int = 0, epochs: Int? = 1, queryMasks: Bool = false,
        labels: Bool = false
    ) {
        self.directory = directory
        self.split = split
        self.batchSize = batchSize
        self.context = context
        self.seed = seed
        self.shuffle = shuffle
        self.shuffleBufferSize = shuffleBufferSize
        self.rank = rank
        self.worldSize = worldSize
        self.prefetchBatches = prefetchBatches
        self.decodeThreads = decodeThreads
        self.dropLast = dropLast
        self.corruptRecords = corruptRecords
        self.firstEpoch = firstEpoch
        self.epochs = epochs
        self.queryMasks = queryMasks
        self.labels = labels
    }

    /// Throws the first setting that is out of range.
    func validate() throws(DataLoaderError) {
        func reject(_ field: String, _ expected: String, _ found: String) -> DataLoaderError {
            .invalidConfiguration(field: field, expected: expected, found: found)
        }
        guard batchSize >= 1 else { throw reject("batchSize", "at least 1", "\(batchSize)") }
        guard context.minimum >= 1, context.minimum <= context.maximum else {
            throw reject("context", "K >= 1 (or a range 1...Kmax)", "\(context)")
        }
        guard shuffleBufferSize >= 1 else { throw reject("shuffleBufferSize", "at least 1", "\(shuffleBufferSize)") }
        guard worldSize >= 1 else { throw reject("worldSize", "at least 1", "\(worldSize)") }
        guard (0..<worldSize).contains(rank) else { throw reject("rank", "0..<\(worldSize)", "\(rank)") }
        guard prefetchBatches >= 1 else { throw reject("prefetchBatches", "at least 1", "\(prefetchBatches)") }
        guard decodeThreads >= 1 else { throw reject("decodeThreads", "at least 1", "\(decodeThreads)") }
        guard firstEpoch >= 0 else { throw reject("firstEpoch", "at least 0", "\(firstEpoch)") }
        if let epochs, epochs < 0 { throw reject("epochs", "at least 0 or nil", "\(epochs)") }
    }
}

extension LoaderConfiguration {
    /// The views scene `sceneIndex` contributes to a batch of `epoch` with `contextCount`
    /// context views: element 0 is the query, elements `1...contextCount` the context views,
    /// as ``GQNLoader`` picks them (a pure function of the seed, the epoch and the scene).
    /// Other readers of the same dataset (the Python package's loader) check their choice
    /// against this.
    /// - Parameters:
    ///   - sceneIndex: The scene's index in the dataset.
    ///   - epoch: The epoch.
    ///   - viewsPerScene: The dataset's views per scene.
    ///   - contextCount: The batch's `K`, at most ``context``'s maximum.
    /// - Returns: `contextCount + 1` distinct view numbers in `0..<viewsPerScene`.
    public func views(ofScene sceneIndex: UInt64, epoch: Int, viewsPerScene: Int, contextCount: Int) -> [Int] {
        Array(BatchAssembler.viewChoice(viewsPerScene: viewsPerScene, picks: context.maximum + 1, seed: seed,
                                        epoch: epoch, sceneIndex: sceneIndex).prefix(contextCount + 1))
    }
}
