import Foundation
import ShardFormat

/// The split's shard readers, opened on first use and checked against the manifest; shared by
/// the decoding threads.
final class ShardCache: @unchecked Sendable {
    private let layout: SplitLayout
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var readers: [Int: Result<ShardReader, DataLoaderError>] = [:]

    init(layout: SplitLayout) {
        self.layout = layout
    }

    /// The reader of shard `ordinal`, opening it the first time.
    /// - Throws: `.unreadableShard` when the file cannot be opened, or when its header, index
    ///   or trailer is bad or disagrees with the manifest (schema, record count).
    func reader(_ ordinal: Int) throws(DataLoaderError) -> ShardReader {
        lock.lock()
        let cached = readers[ordinal]
        lock.unlock()
        if let cached { return try cached.get() }
        // Opening maps the file and checks its index: done outside the lock. Two threads may
        // open the same shard at once; both get equal readers.
        let opened = Result { () throws(DataLoaderError) -> ShardReader in try open(ordinal) }
        lock.lock()
        readers[ordinal] = opened
        lock.unlock()
        return try opened.get()
    }

    private func open(_ ordinal: Int) throws(DataLoaderError) -> ShardReader {
        let shard = layout.shards[ordinal]
        let reader: ShardReader
        do {
            reader = try ShardReader(url: shard.url)
        } catch {
            throw .unreadableShard(shard: shard.url.path, reason: error.description)
        }
        guard reader.schema == layout.schema else {
            throw .unreadableShard(shard: shard.url.path,
                                   reason: "schema: expected \(layout.schema) (manifest), found \(reader.schema)")
        }
        guard reader.count == shard.entry.recordCount else {
            throw .unreadableShard(shard: shard.url.path,
                                   reason: "record count: expected \(shard.entry.recordCount) (manifest), found \(reader.count)")
        }
        return reader
    }
}
