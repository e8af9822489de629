import CWriteBehind
import Crypto
import Foundation

/// Writes one shard file, atomically and deterministically.
///
/// Records go to a hidden temporary file in the destination directory; ``finish()`` appends
/// the footer index and trailer, fsyncs, moves the file to its final name and fsyncs the
/// directory. Until then nothing exists under the final name, and a writer released without
/// `finish()` deletes its temporary file. Every 4 MiB the kernel is asked to start writing
/// what came before (write-behind, Linux `sync_file_range`), so that the final fsync waits
/// for the last few megabytes rather than the whole shard. Identical records in the same
/// order give byte-identical files.
///
/// ```swift
/// let writer = try ShardWriter(url: directory.appending(path: ShardName.fileName(split: "train", index: 0, count: 64)),
///                              schema: schema)
/// for scene in scenes { try writer.append(scene) }
/// let summary = try writer.finish()
/// ```
///
/// A class because it owns an open file; use one writer from one thread at a time.
public final class ShardWriter {
    /// The final file name the shard is published under.
    public let url: URL
    /// `url.path`, made once: Foundation builds the string anew on every call, which cost
    /// 0.17 % of `scenegen generate`'s samples when every record asked for it three times.
    private let path: String
    /// The schema every record must fit.
    public let schema: DatasetSchema
    /// Records appended so far.
    public var count: Int { offsets.count }

    private enum State { case open, finished, failed }

    private let replacingExisting: Bool
    private let descriptor: Int32
    private let temporaryPath: String
    private var state = State.open
    private var offsets: [UInt64] = []
    private var position: UInt64 = 0
    private var hasher = SHA256()
    private var firstSceneIndex: UInt64?
    /// Whether ``finish()`` has handed the descriptor and temporary file to `AtomicFile.publish`.
    private var finishCalled = false
    /// Bytes between requests to start writeback (write-behind).
    let writeBehindChunk: UInt64
    /// Where the bytes not yet handed to writeback begin.
    private var writebackStart: UInt64 = 0
    /// Writeback requests made so far (for tests).
    private(set) var writebackRequests = 0

    /// How many bytes a shard writer lets accumulate before it asks the kernel to write them:
    /// 4 MiB, a few requests per shard of generate's default size.
    static let defaultWriteBehindChunk: UInt64 = 4 << 20

    /// Starts a shard: creates the temporary file and writes the header.
    /// - Parameters:
    ///   - url: Where the finished shard will be; its directory must exist.
    ///   - schema: The schema every record must fit; stored in the header.
    ///   - replacingExisting: Whether ``finish()`` may replace a file already at `url`;
    ///     by default an existing file is an error, here and at `finish()`.
    /// - Throws: `.invalidInput` for an invalid schema, `.alreadyExists`, or `.io`.
    public convenience init(url: URL, schema: DatasetSchema, replacingExisting: Bool = false) throws(ShardFormatError) {
        try self.init(url: url, schema: schema, replacingExisting: replacingExisting, writeBehindChunk: Self.defaultWriteBehindChunk)
    }

    /// ``init(url:schema:replacingExisting:)`` with another write-behind chunk (tests use small ones).
    init(url: URL, schema: DatasetSchema, replacingExisting: Bool, writeBehindChunk: UInt64) throws(ShardFormatError) {
        precondition(writeBehindChunk > 0, "the write-behind chunk must be positive")
        self.writeBehindChunk = writeBehindChunk
        if let (field, expected, found) = schema.firstInvalidField() {
            throw .invalidInput(path: url.path, field: field, expected: expected, found: found)
        }
        if !replacingExisting, FileManager.default.fileExists(atPath: url.path) {
            throw .alreadyExists(path: url.path)
        }
        (descriptor, temporaryPath) = try AtomicFile.createTemporary(beside: url)
        self.url = url
        self.path = url.path
        self.schema = schema
        self.replacingExisting = replacingExisting
        try emit(Self.header(for: schema))
    }

