import Foundation

/// Writes a TFRecord file: TensorFlow's checksummed sequence of byte strings, the container
/// of the GQN datasets (`tf.train.Example` records) and of TensorBoard event files.
///
/// Each record is framed as
///
/// | bytes | field |
/// |---|---|
/// | 8 | data length `n`, `UInt64` little-endian |
/// | 4 | masked CRC-32C of those 8 length bytes, `UInt32` little-endian |
/// | n | data |
/// | 4 | masked CRC-32C of the data, `UInt32` little-endian |
///
/// with the mask of ``CRC32C/masked(_:)``. The file has no header, index or trailer.
///
/// ```swift
/// let writer = try TFRecordWriter(url: directory.appendingPathComponent("0001-of-0002.tfrecord"))
/// for example in examples { try writer.append(example) }   // [UInt8] each
/// try writer.finish()
/// ```
///
/// A class because it owns an open file; use one writer from one thread at a time.
public final class TFRecordWriter {
    /// How the file becomes visible under its final name.
    public enum Publication: Sendable, Equatable {
        /// Records go to a hidden temporary file that ``TFRecordWriter/finish()`` fsyncs and
        /// moves to the final name, so a crash never leaves a partial file that looks complete;
        /// with `replacingExisting` false an existing file is an error.
        case atomic(replacingExisting: Bool)
        /// The final file is created at once (it must not exist) and each record is written
        /// through as it is appended, so a reader that follows a growing file (TensorBoard
        /// following an event file) sees every record; ``TFRecordWriter/flush()`` makes them
        /// durable.
        case live
    }

    /// The final file name.
    public let url: URL
    /// How the file is published.
    public let publication: Publication
    /// Records appended so far.
    public private(set) var recordCount = 0
    /// Bytes of framed records appended so far: the file's size once finished.
    public private(set) var byteCount: UInt64 = 0

    /// Bytes in front of a record's data: the length and its masked CRC.
    public static let headerSize = 12
    /// Bytes after a record's data: its masked CRC.
    public static let footerSize = 4
    /// Buffered bytes above which an atomic writer writes to its temporary file.
    private static let bufferLimit = 1 << 20

    private enum State { case open, finished, failed }

    private let descriptor: Int32
    /// The file the descriptor writes: the temporary file for `.atomic`, the final one for `.live`.
    private let writtenPath: String
    private var state = State.open
    private var buffer: [UInt8] = []
    /// Whether the descriptor has been closed (by `finish()`, or handed to `AtomicFile.publish`).
    private var closed = false

    /// Creates the file (temporary or final, as `publication` says).
    /// - Parameters:
    ///   - url: Where the finished file will be; its directory must exist.
    ///   - publication: Atomic (the default, refusing to replace a file) or live.
    /// - Throws: `.alreadyExists` or `.io`, naming the path.
    public init(url: URL, publication: Publication = .atomic(replacingExisting: false)) throws(ShardFormatError) {
        self.url = url
        self.publication = publication
        switch publication {
        case .atomic(let replacingExisting):
            if !replacingExisting, FileManager.default.fileExists(atPath: url.path) {
                throw .alreadyExists(path: url.path)
            }
            (descriptor, writtenPath) = try AtomicFile.createTemporary(beside: url)
        case .live:
            let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                if errno == EEXIST { throw .alreadyExists(path: url.path) }
                throw systemError(path: url.path, operation: "create")
            }
            self.descriptor = descriptor
            writtenPath = url.path
        }
    }

    deinit {
        if !closed {
            close(descriptor)
            if case .atomic = publication { unlink(writtenPath) }
        }
    }

    /// Appends one record.
    /// - Throws: `.io` (the writer is then unusable), or `.invalidInput` after ``finish()``.
    public func append(_ record: UnsafeRawBufferPointer) throws(ShardFormatError) {
        try requireOpen()
        Self.frame(record, into: &buffer)
        recordCount += 1
        byteCount += UInt64(Self.headerSize + record.count + Self.footerSize)
        if publication == .live || buffer.count >= Self.bufferLimit {
            try writeBuffer()
        }
    }

    /// Appends one record.
    /// - Throws: `.io` (the writer is then unusable), or `.invalidInput` after ``finish()``.
    public func append(_ record: [UInt8]) throws(ShardFormatError) {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let outcome = record.withUnsafeBytes { bytes in
            Result { () throws(ShardFormatError) in try append(bytes) }
        }
        try outcome.get()
    }

    /// Writes what is buffered and fsyncs the file: after it returns, every record appended
    /// so far survives a crash (for an atomic writer, in its temporary file).
    /// - Throws: `.io`, or `.invalidInput` after ``finish()``.
    public func flush() throws(ShardFormatError) {
        try requireOpen()
        try writeBuffer()
        guard fsync(descriptor) == 0 else {
            state = .failed
            throw systemError(path: writtenPath, operation: "fsync")
        }
    }

    /// Writes what is buffered and publishes the file: an atomic writer moves its temporary
    /// file to ``url``; a live writer fsyncs and closes it.
    /// - Throws: `.alreadyExists` (an atomic writer that may not replace; the existing file
    ///   is left untouched), `.io`, or `.invalidInput` when called twice.
    public func finish() throws(ShardFormatError) {
        try requireOpen()
        try writeBuffer()
        state = .failed
        closed = true
        switch publication {
        case .atomic(let replacingExisting):
            try AtomicFile.publish(
                descriptor: descriptor, temporaryPath: writtenPath, destination: url, replacing: replacingExisting
            )
        case .live:
            let synced = fsync(descriptor) == 0
            let failure = synced ? nil : systemError(path: writtenPath, operation: "fsync")
            guard close(descriptor) == 0, synced else {
                throw failure ?? systemError(path: writtenPath, operation: "close")
            }
        }
        state = .finished
    }

    /// Appends the framing of one record (length, masked CRCs) and its data to `bytes`: the
    /// exact bytes a writer puts in its file.
    public static func frame(_ record: UnsafeRawBufferPointer, into bytes: inout [UInt8]) {
        var length: [UInt8] = []
        length.appendLittleEndian(UInt64(record.count))
        bytes.reserveCapacity(bytes.count + headerSize + record.count + footerSize)
        bytes.append(contentsOf: length)
        bytes.appendLittleEndian(length.withUnsafeBytes { CRC32C.maskedChecksum($0) })
        bytes.append(contentsOf: record)
        bytes.appendLittleEndian(CRC32C.maskedChecksum(record))
    }

    /// Returns one record framed as in a TFRecord file.
    public static func framed(_ record: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        record.withUnsafeBytes { frame($0, into: &bytes) }
        return bytes
    }

    private func requireOpen() throws(ShardFormatError) {
        guard state == .open else {
            throw .invalidInput(path: url.path, field: "TFRecord writer", expected: "an open writer",
                                found: state == .finished ? "finish() already called" : "a writer that failed earlier")
        }
    }

    private func writeBuffer() throws(ShardFormatError) {
        guard !buffer.isEmpty else { return }
        do throws(ShardFormatError) {
            try AtomicFile.writeAll(descriptor, buffer, temporaryPath: writtenPath, destination: url.path)
        } catch {
            state = .failed
            throw error
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
