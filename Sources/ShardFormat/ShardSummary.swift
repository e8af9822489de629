/// What a finished shard is: the facts a manifest lists about it.
public struct ShardSummary: Codable, Hashable, Sendable {
    /// The shard's file name (last path component).
    public var fileName: String
    /// Records in the shard.
    public var recordCount: Int
    /// The file's size in bytes.
    public var byteSize: UInt64
    /// SHA-256 of the whole file, 64 lowercase hex digits.
    public var sha256: String
    /// Scene index of the first record, or nil for an empty shard.
    public var firstSceneIndex: UInt64?

    /// Creates a summary.
    public init(fileName: String, recordCount: Int, byteSize: UInt64, sha256: String, firstSceneIndex: UInt64?) {
        self.fileName = fileName
        self.recordCount = recordCount
        self.byteSize = byteSize
        self.sha256 = sha256
        self.firstSceneIndex = firstSceneIndex
    }
}
