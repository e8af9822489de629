import ArgumentParser
import Dispatch
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

    /// Renders the shard's scenes (a batch of scenes across the threads at a time, one
    /// scene per thread) and writes them in order. The file appears under its final name
    /// only when complete.
    /// - Parameter progress: called with the number of scenes finished after each batch.
    func write(_ shard: GenerationPlan.Shard, to url: URL, progress: (Int) -> Void) throws -> ShardEntry {
        Self.removeAbandonedTemporaries(of: url)
        let writer = try ShardWriter(url: url, schema: schema)
        let batchSize = max(threads * 4, 1)
        var start = shard.scenes.lowerBound
        while start < shard.scenes.upperBound {
            let batch = start..<min(start + batchSize, shard.scenes.upperBound)
            for record in try render(batch) {
                try writer.append(record)
            }
            progress(batch.count)
            start = batch.upperBound
        }
        return ShardEntry(summary: try writer.finish(), split: shard.split, firstSceneIndex: UInt64(shard.scenes.lowerBound))
    }

    /// Renders scenes in parallel; results come back in index order.
    func render(_ scenes: Range<Int>) throws -> [SceneRecord] {
        let results = ResultSlots(count: scenes.count)
        let work = { @Sendable (offset: Int) in
            let sampled = family.sample(index: scenes.lowerBound + offset, seed: seed)
            results.store(Result { try builder.record(for: sampled) }, at: offset)
        }
        if threads == 1 {
            for offset in 0..<scenes.count { work(offset) }
        } else {
            let group = DispatchGroup()
            let queue = DispatchQueue(label: "scenegen.render", attributes: .concurrent)
            let limiter = DispatchSemaphore(value: threads)
            for offset in 0..<scenes.count {
                limiter.wait()
                queue.async(group: group) {
                    work(offset)
                    limiter.signal()
                }
            }
            group.wait()
        }
        return try results.values()
    }

    /// Deletes temporary files an interrupted run left for this shard
    /// (`.NAME.partial-PID-RANDOM`), unless the process that owns one is still alive.
    static func removeAbandonedTemporaries(of url: URL) {
        let directory = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
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

/// Slots that parallel workers fill, each its own: no two workers touch the same slot.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<SceneRecord, Error>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ result: Result<SceneRecord, Error>, at index: Int) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    /// The records in order, or the first error.
    func values() throws -> [SceneRecord] {
        try slots.map { slot in
            guard let slot else { throw ValidationError("internal error: a scene was not rendered") }
            return try slot.get()
        }
    }
}