    deinit {
        // After finish() the descriptor is closed and the temporary file gone, even when
        // publishing failed; closing again could close another thread's file.
        if !finishCalled {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Appends one scene record.
    /// - Parameter record: A record that fits the schema: exactly `viewsPerScene` views,
    ///   PNG streams (or raw images of the schema's size), depth and masks exactly when
    ///   the schema has them.
    /// - Throws: `.invalidInput` naming the first field that does not fit (nothing is
    ///   written, the writer stays usable); `.io` (the writer is then unusable).
    public func append(_ record: SceneRecord) throws(ShardFormatError) {
        try requireOpen()
        let payload = try record.encodedPayload(schema: schema, path: path)
        var framing: [UInt8] = []
        framing.reserveCapacity(ShardLayout.recordFramingSize)
        framing.appendLittleEndian(UInt64(payload.count))
        framing.appendLittleEndian(CRC32C.checksum(payload))
        let offset = position
        try emit(framing)
        try emit(payload)
        offsets.append(offset)
        if firstSceneIndex == nil { firstSceneIndex = record.sceneIndex }
    }

    /// Writes the index and trailer and publishes the shard under its final name.
    /// - Returns: The shard's name, record count, size and SHA-256, for the manifest.
    /// - Throws: `.alreadyExists` (the existing file is left untouched), `.io`, or
    ///   `.invalidInput` when called twice.
    public func finish() throws(ShardFormatError) -> ShardSummary {
        try requireOpen()
        let indexOffset = position
        var index: [UInt8] = []
        index.reserveCapacity(offsets.count * ShardLayout.indexEntrySize)
        for offset in offsets { index.appendLittleEndian(offset) }
        var trailer: [UInt8] = []
        trailer.reserveCapacity(ShardLayout.trailerSize)
        trailer.appendLittleEndian(indexOffset)
        trailer.appendLittleEndian(UInt64(offsets.count))
        trailer.appendLittleEndian(CRC32C.checksum(index))
        trailer.appendLittleEndian(CRC32C.checksum(trailer))
        trailer.append(contentsOf: ShardLayout.trailerMagic)
        try emit(index)
        try emit(trailer)
        state = .failed
        finishCalled = true
        try AtomicFile.publish(descriptor: descriptor, temporaryPath: temporaryPath, destination: url, replacing: replacingExisting)
        state = .finished
        let digest = FileDigest.hex(hasher.finalize())
        return ShardSummary(
            fileName: url.lastPathComponent, recordCount: offsets.count, byteSize: position, sha256: digest,
            firstSceneIndex: firstSceneIndex
        )
    }

    private func requireOpen() throws(ShardFormatError) {
        guard state == .open else {
            throw .invalidInput(path: path, field: "writer", expected: "an open writer",
                                found: state == .finished ? "finish() already called" : "a writer that failed earlier")
        }
    }

    /// Writes bytes at the end of the temporary file and hashes them.
    private func emit(_ bytes: [UInt8]) throws(ShardFormatError) {
        do throws(ShardFormatError) {
            try AtomicFile.writeAll(descriptor, bytes, temporaryPath: temporaryPath, destination: path)
        } catch {
            state = .failed
            throw error
        }
        hasher.update(data: bytes)
        position += UInt64(bytes.count)
        if position - writebackStart >= writeBehindChunk {
            // Advisory: a failure here loses nothing, and the fsync in finish() reports real errors.
            _ = AtomicFile.startWriteback(descriptor, offset: writebackStart, length: position - writebackStart)
            writebackRequests += 1
            writebackStart = position
        }
    }

    /// The 40-byte header for `schema`.
    static func header(for schema: DatasetSchema) -> [UInt8] {
        var header = ShardLayout.headerMagic
        header.reserveCapacity(ShardLayout.headerSize)
        header.appendLittleEndian(schema.formatVersion)
        header.appendLittleEndian(UInt32(schema.width))
        header.appendLittleEndian(UInt32(schema.height))
        header.appendLittleEndian(UInt32(schema.channels))
        header.appendLittleEndian(UInt32(schema.viewsPerScene))
        header.append(schema.imageEncoding.code)
        header.append((schema.hasDepth ? 1 : 0) | (schema.hasMasks ? 2 : 0))
        header.appendLittleEndian(UInt16(0))
        header.appendLittleEndian(UInt32(0))
        header.appendLittleEndian(CRC32C.checksum(header))
        return header
    }
}
