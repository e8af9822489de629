/// Decodes a protocol buffer message in the wire format, one field at a time.
///
/// The counterpart of ``ProtobufWriter``: the caller walks the fields, picks the numbers it
/// knows and skips the rest, as generated code does. Every length is checked against the
/// bytes left, so no field can make it read outside its message; errors name the byte offset
/// (relative to `baseOffset`, e.g. a record's place in its file).
///
/// ```swift
/// var reader = ProtobufReader(bytes: record, path: file, record: 3, baseOffset: 12)
/// while let field = try reader.nextField() {
///     if field.number == 1, case .lengthDelimited(let range) = field.value {
///         var features = reader.message(in: range)
///         // ...
///     }
/// }
/// ```
public struct ProtobufReader: Sendable {
    /// One decoded field.
    public struct Field: Sendable, Equatable {
        /// The field number.
        public var number: Int
        /// The field's payload.
        public var value: Value
        /// Byte offset of the field's tag (including the reader's base offset).
        public var offset: UInt64
    }

    /// A field's payload, by wire type.
    public enum Value: Sendable, Equatable {
        /// A varint: the raw 64 bits (`int64` fields as two's complement).
        case varint(UInt64)
        /// Eight little-endian bytes.
        case fixed64(UInt64)
        /// Four little-endian bytes.
        case fixed32(UInt32)
        /// The byte range, within ``ProtobufReader/bytes``, of a string, bytes, embedded message
        /// or packed repeated field.
        case lengthDelimited(Range<Int>)
    }

    /// The bytes the message lies in (a sub-message shares its parent's).
    public let bytes: [UInt8]
    /// Where the bytes came from, for errors.
    public let path: String
    /// The record the bytes belong to, for errors.
    public let record: Int?
    /// File offset of `bytes[0]`, for errors.
    public let baseOffset: UInt64
    private let end: Int
    private var position: Int

    /// A reader over the message that fills `bytes`.
    public init(bytes: [UInt8], path: String = "protobuf message", record: Int? = nil, baseOffset: UInt64 = 0) {
        self.init(bytes: bytes, range: 0..<bytes.count, path: path, record: record, baseOffset: baseOffset)
    }

    private init(bytes: [UInt8], range: Range<Int>, path: String, record: Int?, baseOffset: UInt64) {
        self.bytes = bytes
        self.path = path
        self.record = record
        self.baseOffset = baseOffset
        position = range.lowerBound
        end = range.upperBound
    }

    /// Whether every field has been read.
    public var isAtEnd: Bool { position >= end }

    /// Reads the next field.
    /// - Returns: The field, or nil at the end of the message.
    /// - Throws: `.malformed` for a truncated or over-long varint, field number 0, a group or
    ///   an unknown wire type; `.lengthOutOfBounds` for a length past the message's end.
    public mutating func nextField() throws(ShardFormatError) -> Field? {
        guard position < end else { return nil }
        let tagOffset = fileOffset
        let tag = try readVarint(field: "field tag")
        let number = tag >> 3
        guard number > 0, number <= 0x1FFF_FFFF else {
            throw malformed(at: tagOffset, field: "field tag", expected: "a field number in 1...536870911", found: "\(number)")
        }
        let value: Value
        switch tag & 7 {
        case 0:
            value = .varint(try readVarint(field: "field \(number) varint"))
        case 1:
            value = .fixed64(try readFixed(UInt64.self, field: "field \(number) fixed64"))
        case 5:
            value = .fixed32(try readFixed(UInt32.self, field: "field \(number) fixed32"))
        case 2:
            let lengthOffset = fileOffset
            let length = try readVarint(field: "field \(number) length")
            guard length <= UInt64(end - position) else {
                throw .lengthOutOfBounds(path: path, record: record, offset: lengthOffset, field: "field \(number) length",
                                         length: length, available: UInt64(end - position))
            }
            value = .lengthDelimited(position..<(position + Int(length)))
            position += Int(length)
        default:
            throw malformed(at: tagOffset, field: "field \(number) wire type",
                            expected: "0 (varint), 1 (fixed64), 2 (length-delimited) or 5 (fixed32)",
                            found: "\(tag & 7)\(tag & 7 == 3 || tag & 7 == 4 ? " (a group, unsupported)" : "")")
        }
        return Field(number: Int(number), value: value, offset: tagOffset)
    }

    /// A reader over the embedded message in `range` (from a ``Value/lengthDelimited(_:)`` field).
    public func message(in range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes: bytes, range: range, path: path, record: record, baseOffset: baseOffset)
    }

    /// The bytes of a `bytes` or `string` field.
    public func bytes(in range: Range<Int>) -> [UInt8] {
        Array(bytes[range])
    }

    /// The UTF-8 text of a `string` field.
    /// - Throws: `.malformed` when the bytes are not UTF-8.
    public func string(in range: Range<Int>, field: String) throws(ShardFormatError) -> String {
        guard let text = String(validating: bytes[range], as: UTF8.self) else {
            throw malformed(at: baseOffset + UInt64(range.lowerBound), field: field, expected: "UTF-8 text",
                            found: "\(range.count) bytes that are not UTF-8")
        }
        return text
    }

    /// Appends the floats of a `repeated float` field to `values`, whether the field came
    /// packed (one length-delimited run) or unpacked (one fixed32 per value): protobuf
    /// parsers must accept both.
    /// - Throws: `.malformed` for another wire type or a packed length that is not a multiple of 4.
    public func appendFloats(of field: Field, to values: inout [Float], name: String) throws(ShardFormatError) {
        switch field.value {
        case .fixed32(let bits):
            values.append(Float(bitPattern: bits))
        case .lengthDelimited(let range):
            guard range.count % 4 == 0 else {
                throw malformed(at: field.offset, field: name, expected: "packed floats (a multiple of 4 bytes)",
                                found: "\(range.count) bytes")
            }
            values.reserveCapacity(values.count + range.count / 4)
            bytes.withUnsafeBytes { raw in
                var index = range.lowerBound
                while index < range.upperBound {
                    values.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt32.self))))
                    index += 4
                }
            }
        default:
            throw malformed(at: field.offset, field: name, expected: "floats (wire type 2 or 5)", found: "\(field.value)")
        }
    }

    private var fileOffset: UInt64 { baseOffset + UInt64(position) }

    private func malformed(at offset: UInt64, field: String, expected: String, found: String) -> ShardFormatError {
        .malformed(path: path, record: record, offset: offset, field: field, expected: expected, found: found)
    }

    private mutating func readVarint(field: String) throws(ShardFormatError) -> UInt64 {
        let start = fileOffset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            // The tenth byte may hold only the top bit of a 64-bit value.
            guard shift < 63 || byte <= 1 else { break }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw malformed(at: start, field: field, expected: "a varint of at most 10 bytes",
                        found: position >= end ? "the message ending inside it" : "an over-long varint")
    }

    private mutating func readFixed<T: FixedWidthInteger>(_ type: T.Type, field: String) throws(ShardFormatError) -> T {
        let size = MemoryLayout<T>.size
        guard end - position >= size else {
            throw malformed(at: fileOffset, field: field, expected: "\(size) bytes", found: "only \(end - position) bytes left")
        }
        defer { position += size }
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: T.self)) }
    }
}
