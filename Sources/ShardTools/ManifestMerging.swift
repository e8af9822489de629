import Foundation
import ShardFormat

/// `shardtool merge`: the partial manifests of a distributed generation into `manifest.json`.
public enum ManifestMerging {
    /// What a merge did.
    public struct Outcome: Sendable {
        /// The partial manifests merged, sorted by name.
        public var partials: [URL]
        /// The full manifest.
        public var manifest: Manifest
        /// Where it is.
        public var manifestURL: URL
        /// Whether an identical `manifest.json` was already there (nothing was written).
        public var wasUpToDate: Bool
        /// Whether a different `manifest.json` was replaced (`force`).
        public var replacedDifferent: Bool

        /// What was merged: the partials, the shard and scene counts, the splits.
        public var summary: String {
            let scenes = manifest.shards.reduce(0) { $0 + $1.recordCount }
            let bytes = manifest.shards.reduce(UInt64(0)) { $0 + $1.byteSize }
            var lines = [
                "merged \(partials.count) partial manifest\(partials.count == 1 ? "" : "s"): "
                    + partials.map(\.lastPathComponent).joined(separator: ", "),
                "\(manifest.shards.count) shards, \(scenes) scenes, \(DatasetInfo.humanBytes(bytes)); splits: "
                    + manifest.splits.map { "\($0.name) \($0.firstSceneIndex)..<\($0.firstSceneIndex + $0.sceneCount)" }
                        .joined(separator: ", "),
            ]
            if wasUpToDate {
                lines.append("\(manifestURL.path) already holds this manifest; nothing written")
            } else {
                lines.append("wrote \(manifestURL.path)" + (replacedDifferent ? " (replaced a different manifest, --force)" : ""))
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Merges the partial manifests in `directory` (checking them against each other and
    /// the shard files, see `Manifest.merge(partialManifestsAt:datasetDirectory:)`) and
    /// writes `manifest.json` atomically.
    /// - Parameters:
    ///   - directory: The dataset directory.
    ///   - force: Whether a different existing `manifest.json` may be replaced.
    /// - Returns: What was merged and whether anything was written.
    /// - Throws: ``ShardToolError/noPartialManifests(directory:)``,
    ///   ``ShardToolError/differentManifestExists(path:)``, or the ``/ShardFormat/ShardFormatError`` of
    ///   the first inconsistency (a missing worker, a shard of the wrong size, ...).
    public static func merge(in directory: URL, force: Bool = false) throws -> Outcome {
        let partials = try Manifest.partialManifestURLs(in: directory)
        guard !partials.isEmpty else { throw ShardToolError.noPartialManifests(directory: directory.path) }
        let merged = try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory)
        let url = directory.appendingPathComponent(Manifest.fileName)
        var outcome = Outcome(partials: partials, manifest: merged, manifestURL: url, wasUpToDate: false, replacedDifferent: false)
        if FileManager.default.fileExists(atPath: url.path) {
            // An unreadable manifest.json counts as different: replaced only with force.
            if let existing = try? Manifest.load(from: url), existing == merged {
                outcome.wasUpToDate = true
                return outcome
            }
            guard force else { throw ShardToolError.differentManifestExists(path: url.path) }
            outcome.replacedDifferent = true
        }
        try merged.write(to: url, replacingExisting: force)
        return outcome
    }
}
