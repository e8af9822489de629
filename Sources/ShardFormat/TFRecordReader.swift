import Foundation

/// Reads a TFRecord file (the framing ``TFRecordWriter`` describes) one record at a time,
/// checking both masked CRCs of every record.
///
/// The file is read with positioned reads, a record at a time, so memory holds one record
/// however large the file is. A length field is never trusted beyond the file's size.
///
/// ```swift
/// let reader = try TFRecordReader(path: "0001-of-2160.tfrecord")
/// while let record = try reader.next() {
///     // record: [UInt8], e.g. a serialized tf.train.Example
/// }
/// ```
///
/// A class because it owns an open file; use one reader from one thread at a time.
public final class TFRecordReader {
    /// The file read, as named in errors.
    public let path: String
    /// Index of the record ``next()`` returns next (records returned so far).
    public private(set) var recordIndex = 0
    /// Byte offset of the record ``next()`` returns next.
    public private(set) var offset: UInt64 = 0

    private enum Source {
        case file(descriptor: Int32)
        case memory([UInt8])
    }

    private let source: Source
    /// The file's size when last looked at; looked at again when a record seems to run past it,
    /// so a file that is still growing can be followed.
    private var knownSize: UInt64

    /// Opens the file at `path`.
    /// - Throws: `.io` when it cannot be opened or is not a regular file.
    public init(path: String) throws(ShardFormatError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(path: path, operation: "open") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let failure = systemError(path: path, operation: "fstat")
            close(descriptor)
            throw failure
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw .io(path: path, operation: "open", reason: "not a regular file")
        }
        self.path = path
        source = .file(descriptor: descriptor)
        knownSize = UInt64(status.st_size)
    }

    /// Reads records from bytes in memory; `path` names them in errors.
    public init(bytes: [UInt8], path: String) {
        self.path = path
        source = .memory(bytes)
        knownSize = UInt64(bytes.count)
    }

    deinit {
        if case .file(let descriptor) = source { close(descriptor) }
    }

    /// Reads the next record and checks its CRCs.
    /// - Returns: The record's data, or nil at the end of the file (which must fall between records).
    /// - Throws: `.checksumMismatch` (region "TFRecord length" or "TFRecord data"),
    ///   `.lengthOutOfBounds` or `.malformed` for a truncated file, `.io`; each names the
    ///   file, the record index and the byte offset where the record starts.
    public func next() throws(ShardFormatError) -> [UInt8]? {
        let start = offset
        guard let length = try checkedLength(at: start) else { return nil }
        let count = Int(length)
        guard var data = try read(count: count + TFRecordWriter.footerSize, at: start + UInt64(TFRecordWriter.headerSize),
                                  allowingEnd: false, field: "TFRecord data and its CRC") else { return nil }
        let storedDataCRC = data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: count, as: UInt32.self)) }
        data.removeLast(TFRecordWriter.footerSize)
        let computedDataCRC = data.withUnsafeBytes { CRC32C.maskedChecksum($0) }
        guard storedDataCRC == computedDataCRC else {
            throw .checksumMismatch(path: path, region: "TFRecord data", record: recordIndex, offset: start,
                                    stored: storedDataCRC, computed: computedDataCRC)
        }
        offset = start + UInt64(TFRecordWriter.headerSize + TFRecordWriter.footerSize) + length
        recordIndex += 1
        return data
    }

    /// Reads the length of the record at `start`, checks its CRC and that the record fits in
    /// the file. - Returns: nil at the end of the file.
    private func checkedLength(at start: UInt64) throws(ShardFormatError) -> UInt64? {
        let headerSize = TFRecordWriter.headerSize
        let header = try read(count: headerSize, at: start, allowingEnd: true, field: "TFRecord length and its CRC")
        guard let header else { return nil }
        let (length, storedLengthCRC) = header.withUnsafeBytes { bytes in
            (UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)),
             UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        }
        let computedLengthCRC = header.withUnsafeBytes { CRC32C.maskedChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<8])) }
        guard storedLengthCRC == computedLengthCRC else {
            throw .checksumMismatch(path: path, region: "TFRecord length", record: recordIndex, offset: start,
                                    stored: storedLengthCRC, computed: computedLengthCRC)
        }
        let framing = UInt64(headerSize + TFRecordWriter.footerSize)
        let size = try sizeForReading(through: start &+ framing &+ length)
        let available = size > start + framing ? size - start - framing : 0
        guard length <= available, length <= UInt64(Int.max) - framing else {
            throw .lengthOutOfBounds(path: path, record: recordIndex, offset: start, field: "TFRecord length",
                                     length: length, available: available)
        }
        return length
    }

    /// Steps over the next record, checking only its length's CRC and that the record lies
    /// inside the file: a quick count of a file's records without reading their data.
    /// - Returns: false at the end of the file.
    /// - Throws: As ``next()``, except that the data CRC is not checked.
    public func skip() throws(ShardFormatError) -> Bool {
        let start = offset
        guard let length = try checkedLength(at: start) else { return false }
        offset = start + UInt64(TFRecordWriter.headerSize + TFRecordWriter.footerSize) + length
        recordIndex += 1
        return true
    }

    /// Reads every remaining record, checking each.
    /// - Throws: As ``next()``.
    public func readAll() throws(ShardFormatError) -> [[UInt8]] {
        var records: [[UInt8]] = []
        while let record = try next() { records.append(record) }
        return records
    }

    /// The file's size, looked at again when `end` lies past the size known so far.
    private func sizeForReading(through end: UInt64) throws(ShardFormatError) -> UInt64 {
        if end > knownSize, case .file(let descriptor) = source {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw systemError(path: path, operation: "fstat") }
            knownSize = UInt64(status.st_size)
        }
        return knownSize
    }

    /// Reads exactly `count` bytes at `position`.
    /// - Returns: nil when `allowingEnd` and `position` is the end of the file.
    private func read(count: Int, at position: UInt64, allowingEnd: Bool, field: String) throws(ShardFormatError) -> [UInt8]? {
        let size = try sizeForReading(through: position + UInt64(count))
        let remaining = size > position ? size - position : 0
        if remaining == 0, allowingEnd { return nil }
        guard remaining >= UInt64(count) else {
            throw .malformed(path: path, record: recordIndex, offset: offset, field: field,
                             expected: "\(count) bytes", found: "only \(remaining) bytes left: the file is truncated")
        }
        switch source {
        case .memory(let bytes):
            let first = Int(position)
            return Array(bytes[first..<(first + count)])
        case .file(let descriptor):
            var failure: ShardFormatError?
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var done = 0
                guard let base = buffer.baseAddress else { return }
                while done < count {
                    let result = pread(descriptor, base + done, count - done, off_t(position) + off_t(done))
                    if result < 0, errno == EINTR { continue }
                    if result <= 0 {
                        failure = result < 0
                            ? systemError(path: path, operation: "read")
                            : .malformed(path: path, record: recordIndex, offset: offset, field: field,
                                         expected: "\(count) bytes", found: "the file ended after \(done): it shrank while read")
                        break
                    }
                    done += result
                }
                initialized = done
            }
            if let failure { throw failure }
            return bytes
        }
    }
}
