import Foundation
import ShardFormat

/// What a `shardtool` PATH names: a dataset directory with its manifest, or a single shard.
///
/// Record numbers mean different things for the two: in a dataset they are global scene
/// indices (found through each shard's `firstSceneIndex` and `recordCount` in the manifest);
/// in a single shard they are record positions, `0..<count`.
public enum DatasetInput: Sendable {
    /// A dataset directory and its `manifest.json`.
    case dataset(directory: URL, manifest: Manifest)
    /// One shard file, opened (header, trailer and index checked).
    case shard(ShardReader)

    /// Opens a dataset directory (or its `manifest.json`) or a shard file.
    /// - Throws: ``ShardToolError/noSuchPath(path:)``, ``ShardToolError/notADataset(path:hint:)``
    ///   for a directory without a manifest, or the ``/ShardFormat/ShardFormatError`` of a manifest or
    ///   shard that cannot be read.
    public static func open(path: String) throws -> DatasetInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ShardToolError.noSuchPath(path: path)
        }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue {
            let manifestURL = url.appendingPathComponent(Manifest.fileName)
            guard FileManager.default.fileExists(atPath: manifestURL.path) else {
                throw ShardToolError.notADataset(path: path, hint: describeContents(of: url))
            }
            return .dataset(directory: url, manifest: try Manifest.load(from: manifestURL))
        }
        if url.lastPathComponent == Manifest.fileName {
            return .dataset(directory: url.deletingLastPathComponent(), manifest: try Manifest.load(from: url))
        }
        return .shard(try ShardReader(url: url))
    }

    /// The path the input was opened from (the directory for a dataset).
    public var path: String {
        switch self {
        case .dataset(let directory, _): return directory.path
        case .shard(let reader): return reader.url.path
        }
    }

    /// The schema: the manifest's for a dataset, the header's for a shard.
    public var schema: DatasetSchema {
        switch self {
        case .dataset(_, let manifest): return manifest.schema
        case .shard(let reader): return reader.schema
        }
    }

    /// Scenes stored: the sum of the manifest's record counts, or the shard's record count.
    public var sceneCount: Int {
        switch self {
        case .dataset(_, let manifest): return manifest.shards.reduce(0) { $0 + $1.recordCount }
        case .shard(let reader): return reader.count
        }
    }

    /// Reads one record.
    /// - Parameters:
    ///   - number: For a dataset, the global scene index (or, with `shard`, the position in
    ///     that shard); for a shard file, the record position.
    ///   - shard: A shard file name the manifest lists; only for datasets.
    /// - Returns: The record, with the shard it came from and its position there.
    /// - Throws: ``ShardToolError`` when the number is out of range or `shard` is not listed,
    ///   and the reader's ``/ShardFormat/ShardFormatError`` for a bad record.
    public func record(_ number: UInt64, shard: String? = nil) throws -> LocatedRecord {
        switch self {
        case .shard(let reader):
            if shard != nil {
                throw ShardToolError.notApplicable(path: path, option: "--shard",
                                                   reason: "expected a dataset directory, found a single shard file")
            }
            guard number < UInt64(reader.count) else {
                throw ShardToolError.recordOutOfRange(path: path, record: number, available: "a record position in 0..<\(reader.count)")
            }
            return LocatedRecord(record: try reader.record(at: Int(number)), shardURL: reader.url, position: Int(number))
        case .dataset(let directory, let manifest):
            if let shard {
                guard let entry = manifest.shards.first(where: { $0.file == shard || URL(fileURLWithPath: $0.file).lastPathComponent == shard }) else {
                    throw ShardToolError.noSuchShard(path: path, name: shard, available: manifest.shards.map(\.file))
                }
                guard number < UInt64(entry.recordCount) else {
                    throw ShardToolError.recordOutOfRange(
                        path: path, record: number, available: "a record position in 0..<\(entry.recordCount) of \(entry.file)")
                }
                return try Self.read(entry: entry, position: Int(number), manifest: manifest, directory: directory)
            }
            guard let entry = manifest.shards.first(where: { $0.sceneRange.contains(number) }) else {
                throw ShardToolError.recordOutOfRange(path: path, record: number, available: "a scene index in \(describeSceneIndices(manifest))")
            }
            return try Self.read(entry: entry, position: Int(number - entry.firstSceneIndex), manifest: manifest, directory: directory)
        }
    }

    /// Streams records one at a time, in order, holding one in memory at a time.
    /// - Parameters:
    ///   - range: Global scene indices for a dataset, record positions for a shard; every
    ///     one must be present. Nil means every record (a dataset's in manifest order).
    ///   - body: Called with each record.
    /// - Throws: ``ShardToolError/recordOutOfRange(path:record:available:)`` before reading
    ///   anything when `range` is not all present; a record's ``/ShardFormat/ShardFormatError``; what
    ///   `body` throws.
    public func forEachRecord(in range: Range<UInt64>? = nil, _ body: (LocatedRecord) throws -> Void) throws {
        switch self {
        case .shard(let reader):
            let positions = range ?? 0..<UInt64(reader.count)
            if positions.upperBound > UInt64(reader.count) {
                throw ShardToolError.recordOutOfRange(path: path, record: max(positions.lowerBound, UInt64(reader.count)),
                                                      available: "record positions in 0..<\(reader.count)")
            }
            for position in positions {
                try body(LocatedRecord(record: try reader.record(at: Int(position)), shardURL: reader.url, position: Int(position)))
            }
        case .dataset(let directory, let manifest):
            var selections: [(entry: ShardEntry, positions: Range<Int>)] = []
            if let range {
                var covered: UInt64 = 0
                for entry in manifest.shards.sorted(by: { $0.firstSceneIndex < $1.firstSceneIndex }) {
                    let overlap = entry.sceneRange.clamped(to: range)
                    guard !overlap.isEmpty else { continue }
                    covered += UInt64(overlap.count)
                    let first = overlap.lowerBound - entry.firstSceneIndex
                    selections.append((entry, Int(first)..<Int(first) + overlap.count))
                }
                if covered != UInt64(range.count) {
                    let missing = range.first { index in !manifest.shards.contains { $0.sceneRange.contains(index) } } ?? range.lowerBound
                    throw ShardToolError.recordOutOfRange(path: path, record: missing,
                                                          available: "scene indices in \(describeSceneIndices(manifest))")
                }
            } else {
                selections = manifest.shards.map { ($0, 0..<$0.recordCount) }
            }
            for (entry, positions) in selections {
                let reader = try ShardReader(url: manifest.shardURL(for: entry, in: directory))
                for position in positions {
                    try body(try Self.read(entry: entry, position: position, reader: reader))
                }
            }
        }
    }

    private static func read(entry: ShardEntry, position: Int, manifest: Manifest, directory: URL) throws -> LocatedRecord {
        try read(entry: entry, position: position, reader: ShardReader(url: manifest.shardURL(for: entry, in: directory)))
    }

    /// Reads record `position` of a manifest's shard and checks it holds the scene the
    /// manifest promises.
    private static func read(entry: ShardEntry, position: Int, reader: ShardReader) throws -> LocatedRecord {
        let record = try reader.record(at: position)
        let expected = entry.firstSceneIndex + UInt64(position)
        guard record.sceneIndex == expected else {
            throw ShardToolError.sceneIndexMismatch(path: reader.url.path, record: position, expected: expected, found: record.sceneIndex)
        }
        return LocatedRecord(record: record, shardURL: reader.url, position: position)
    }

    /// The dataset's scene indices as ranges, for example `0..<80, 80..<100`, merged where
    /// shards are adjacent.
    private func describeSceneIndices(_ manifest: Manifest) -> String {
        var ranges: [Range<UInt64>] = []
        for range in manifest.shards.map(\.sceneRange).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = ranges.last, last.upperBound >= range.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        return ranges.isEmpty ? "an empty dataset (no records)" : ranges.map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ", ")
    }

    /// What a directory without a manifest holds, for the error message.
    private static func describeContents(of directory: URL) -> String {
        if let partials = try? Manifest.partialManifestURLs(in: directory), !partials.isEmpty {
            return "\(partials.count) partial manifests (run `shardtool merge \(directory.path)` first)"
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let shards = names.filter { $0.hasSuffix("." + ShardName.fileExtension) && !$0.hasPrefix(".") }
        if !shards.isEmpty {
            return "\(shards.count) .\(ShardName.fileExtension) files but no manifest (pass one shard file instead)"
        }
        return "no manifest and no shard files"
    }
}

/// A record together with where it was read from.
public struct LocatedRecord: Sendable {
    /// The decoded record.
    public var record: SceneRecord
    /// The shard file holding it.
    public var shardURL: URL
    /// Its position in that shard.
    public var position: Int
}

extension ShardEntry {
    /// The scene indices the shard holds: `firstSceneIndex ..< firstSceneIndex + recordCount`.
    var sceneRange: Range<UInt64> {
        let (end, overflow) = firstSceneIndex.addingReportingOverflow(UInt64(max(0, recordCount)))
        return firstSceneIndex..<(overflow ? .max : end)
    }
}
