import Foundation

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

    /// Checks a shard that an earlier, interrupted run wrote (structure, every CRC, scene
    /// indices, record count, schema) and creates its entry, so that a resumed run keeps it.
    /// - Parameters:
    ///   - url: The shard file, in the dataset directory.
    ///   - split: The split it belongs to.
    ///   - firstSceneIndex: The scene index its first record must hold.
    ///   - recordCount: The records it must hold.
    ///   - schema: The dataset's schema, which its header must equal.
    /// - Throws: `.invalidInput` listing the first problems (the file is left in place; the
    ///   message says to delete it), or the reader's error for a file that cannot be opened.
    public init(verifyingExisting url: URL, split: String, firstSceneIndex: UInt64, recordCount: Int,
                schema: DatasetSchema) throws(ShardFormatError) {
        let reader = try ShardReader(url: url)
        var problems = reader.problems(firstSceneIndex: firstSceneIndex).map(\.description)
        if reader.schema != schema { problems.append("its schema differs from this dataset's") }
        if reader.count != recordCount { problems.append("expected \(recordCount) records, found \(reader.count)") }
        guard problems.isEmpty else {
            throw .invalidInput(path: url.path, field: "existing shard",
                                expected: "a complete shard of this dataset (delete it and re-run to write it again)",
                                found: problems.prefix(3).joined(separator: "; "))
        }
        let (size, sha256) = try FileDigest.sizeAndSHA256(of: url)
        self.init(file: url.lastPathComponent, split: split, firstSceneIndex: firstSceneIndex,
                  recordCount: recordCount, byteSize: size, sha256: sha256)
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
