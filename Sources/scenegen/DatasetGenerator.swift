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
    /// - Parameter progress: called with the number of scenes finished (1 at a time).
    func write(_ shard: GenerationPlan.Shard, to url: URL, progress: (Int) -> Void) throws -> ShardEntry {
        AtomicFile.removeAbandonedTemporaries(in: url.deletingLastPathComponent(), of: url.lastPathComponent)
        let writer = try ShardWriter(url: url, schema: schema)
        let (family, seed, builder, first) = (family, seed, builder, shard.scenes.lowerBound)
        try OrderedPipeline<SceneRecord>.run(
            count: shard.scenes.count, threads: threads, window: threads * 4,
            produce: { offset in try builder.record(for: family.sample(index: first + offset, seed: seed)) },
            consume: { record in
                try writer.append(record)
                progress(1)
            })
        return ShardEntry(summary: try writer.finish(), split: shard.split, firstSceneIndex: UInt64(first))
    }

    /// Checks a shard that an earlier run wrote: structure, every CRC, scene indices,
    /// record count; then returns its manifest entry.
    /// - Throws: a message naming the shard and the problem; the file is left in place.
    static func verifyExisting(_ shard: GenerationPlan.Shard, at url: URL, schema: DatasetSchema) throws -> ShardEntry {
        let reader = try ShardReader(url: url)
        var problems = reader.problems(firstSceneIndex: UInt64(shard.scenes.lowerBound)).map(\.description)
        if reader.schema != schema { problems.append("its schema differs from this dataset's") }
        if reader.count != shard.scenes.count {
            problems.append("expected \(shard.scenes.count) records, found \(reader.count)")
        }
        guard problems.isEmpty else {
            throw ValidationError("""
                existing shard \(url.path) is not valid: \(problems.prefix(3).joined(separator: "; ")). \
                Delete it and re-run to regenerate it.
                """)
        }
        let (size, sha256) = try FileDigest.sizeAndSHA256(of: url)
        return ShardEntry(file: shard.fileName, split: shard.split, firstSceneIndex: UInt64(shard.scenes.lowerBound),
                          recordCount: reader.count, byteSize: size, sha256: sha256)
    }
}
