/// Why a `shardtool` command could not do what was asked, beyond what ``/ShardFormat/ShardFormatError``
/// already says about the files themselves.
///
/// Every case names the path it is about and what was expected; ``description`` is the
/// one-line message the command prints.
public enum ShardToolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing exists at `path`.
    case noSuchPath(path: String)
    /// `path` is a directory without a `manifest.json`; `hint` says what it holds instead.
    case notADataset(path: String, hint: String)
    /// A record or scene index that the dataset or shard does not hold.
    case recordOutOfRange(path: String, record: UInt64, available: String)
    /// `--shard` named a file the manifest does not list.
    case noSuchShard(path: String, name: String, available: [String])
    /// An option that does not apply to this kind of input.
    case notApplicable(path: String, option: String, reason: String)
    /// A stored image could not be decoded or re-encoded.
    case badImage(path: String, record: Int, view: Int, reason: String)
    /// A record holds another scene than the manifest says it should.
    case sceneIndexMismatch(path: String, record: Int, expected: UInt64, found: UInt64)
    /// `merge` found no partial manifests to merge.
    case noPartialManifests(directory: String)
    /// `merge` would replace a `manifest.json` that differs from the merged one.
    case differentManifestExists(path: String)
    /// `--dataset` named none of DeepMind's GQN datasets.
    case unknownGQNDataset(name: String, available: [String])
    /// A dataset or a TFRecord does not fit the GQN dataset `dataset`: `field` (image size,
    /// views, frames, cameras) was expected to be `expected`.
    case gqnMismatch(path: String, dataset: String, field: String, expected: String, found: String)
    /// An import source holds none of the files the GQN dataset's reader expects.
    case noGQNFiles(path: String, dataset: String, expected: String)
    /// An import's output directory holds another import (or other files); `reason` says what differs.
    case importConflict(path: String, reason: String)

    public var description: String {
        switch self {
        case .noSuchPath(let path):
            return "\(path): no such file or directory: expected a dataset directory or a .gqnshard file"
        case .notADataset(let path, let hint):
            return "\(path): no manifest.json: expected a dataset directory holding manifest.json or a .gqnshard file, found \(hint)"
        case .recordOutOfRange(let path, let record, let available):
            return "\(path): record \(record) out of range: expected \(available)"
        case .noSuchShard(let path, let name, let available):
            let listed = available.count <= 6 ? available.joined(separator: ", ")
                : available.prefix(3).joined(separator: ", ") + ", ... (\(available.count) shards)"
            return "\(path): --shard \(name): expected a shard the manifest lists (\(listed)), found no such entry"
        case .notApplicable(let path, let option, let reason):
            return "\(path): \(option) does not apply: \(reason)"
        case .badImage(let path, let record, let view, let reason):
            return "\(path): record \(record), view \(view): cannot decode image: \(reason)"
        case .sceneIndexMismatch(let path, let record, let expected, let found):
            return "\(path): record \(record): sceneIndex: expected \(expected) (manifest), found \(found)"
        case .noPartialManifests(let directory):
            return "\(directory): expected partial manifests (manifest.worker-*-of-*.json), found none"
        case .unknownGQNDataset(let name, let available):
            return "--dataset \(name): expected one of \(available.joined(separator: ", ")), found \(name)"
        case .gqnMismatch(let path, let dataset, let field, let expected, let found):
            return "\(path): \(field) does not fit GQN dataset \(dataset): expected \(expected), found \(found)"
        case .noGQNFiles(let path, let dataset, let expected):
            return "\(path): no TFRecord files of GQN dataset \(dataset): expected \(expected)"
        case .importConflict(let path, let reason):
            return "\(path): \(reason); re-run with the same source and --dataset to resume, or use another --out"
        case .differentManifestExists(let path):
            return "\(path): already exists and differs from the merged manifest; refusing to replace it (use --force)"
        }
    }
}
