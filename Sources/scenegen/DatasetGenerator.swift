import ArgumentParser
import Foundation
import SceneFamilies
import ShardFormat

/// Renders scenes in parallel and writes them, in index order, into shard files.
struct DatasetGenerator: Sendable {
    let family: SceneFamily
    let seed: UInt64
    let schema: DatasetSchema
    let builder: SceneRecordBuilder
    let threads: Int

    /// Renders the shard's scenes on the worker threads (one scene per thread at a time)
    /// and appends them in index order as they complete. The file appears under its final
    /// name only when complete.
    /// - Parameters:
    ///   - shard: The shard's split, scenes and file name.
    ///   - url: Where the finished shard goes.
    ///   - progress: Called with the number of scenes finished (1 at a time).
    ///   - clock: Where to add each stage's thread CPU time (`scenegen bench --family`), or nil.
    func write(_ shard: GenerationPlan.Shard, to url: URL, clock: StageClock? = nil,
               progress: (Int) -> Void) throws -> ShardEntry {
        AtomicFile.removeAbandonedTemporaries(in: url.deletingLastPathComponent(), of: url.lastPathComponent)
        let writer = try ShardWriter(url: url, schema: schema)
        let (family, seed, builder, first) = (family, seed, builder, shard.scenes.lowerBound)
        try OrderedPipeline<SceneRecord>.run(
            count: shard.scenes.count, threads: threads, window: threads * 4,
            produce: { offset in
                let sampled = family.sample(index: first + offset, seed: seed)
                guard let clock else { return try builder.record(for: sampled) }
                let (views, render) = StageClock.measure { builder.renderViews(of: sampled) }
                let (record, encode) = try StageClock.measure { try builder.record(for: sampled, rendered: views) }
                clock.addWorker(render: render, encode: encode)
                return record
            },
            consume: { record in
                let (_, write) = try StageClock.measure { try writer.append(record) }
                clock?.addWrite(write)
                progress(1)
            })
        let (summary, publish) = try StageClock.measure { try writer.finish() }
        clock?.addWrite(publish)
        return ShardEntry(summary: summary, split: shard.split, firstSceneIndex: UInt64(first))
    }

    /// Samples and renders the shard's scenes exactly as ``write(_:to:clock:progress:)`` does, on
    /// the same workers, but encodes and writes nothing: the pipeline's render-only baseline.
    /// - Returns: the elapsed seconds.
    func renderOnly(_ shard: GenerationPlan.Shard) throws -> Double {
        let (family, seed, builder, first) = (family, seed, builder, shard.scenes.lowerBound)
        let start = DispatchTime.now().uptimeNanoseconds
        try OrderedPipeline<Int>.run(
            count: shard.scenes.count, threads: threads, window: threads * 4,
            produce: { offset in builder.renderViews(of: family.sample(index: first + offset, seed: seed)).count },
            consume: { _ in })
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Checks a shard that an earlier run wrote: structure, every CRC, scene indices,
    /// record count; then returns its manifest entry.
    /// - Throws: a message naming the shard and the problem; the file is left in place.
    static func verifyExisting(_ shard: GenerationPlan.Shard, at url: URL, schema: DatasetSchema) throws -> ShardEntry {
        try ShardEntry(verifyingExisting: url, split: shard.split, firstSceneIndex: UInt64(shard.scenes.lowerBound),
                       recordCount: shard.scenes.count, schema: schema)
    }
}
