import Foundation
import ShardFormat

/// Streams shuffled, decoded GQN batches from a dataset's shards.
///
/// The order of scenes, each scene's context and query views, and each batch's context count
/// are pure functions of (seed, epoch, manifest): two loaders with the same configuration give
/// the same batches, and a loader resumed from a saved ``state`` gives exactly the batches an
/// uninterrupted one would have given next. Decoding runs on background threads ahead of the
/// consumer; ``stop()`` (or releasing the loader) ends them.
///
/// ```swift
/// let loader = try GQNLoader(configuration: configuration, resumingFrom: checkpoint?.loaderState)
/// while let batch = try loader.next() {
///     train(on: batch)
///     if step % 1000 == 0 { save(loader.state) }
/// }
/// ```
///
/// One consumer: call ``next()`` from one thread at a time.
public final class GQNLoader {
    /// The configuration the loader was made with.
    public let configuration: LoaderConfiguration
    /// The dataset's schema.
    public let schema: DatasetSchema
    /// The number of scenes in the split.
    public let sceneCount: Int
    /// Where the stream stands after the last batch ``next()`` returned.
    public private(set) var state: LoaderState
    /// Records skipped as corrupt so far (policy ``LoaderConfiguration/CorruptRecordPolicy/skip``),
    /// counted as their batches are returned.
    public private(set) var skippedRecords = 0

    let pipeline: DecodePipeline
    private var failure: DataLoaderError?

    /// Opens the dataset, lays out the split's epochs for this rank and starts decoding.
    /// - Parameters:
    ///   - configuration: What to read and how.
    ///   - state: A state saved from ``state``, or nil to start at the configuration's first epoch.
    /// - Throws: ``DataLoaderError``: `.invalidConfiguration`, `.manifest`, `.unknownSplit`,
    ///   `.datasetMismatch` (the manifest's shards do not tile the split),
    ///   `.stateMismatch` (the state has another seed or scene count, or an impossible position), or
    ///   `.missingMasks` (query masks asked of a dataset without masks).
    public init(configuration: LoaderConfiguration, resumingFrom state: LoaderState? = nil) throws(DataLoaderError) {
        try configuration.validate()
        let layout = try SplitLayout(directory: configuration.directory, split: configuration.split)
        guard configuration.context.maximum + 1 <= layout.schema.viewsPerScene else {
            throw .invalidConfiguration(
                field: "context", expected: "at most \(layout.schema.viewsPerScene - 1) views (the dataset has "
                    + "\(layout.schema.viewsPerScene) per scene, one is the query)",
                found: "up to \(configuration.context.maximum)")
        }
        if configuration.queryMasks, !layout.schema.hasMasks {
            throw .missingMasks(path: configuration.directory.appendingPathComponent(Manifest.fileName).path)
        }
        let planner = try BatchPlanner(layout: layout, configuration: configuration, state: state)
        self.configuration = configuration
        self.schema = layout.schema
        self.sceneCount = layout.sceneCount
        self.state = state ?? LoaderState(epoch: configuration.firstEpoch, position: 0, seed: configuration.seed,
                                          sceneCount: layout.sceneCount)
        let assembler = BatchAssembler(layout: layout, shards: ShardCache(layout: layout), seed: configuration.seed,
                                       maximumContext: configuration.context.maximum, policy: configuration.corruptRecords,
                                       queryMasks: configuration.queryMasks, labels: configuration.labels)
        pipeline = DecodePipeline(planner: planner, assembler: assembler, prefetchBatches: configuration.prefetchBatches,
                                  threads: configuration.decodeThreads)
    }

    deinit {
        pipeline.stop()
    }

    /// The next batch, waiting for it to be decoded; nil after the last epoch or after ``stop()``.
    /// - Throws: ``DataLoaderError/corruptRecord(shard:record:offset:reason:)`` or
    ///   `.unreadableShard` under the `.fail` policy; the loader then stops and throws the
    ///   same error on every later call.
    public func next() throws(DataLoaderError) -> GQNBatch? {
        if let failure { throw failure }
        while let outcome = pipeline.next() {
            switch outcome {
            case .failure(let error):
                failure = error
                pipeline.stop()
                throw error
            case .success(let built):
                state = built.stateAfter
                skippedRecords += built.skipped
                if let batch = built.batch { return batch }
            }
        }
        // The last epoch is over. A rank that got no batch in it has seen no batch's state: the
        // state after the run is the same on every rank.
        if let epochs = configuration.epochs, pipeline.isExhausted {
            state = LoaderState(epoch: configuration.firstEpoch + epochs, position: 0, seed: configuration.seed,
                                sceneCount: sceneCount)
        }
        return nil
    }

    /// Stops the decoding threads and waits for them to exit; ``next()`` then returns nil.
    /// Releasing the loader does the same.
    public func stop() {
        pipeline.stop()
    }
}
