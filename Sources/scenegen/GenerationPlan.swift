import ArgumentParser
import Foundation
import ShardFormat

/// Everything that determines a dataset's bytes, and the shards it is cut into.
///
/// Written to `generation.json` in the dataset directory by the first run; every later run
/// into the same directory (a resume, or another worker) must ask for exactly the same
/// plan, so that datasets are never silently mixed.
struct GenerationPlan: Codable, Equatable {
    /// One shard to write: which split, which scenes, which file.
    struct Shard: Equatable {
        var ordinal: Int
        var split: String
        var fileName: String
        var scenes: Range<Int>
    }

    var generator: String
    var familySpec: ShardFormat.JSONValue
    var seed: UInt64
    var scenes: Int
    var shardSize: Int
    var splits: [DatasetSplit]
    var schema: DatasetSchema
    var workerCount: Int

    static let fileName = "generation.json"

    /// Contiguous splits in the order given: each but the last gets `round(fraction * scenes)`,
    /// the last the rest.
    static func splits(_ request: [(name: String, fraction: Double)], scenes: Int) -> [DatasetSplit] {
        var first = 0
        return request.enumerated().map { offset, split in
            let count = offset == request.count - 1 ? scenes - first : min(Int((split.fraction * Double(scenes)).rounded()), scenes - first)
            defer { first += count }
            return DatasetSplit(name: split.name, firstSceneIndex: UInt64(first), sceneCount: UInt64(count))
        }
    }

    /// The shards in global order: split by split, `shardSize` scenes each in index order.
    var shards: [Shard] {
        var shards: [Shard] = []
        for split in splits {
            let count = Int(split.sceneCount), first = Int(split.firstSceneIndex)
            let shardCount = (count + shardSize - 1) / shardSize
            for index in 0..<shardCount {
                let start = first + index * shardSize
                shards.append(Shard(ordinal: shards.count, split: split.name,
                                    fileName: ShardName.fileName(split: split.name, index: index, count: shardCount),
                                    scenes: start..<min(start + shardSize, first + count)))
            }
        }
        return shards
    }

    /// Fields in which `other` differs from this plan, as `--option` descriptions.
    func differences(from other: GenerationPlan) -> [String] {
        var fields: [String] = []
        if familySpec != other.familySpec { fields.append("the family spec (--family, --size, --views, --spp)") }
        if seed != other.seed { fields.append("--seed (\(other.seed) there, \(seed) here)") }
        if scenes != other.scenes { fields.append("--scenes (\(other.scenes) there, \(scenes) here)") }
        if shardSize != other.shardSize { fields.append("--shard-size (\(other.shardSize) there, \(shardSize) here)") }
        if splits != other.splits { fields.append("--split") }
        if schema != other.schema { fields.append("the image schema (--size, --views, --depth, --masks, --encoding)") }
        if workerCount != other.workerCount { fields.append("--worker-count (\(other.workerCount) there, \(workerCount) here)") }
        if generator != other.generator { fields.append("the generator version (\(other.generator) there, \(generator) here)") }
        return fields
    }

    /// Records this plan in `directory`, or checks it against the one recorded there.
    /// - Throws: a validation error naming every differing argument.
    func claim(_ directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = try encoder.encode(self)
        if let existing = try? Data(contentsOf: url) {
            let recorded: GenerationPlan
            do {
                recorded = try JSONDecoder().decode(GenerationPlan.self, from: existing)
            } catch {
                throw ValidationError("\(url.path): unreadable generation record (\(error)); use a fresh --out directory")
            }
            let differences = differences(from: recorded)
            guard differences.isEmpty else {
                throw ValidationError("""
                    \(directory.path) holds a dataset generated with other arguments: \
                    \(differences.joined(separator: "; ")). Re-run with the same arguments to resume, or use another --out.
                    """)
            }
            return
        }
        let shardFiles = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix("." + ShardName.fileExtension) || $0 == Manifest.fileName }
        guard shardFiles.isEmpty else {
            throw ValidationError("\(directory.path) already holds \(shardFiles.count) dataset files but no \(Self.fileName): refusing to mix datasets; use another --out")
        }
        try AtomicFile.save(Array(bytes), to: url)
    }
}
