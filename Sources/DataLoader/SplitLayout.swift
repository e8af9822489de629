import Foundation
import ShardFormat

/// The shards of one split, checked against the manifest: sorted by first scene index and
/// covering the split's scenes exactly once.
struct SplitLayout: Sendable {
    /// One shard of the split.
    struct Shard: Sendable {
        /// The manifest's entry.
        var entry: ShardEntry
        /// The file, resolved with ``Manifest/shardURL(for:in:)`` (never trusted as written).
        var url: URL
    }

    /// The dataset's schema (every shard must have it).
    let schema: DatasetSchema
    /// The split's shards in scene-index order.
    let shards: [Shard]
    /// The split's scene count, `N`.
    let sceneCount: Int
    /// The split's first scene index.
    let firstSceneIndex: UInt64

    /// Reads `directory/manifest.json` and lays out `split`.
    /// - Throws: `.manifest` when the manifest is unreadable or names an unsafe path,
    ///   `.unknownSplit`, or `.datasetMismatch` when the shards do not cover the split exactly.
    init(directory: URL, split: String) throws(DataLoaderError) {
        let manifestURL = directory.appendingPathComponent(Manifest.fileName)
        let manifest: Manifest
        do {
            manifest = try Manifest.load(from: manifestURL)
        } catch {
            throw .manifest(path: manifestURL.path, reason: error.description)
        }
        guard let splitEntry = manifest.splits.first(where: { $0.name == split }) else {
            throw .unknownSplit(name: split, available: manifest.splits.map(\.name))
        }
        var shards: [Shard] = []
        guard manifest.shards.count <= Int(Int32.max) else {
            throw .datasetMismatch(path: manifestURL.path, field: "shards", expected: "at most \(Int32.max)",
                                   found: "\(manifest.shards.count)")
        }
        for entry in manifest.shards where entry.split == split {
            do {
                shards.append(Shard(entry: entry, url: try manifest.shardURL(for: entry, in: directory)))
            } catch {
                throw .manifest(path: manifestURL.path, reason: error.description)
            }
        }
        shards.sort { $0.entry.firstSceneIndex < $1.entry.firstSceneIndex }
        // Exactly once: contiguous from the split's first scene to its end, no gaps, no overlaps.
        var expected = splitEntry.firstSceneIndex
        for shard in shards {
            guard (0...Int(Int32.max)).contains(shard.entry.recordCount) else {
                throw .datasetMismatch(path: manifestURL.path, field: "shards[\(shard.entry.file)].recordCount",
                                       expected: "0...\(Int32.max)", found: "\(shard.entry.recordCount)")
            }
            guard shard.entry.firstSceneIndex == expected else {
                throw .datasetMismatch(
                    path: manifestURL.path, field: "shards[\(shard.entry.file)].firstSceneIndex",
                    expected: "\(expected) (the shards of split \(split) tile its scenes)",
                    found: "\(shard.entry.firstSceneIndex) with \(shard.entry.recordCount) records")
            }
            expected += UInt64(shard.entry.recordCount)
        }
        guard expected == splitEntry.firstSceneIndex + splitEntry.sceneCount else {
            throw .datasetMismatch(
                path: manifestURL.path, field: "split \(split)",
                expected: "\(splitEntry.sceneCount) scenes from \(splitEntry.firstSceneIndex)",
                found: "shards covering \(expected - splitEntry.firstSceneIndex)")
        }
        self.schema = manifest.schema
        self.shards = shards
        self.sceneCount = Int(splitEntry.sceneCount)
        self.firstSceneIndex = splitEntry.firstSceneIndex
    }

    /// The scene index of record `record` of shard `shard`.
    func sceneIndex(of sample: SampleReference) -> UInt64 {
        shards[Int(sample.shard)].entry.firstSceneIndex + UInt64(sample.record)
    }
}

/// A record of the split: shard ordinal (in ``SplitLayout/shards``) and record number.
struct SampleReference: Hashable, Sendable {
    var shard: Int32
    var record: Int32
}
