import Foundation
import ShardFormat

/// What `shardtool info` reports: a dataset's or a shard's shape, read from the manifest or
/// the shard header alone (no record is decoded).
public struct DatasetInfo: Codable, Equatable, Sendable {
    /// `"dataset"` or `"shard"`.
    public var kind: String
    /// The path given.
    public var path: String
    /// Scenes stored (the manifest's record counts summed, or the shard's record count).
    public var scenes: Int
    /// Views in every scene.
    public var viewsPerScene: Int
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int
    /// Colour channels.
    public var channels: Int
    /// `"png"` or `"raw"`.
    public var encoding: String
    /// Whether views carry depth images.
    public var hasDepth: Bool
    /// Whether views carry instance masks.
    public var hasMasks: Bool
    /// Shard files (1 for a single shard).
    public var shardCount: Int
    /// Bytes of all shards (the manifest's sizes, or the shard file's size).
    public var totalBytes: UInt64
    /// The splits; datasets only.
    public var splits: [DatasetSplit]?
    /// The generator's name and version; datasets only.
    public var generator: String?
    /// The dataset seed; datasets only.
    public var datasetSeed: UInt64?
    /// Records in the shard; single shards only (equal to ``scenes``).
    public var records: Int?
    /// The shard header's schema; single shards only.
    public var schema: DatasetSchema?

    /// Describes an opened input.
    public init(_ input: DatasetInput) {
        let schema = input.schema
        kind = "dataset"
        path = input.path
        scenes = input.sceneCount
        viewsPerScene = schema.viewsPerScene
        width = schema.width
        height = schema.height
        channels = schema.channels
        encoding = schema.imageEncoding.rawValue
        hasDepth = schema.hasDepth
        hasMasks = schema.hasMasks
        switch input {
        case .dataset(_, let manifest):
            shardCount = manifest.shards.count
            totalBytes = manifest.shards.reduce(0) { $0 + $1.byteSize }
            splits = manifest.splits
            generator = manifest.generator
            datasetSeed = manifest.datasetSeed
        case .shard(let reader):
            kind = "shard"
            shardCount = 1
            totalBytes = UInt64(reader.byteSize)
            records = reader.count
            self.schema = reader.schema
        }
    }

    /// Pretty-printed JSON with sorted keys, ending in a newline.
    public func json() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// The human-readable report: one `key  value` line each, then the splits as a table.
    public func table() -> String {
        var rows: [(String, String)] = [
            (kind, path),
        ]
        if let generator { rows.append(("generator", generator)) }
        if let datasetSeed { rows.append(("seed", "\(datasetSeed)")) }
        if let records { rows.append(("records", "\(records)")) }
        rows += [
            ("scenes", "\(scenes)"),
            ("views/scene", "\(viewsPerScene)"),
            ("image", "\(width)x\(height)x\(channels) \(encoding)"),
            ("depth", hasDepth ? "yes" : "no"),
            ("masks", hasMasks ? "yes" : "no"),
            ("shards", "\(shardCount)"),
            ("bytes", "\(totalBytes) (\(Self.humanBytes(totalBytes)))"),
        ]
        var lines = TextTable.keyValue(rows)
        if let splits, !splits.isEmpty {
            lines.append("")
            lines += TextTable.render(
                header: ["split", "first scene", "scenes"],
                rows: splits.map { [$0.name, "\($0.firstSceneIndex)", "\($0.sceneCount)"] },
                rightAligned: [false, true, true]
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `1.5 MiB`-style sizes.
    static func humanBytes(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
