/// A bounds-checked little-endian reader over bytes of a shard, used to parse headers,
/// trailers and record payloads. Every read checks the remaining length first, so no length
/// field can make it read outside `bytes`; errors carry the absolute file offset.
struct ByteCursor {
    /// The bytes being parsed; valid for the cursor's lifetime.
    let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes[0]` within the file, for error messages.
    let baseOffset: UInt64
    /// The file, for error messages.
    let path: String
    /// The record being parsed, for error messages; nil outside records.
    let record: Int?
    /// Index of the next byte to read.
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, baseOffset: UInt64, path: String, record: Int?) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.path = path
        self.record = record
    }

    /// Bytes not yet read.
    var remaining: Int { bytes.count - position }

    /// Absolute file offset of the next byte.
    var fileOffset: UInt64 { baseOffset + UInt64(position) }

    /// Makes sure `count` more bytes can be read as the fixed-size `field`.
    private func require(_ count: Int, _ field: @autoclosure () -> String) throws(ShardFormatError) {
        guard remaining >= count else {
            throw .malformed(
                path: path, record: record, offset: fileOffset, field: field(),
                expected: "\(count) bytes", found: "only \(remaining) bytes left"
            )
        }
    }

    mutating func readUInt8(_ field: @autoclosure () -> String) throws(ShardFormatError) -> UInt8 {
        try require(1, field())
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16(_ field: @autoclosure () -> String) throws(ShardFormatError) -> UInt16 {
        try require(2, field())
        defer { position += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    mutating func readUInt32(_ field: @autoclosure () -> String) throws(ShardFormatError) -> UInt32 {
        try require(4, field())
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func readUInt64(_ field: @autoclosure () -> String) throws(ShardFormatError) -> UInt64 {
        try require(8, field())
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    mutating func readFloat(_ field: @autoclosure () -> String) throws(ShardFormatError) -> Float {
        Float(bitPattern: try readUInt32(field()))
    }

    mutating func readFloat3(_ field: @autoclosure () -> String) throws(ShardFormatError) -> SIMD3<Float> {
        try require(12, field())
        return SIMD3(try readFloat(field()), try readFloat(field()), try readFloat(field()))
    }

    /// Reads exactly `count` raw bytes.
    mutating func readSlice(count: Int, _ field: @autoclosure () -> String) throws(ShardFormatError) -> UnsafeRawBufferPointer {
        try require(count, field())
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Reads a `UInt32` length and then that many bytes, copying them once.
    mutating func readLengthPrefixedBytes(_ field: @autoclosure () -> String) throws(ShardFormatError) -> [UInt8] {
        let lengthOffset = fileOffset
        let length = try readUInt32("\(field()) length")
        guard UInt64(length) <= UInt64(remaining) else {
            throw .lengthOutOfBounds(
                path: path, record: record, offset: lengthOffset, field: "\(field()) length",
                length: UInt64(length), available: UInt64(remaining)
            )
        }
        return Array(try readSlice(count: Int(length), field()))
    }

    /// Reads a `UInt32` length and then that many bytes of UTF-8.
    mutating func readString(_ field: @autoclosure () -> String) throws(ShardFormatError) -> String {
        let start = fileOffset
        let utf8 = try readLengthPrefixedBytes(field())
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw .malformed(
                path: path, record: record, offset: start, field: field(),
                expected: "UTF-8 text", found: "\(utf8.count) bytes that are not valid UTF-8"
            )
        }
        return string
    }

    /// Fails unless every byte has been read.
    func requireEnd(_ what: @autoclosure () -> String) throws(ShardFormatError) {
        guard remaining == 0 else {
            throw .malformed(
                path: path, record: record, offset: fileOffset, field: what(),
                expected: "end of \(what())", found: "\(remaining) trailing bytes"
            )
        }
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendFloat(_ value: Float) {
        appendLittleEndian(value.bitPattern)
    }

    mutating func appendFloat3(_ value: SIMD3<Float>) {
        appendFloat(value.x)
        appendFloat(value.y)
        appendFloat(value.z)
    }
}

/// Shows up to eight bytes as text, escaping anything that is not printable ASCII.
func escapedBytes(_ bytes: UnsafeRawBufferPointer) -> String {
    bytes.prefix(8).map { byte in
        (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"")
            ? String(UnicodeScalar(byte))
            : "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }.joined()
}
