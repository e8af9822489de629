/// Why a loader could not start or continue.
public enum DataLoaderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration setting is out of range.
    case invalidConfiguration(field: String, expected: String, found: String)
    /// The manifest could not be read, or its shard paths are unsafe; `reason` is ShardFormat's message.
    case manifest(path: String, reason: String)
    /// The manifest has no split of this name.
    case unknownSplit(name: String, available: [String])
    /// The manifest's shards do not cover the split's scenes exactly once, or a shard file
    /// disagrees with its manifest entry.
    case datasetMismatch(path: String, field: String, expected: String, found: String)
    /// A record failed its length, CRC-32C or structure check, or one of its images does not
    /// decode; `offset` is the record's byte offset in the shard file when known.
    case corruptRecord(shard: String, record: Int, offset: UInt64?, reason: String)
    /// A shard file could not be opened or its header, index or trailer is bad.
    case unreadableShard(shard: String, reason: String)
    /// A saved ``LoaderState`` does not fit this configuration or dataset.
    case stateMismatch(field: String, expected: String, found: String)
    /// Query masks were asked for (``LoaderConfiguration/queryMasks``) but the dataset stores
    /// none; `path` is its manifest.
    case missingMasks(path: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let expected, let found):
            return "loader configuration: \(field): expected \(expected), found \(found)"
        case .manifest(let path, let reason):
            return "\(path): \(reason)"
        case .unknownSplit(let name, let available):
            return "split \"\(name)\" not in the manifest: expected one of \(available.joined(separator: ", "))"
        case .datasetMismatch(let path, let field, let expected, let found):
            return "\(path): \(field): expected \(expected), found \(found)"
        case .corruptRecord(let shard, let record, let offset, let reason):
            let at = offset.map { ", byte offset \($0)" } ?? ""
            return "\(shard): record \(record)\(at): corrupt: \(reason)"
        case .unreadableShard(let shard, let reason):
            return "\(shard): unreadable shard: \(reason)"
        case .stateMismatch(let field, let expected, let found):
            return "loader state: \(field): expected \(expected), found \(found)"
        case .missingMasks(let path):
            return "\(path): schema.hasMasks: expected instance masks (generate with scenegen generate --masks), "
                + "found a dataset without them"
        }
    }
}
