import Foundation
import ShardFormat

/// What `shardtool verify` found.
public struct VerificationReport: Sendable {
    /// Shards checked (listed ones, whether or not they could be read).
    public var shardsChecked = 0
    /// Records read and found sound or not, over all shards.
    public var scenesChecked = 0
    /// Every problem, one per bad shard, record or manifest field, in manifest order.
    public var problems: [ShardFormatError] = []
    /// Things worth knowing that do not make the dataset unsound (unlisted shard files).
    public var warnings: [String] = []

    /// Whether no problem was found.
    public var isSound: Bool { problems.isEmpty }

    /// `verified N shards, M scenes: OK` or `...: K problems`.
    public var summary: String {
        let shards = "\(shardsChecked) shard\(shardsChecked == 1 ? "" : "s")"
        let scenes = "\(scenesChecked) scene\(scenesChecked == 1 ? "" : "s")"
        let verdict = problems.isEmpty ? "OK" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
        return "verified \(shards), \(scenes): \(verdict)"
    }
}

/// Checks a dataset or a shard from the bytes up.
public enum DatasetVerifier {
    /// Verifies every shard and record.
    ///
    /// For a single shard: every record's length, CRC-32C and structure. For a dataset, per
    /// listed shard: that its path is safe and the file exists with the manifest's byte size
    /// and SHA-256, that its header schema equals the manifest's, that it holds the listed
    /// number of records, and that record `i` is scene `firstSceneIndex + i` and sound.
    /// `.gqnshard` files in the directory that the manifest does not list are warnings.
    /// - Parameters:
    ///   - input: The opened dataset or shard.
    ///   - progress: Called before each shard with (shards done, shards in all, shard name).
    /// - Returns: Every problem found; reads each shard file twice (SHA-256, then records).
    public static func verify(_ input: DatasetInput, progress: (Int, Int, String) -> Void = { _, _, _ in }) -> VerificationReport {
        var report = VerificationReport()
        switch input {
        case .shard(let reader):
            progress(0, 1, reader.url.lastPathComponent)
            report.shardsChecked = 1
            report.scenesChecked = reader.count
            report.problems = reader.problems()
        case .dataset(let directory, let manifest):
            for (done, entry) in manifest.shards.enumerated() {
                progress(done, manifest.shards.count, entry.file)
                report.shardsChecked += 1
                verify(entry, of: manifest, in: directory, into: &report)
            }
            report.warnings = unlistedShardFiles(of: manifest, in: directory).map {
                "\(directory.appendingPathComponent($0).path): a .\(ShardName.fileExtension) file the manifest does not list"
            }
        }
        return report
    }

    private static func verify(_ entry: ShardEntry, of manifest: Manifest, in directory: URL, into report: inout VerificationReport) {
        var single = manifest
        single.shards = [entry]
        let fileProblems = single.checkShardFiles(in: directory)
        report.problems += fileProblems
        let url: URL
        do {
            url = try manifest.shardURL(for: entry, in: directory)
        } catch {
            return  // checkShardFiles reported the unsafe path.
        }
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let reader: ShardReader
        do {
            reader = try ShardReader(url: url)
        } catch {
            report.problems.append(error)
            return
        }
        if reader.schema != manifest.schema {
            report.problems.append(.manifestMismatch(
                path: url.path, field: "schema", expected: "\(describe(manifest.schema)) (manifest)", found: describe(reader.schema)))
        }
        if reader.count != entry.recordCount {
            report.problems.append(.manifestMismatch(
                path: url.path, field: "recordCount", expected: "\(entry.recordCount) (manifest)", found: "\(reader.count)"))
        }
        report.scenesChecked += reader.count
        report.problems += reader.problems(firstSceneIndex: entry.firstSceneIndex)
    }

    /// Names (relative to `directory`) of `.gqnshard` files below it that the manifest does
    /// not list; hidden files (unfinished writes) are skipped.
    static func unlistedShardFiles(of manifest: Manifest, in directory: URL) -> [String] {
        let listed = Set(manifest.shards.map { URL(fileURLWithPath: $0.file, relativeTo: directory).standardizedFileURL.path })
        guard let enumerator = FileManager.default.enumerator(
            at: directory, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else { return [] }
        let root = directory.standardizedFileURL.path
        var unlisted: [String] = []
        for case let url as URL in enumerator where url.pathExtension == ShardName.fileExtension {
            let path = url.standardizedFileURL.path
            if !listed.contains(path) {
                unlisted.append(path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : url.lastPathComponent)
            }
        }
        return unlisted.sorted()
    }

    /// `64x64x3 png, 10 views, depth, masks`.
    static func describe(_ schema: DatasetSchema) -> String {
        var text = "\(schema.width)x\(schema.height)x\(schema.channels) \(schema.imageEncoding.rawValue), \(schema.viewsPerScene) views"
        if schema.hasDepth { text += ", depth" }
        if schema.hasMasks { text += ", masks" }
        return text
    }
}
