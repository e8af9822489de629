import Foundation

/// Random access to the records of one shard file.
///
/// Opening maps the file and validates its header, trailer and footer index (magic numbers,
/// version, checksums, and that every offset lies inside the file, in order); each record is
/// checked (length, CRC-32C, structure) when it is read. Nothing is trusted beyond the
/// file's size. A reader is an immutable value: share it freely between threads and call
/// ``record(at:)`` concurrently.
///
/// ```swift
/// let shard = try ShardReader(url: url)
/// for index in 0..<shard.count {
///     let scene = try shard.record(at: index)
/// }
/// ```
public struct ShardReader: Sendable {
    /// The shard file.
    public let url: URL
    /// The schema stored in the shard header.
    public let schema: DatasetSchema
    /// The file's size in bytes.
    public var byteSize: Int { file.bytes.count }
    /// The number of records. - Complexity: O(1).
    public var count: Int { offsets.count }

    private let file: MappedFile
    /// File offset of each record's framing, validated to be increasing and inside the file.
    private let offsets: [UInt64]
    /// File offset of the footer index, which is where the last record ends.
    private let indexOffset: UInt64
    private var path: String { url.path }

    /// Opens a shard and validates its header, trailer and index.
    /// - Parameter url: A shard file.
    /// - Throws: ``ShardFormatError`` naming the file, the byte offset, and what was expected
    ///   and found: `.io`, `.truncated`, `.badMagic`, `.missingTrailer`, `.unsupportedVersion`,
    ///   `.checksumMismatch` (region "header", "trailer" or "index"), `.lengthOutOfBounds` or
    ///   `.malformed`.
    /// - Complexity: O(record count).
    public init(url: URL) throws(ShardFormatError) {
        let path = url.path
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let size = UInt64(bytes.count)
        let minimum = UInt64(ShardLayout.headerSize + ShardLayout.trailerSize)
        guard size >= minimum else { throw .truncated(path: path, needed: minimum, fileSize: size) }

        // Header.
        var header = ByteCursor(
            bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<ShardLayout.headerSize]), baseOffset: 0, path: path, record: nil
        )
        let magic = try header.readSlice(count: 8, "header magic")
        guard magic.elementsEqual(ShardLayout.headerMagic) else {
            throw .badMagic(path: path, offset: 0, expected: ShardLayout.headerMagicText, found: escapedBytes(magic))
        }
        let version = try header.readUInt32("format version")
        guard ShardLayout.supportedFormatVersions.contains(version) else {
            throw .unsupportedVersion(path: path, found: version, supported: ShardLayout.supportedFormatVersions)
        }
        let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<(ShardLayout.headerSize - 4)]))
        let storedHeaderCRC = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: ShardLayout.headerSize - 4, as: UInt32.self))
        guard headerCRC == storedHeaderCRC else {
            throw .checksumMismatch(path: path, region: "header", record: nil, offset: 0, stored: storedHeaderCRC, computed: headerCRC)
        }
        let width = try header.readUInt32("schema.width")
        let height = try header.readUInt32("schema.height")
        let channels = try header.readUInt32("schema.channels")
        let viewsPerScene = try header.readUInt32("schema.viewsPerScene")
        let encodingOffset = header.fileOffset
        let encodingCode = try header.readUInt8("schema.imageEncoding")
        guard let encoding = DatasetSchema.ImageEncoding(code: encodingCode), encoding.minimumFormatVersion <= version else {
            throw .malformed(path: path, record: nil, offset: encodingOffset, field: "schema.imageEncoding",
                             expected: version == 1 ? "0 (png) or 1 (raw) in a version-1 shard" : "0 (png), 1 (raw) or 2 (jpeg)",
                             found: "\(encodingCode)")
        }
        let flagsOffset = header.fileOffset
        let flags = try header.readUInt8("schema.flags")
        guard flags & ~0b11 == 0 else {
            throw .malformed(path: path, record: nil, offset: flagsOffset, field: "schema.flags",
                             expected: "only bits 0 (depth) and 1 (masks)", found: "0x\(String(flags, radix: 16))")
        }
        let reservedOffset = header.fileOffset
        let reserved16 = try header.readUInt16("reserved")
        let reserved32 = try header.readUInt32("reserved")
        guard reserved16 == 0, reserved32 == 0 else {
            throw .malformed(path: path, record: nil, offset: reservedOffset, field: "header reserved bytes",
                             expected: "zero", found: "\(reserved16), \(reserved32)")
        }
        let schema = DatasetSchema(
            width: Int(width), height: Int(height), channels: Int(channels), imageEncoding: encoding,
            viewsPerScene: Int(viewsPerScene), hasDepth: flags & 1 != 0, hasMasks: flags & 2 != 0
        )
        if let (field, expected, found) = schema.firstInvalidField() {
            throw .malformed(path: path, record: nil, offset: 12, field: field, expected: expected, found: found)
        }

        // Trailer.
        let trailerStart = Int(size) - ShardLayout.trailerSize
        let trailerBytes = UnsafeRawBufferPointer(rebasing: bytes[trailerStart...])
        let trailerMagic = UnsafeRawBufferPointer(rebasing: trailerBytes[24...])
        guard trailerMagic.elementsEqual(ShardLayout.trailerMagic) else {
            throw .missingTrailer(path: path, offset: UInt64(trailerStart + 24), found: escapedBytes(trailerMagic))
        }
        var trailer = ByteCursor(bytes: trailerBytes, baseOffset: UInt64(trailerStart), path: path, record: nil)
        let indexOffset = try trailer.readUInt64("trailer.indexOffset")
        let recordCount = try trailer.readUInt64("trailer.recordCount")
        let storedIndexCRC = try trailer.readUInt32("trailer.indexCRC")
        let storedTrailerCRC = try trailer.readUInt32("trailer.trailerCRC")
        let trailerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: trailerBytes[0..<20]))
        guard trailerCRC == storedTrailerCRC else {
            throw .checksumMismatch(path: path, region: "trailer", record: nil, offset: UInt64(trailerStart),
                                    stored: storedTrailerCRC, computed: trailerCRC)
        }
        let headerEnd = UInt64(ShardLayout.headerSize)
        guard indexOffset >= headerEnd, indexOffset <= UInt64(trailerStart) else {
            throw .lengthOutOfBounds(path: path, record: nil, offset: UInt64(trailerStart), field: "trailer.indexOffset",
                                     length: indexOffset, available: UInt64(trailerStart))
        }
        let indexBytes = UInt64(trailerStart) - indexOffset
        guard indexBytes % UInt64(ShardLayout.indexEntrySize) == 0,
              recordCount == indexBytes / UInt64(ShardLayout.indexEntrySize) else {
            throw .malformed(path: path, record: nil, offset: UInt64(trailerStart + 8), field: "trailer.recordCount",
                             expected: "\(indexBytes / 8) (the 8-byte entries between index offset \(indexOffset) and the trailer)",
                             found: "\(recordCount)")
        }

        // Index.
        let index = UnsafeRawBufferPointer(rebasing: bytes[Int(indexOffset)..<trailerStart])
        let indexCRC = CRC32C.checksum(index)
        guard indexCRC == storedIndexCRC else {
            throw .checksumMismatch(path: path, region: "index", record: nil, offset: indexOffset,
                                    stored: storedIndexCRC, computed: indexCRC)
        }
        var offsets: [UInt64] = []
        offsets.reserveCapacity(Int(recordCount))
        var expectedMinimum = headerEnd
        for entry in 0..<Int(recordCount) {
            let offset = UInt64(littleEndian: index.loadUnaligned(fromByteOffset: entry * 8, as: UInt64.self))
            let entryOffset = indexOffset + UInt64(entry * 8)
            if entry == 0, offset != headerEnd {
                throw .malformed(path: path, record: 0, offset: entryOffset, field: "index[0]",
                                 expected: "\(headerEnd) (the first record follows the header)", found: "\(offset)")
            }
            guard offset <= indexOffset, indexOffset - offset >= UInt64(ShardLayout.recordFramingSize) else {
                throw .lengthOutOfBounds(path: path, record: entry, offset: entryOffset, field: "index[\(entry)]",
                                         length: offset, available: indexOffset - UInt64(ShardLayout.recordFramingSize))
            }
            guard offset >= expectedMinimum else {
                throw .malformed(path: path, record: entry, offset: entryOffset, field: "index[\(entry)]",
                                 expected: "at least \(expectedMinimum) (offsets increase by at least \(ShardLayout.recordFramingSize))",
                                 found: "\(offset)")
            }
            offsets.append(offset)
            expectedMinimum = offset + UInt64(ShardLayout.recordFramingSize)
        }
        if recordCount == 0, indexOffset != headerEnd {
            throw .malformed(path: path, record: nil, offset: UInt64(trailerStart), field: "trailer.indexOffset",
                             expected: "\(headerEnd) (an empty shard has no records)", found: "\(indexOffset)")
        }

        self.url = url
        self.schema = schema
        self.file = file
        self.offsets = offsets
        self.indexOffset = indexOffset
    }

    /// Reads, checks and decodes record `index`.
    ///
    /// Checks the record's length field against the index and the file size, its CRC-32C,
    /// and its structure against the schema; copies each image once.
    /// - Parameter index: `0..<count`, in the order the records were appended.
    /// - Returns: The record.
    /// - Throws: ``ShardFormatError`` naming the file, `index` and the byte offset:
    ///   `.recordIndexOutOfRange`, `.lengthOutOfBounds`, `.checksumMismatch` (region "record")
    ///   or `.malformed`.
    public func record(at index: Int) throws(ShardFormatError) -> SceneRecord {
        let (payload, payloadOffset) = try checkedPayload(at: index)
        return try SceneRecord(payload: payload, payloadOffset: payloadOffset, schema: schema, path: path, record: index)
    }

    /// Checks every record (length, CRC-32C, structure) and throws the first problem.
    /// - Throws: The first ``ShardFormatError`` that ``record(at:)`` would throw.
    /// - Complexity: O(file size).
    public func verify() throws(ShardFormatError) {
        for index in 0..<count {
            _ = try record(at: index)
        }
    }

    /// Checks every record (length, CRC-32C, structure) and returns every problem found, in
    /// record order; an empty array means the shard is sound.
    /// - Parameter firstSceneIndex: When given, also requires record `i` to hold scene
    ///   `firstSceneIndex + i`, as a manifest's ``ShardEntry`` promises.
    /// - Returns: One error per bad record.
    /// - Complexity: O(file size).
    public func problems(firstSceneIndex: UInt64? = nil) -> [ShardFormatError] {
        var problems: [ShardFormatError] = []
        for index in 0..<count {
            do {
                let record = try record(at: index)
                if let first = firstSceneIndex, record.sceneIndex != first &+ UInt64(index) {
                    problems.append(.malformed(
                        path: path, record: index, offset: offsets[index] + UInt64(ShardLayout.recordFramingSize),
                        field: "sceneIndex", expected: "\(first &+ UInt64(index)) (manifest)", found: "\(record.sceneIndex)"
                    ))
                }
            } catch {
                problems.append(error)
            }
        }
        return problems
    }

    /// Returns record `index`'s payload after checking its length and CRC-32C, with the
    /// payload's file offset.
    private func checkedPayload(at index: Int) throws(ShardFormatError) -> (UnsafeRawBufferPointer, UInt64) {
        guard offsets.indices.contains(index) else {
            throw .recordIndexOutOfRange(path: path, index: index, count: count)
        }
        let bytes = file.bytes
        let offset = offsets[index]
        let end = index + 1 < offsets.count ? offsets[index + 1] : indexOffset
        let framing = UInt64(ShardLayout.recordFramingSize)
        let start = Int(offset)
        let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let available = UInt64(bytes.count) - offset - framing
        guard length <= available else {
            throw .lengthOutOfBounds(path: path, record: index, offset: offset, field: "record payload length",
                                     length: length, available: available)
        }
        guard length == end - offset - framing else {
            throw .malformed(path: path, record: index, offset: offset, field: "record payload length",
                             expected: "\(end - offset - framing) (from the index)", found: "\(length)")
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self))
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(start + Int(framing))..<Int(end)])
        let computed = CRC32C.checksum(payload)
        guard computed == stored else {
            throw .checksumMismatch(path: path, region: "record", record: index, offset: offset, stored: stored, computed: computed)
        }
        return (payload, offset + framing)
    }
}
