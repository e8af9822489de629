/// A manifest's line about one shard file.
///
/// The shard holds scenes `firstSceneIndex ..< firstSceneIndex + recordCount` of `split`,
/// in order, one record each.
public struct ShardEntry: Codable, Hashable, Sendable {
    /// The shard's path relative to the dataset directory (normally just its file name).
    public var file: String
    /// The split the shard belongs to.
    public var split: String
    /// Scene index of the shard's first record.
    public var firstSceneIndex: UInt64
    /// Records in the shard.
    public var recordCount: Int
    /// The file's size in bytes.
    public var byteSize: UInt64
    /// SHA-256 of the whole file, 64 lowercase hex digits.
    public var sha256: String

    /// Creates an entry.
    public init(file: String, split: String, firstSceneIndex: UInt64, recordCount: Int, byteSize: UInt64, sha256: String) {
        self.file = file
        self.split = split
        self.firstSceneIndex = firstSceneIndex
        self.recordCount = recordCount
        self.byteSize = byteSize
        self.sha256 = sha256
    }

    /// Creates the entry for a shard a ``ShardWriter`` just finished in the dataset directory.
    /// - Parameters:
    ///   - summary: What ``ShardWriter/finish()`` returned.
    ///   - split: The split the shard belongs to.
    ///   - firstSceneIndex: Scene index of its first record; defaults to the summary's.
    public init(summary: ShardSummary, split: String, firstSceneIndex: UInt64? = nil) {
        self.init(
            file: summary.fileName, split: split, firstSceneIndex: firstSceneIndex ?? summary.firstSceneIndex ?? 0,
            recordCount: summary.recordCount, byteSize: summary.byteSize, sha256: summary.sha256
        )
    }
}
