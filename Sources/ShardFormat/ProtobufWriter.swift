/// Encodes a protocol buffer message in the wire format, field by field, by hand.
///
/// The messages we write are a few fields each (`tf.train.Example` for the GQN datasets,
/// TensorBoard's `Event`), so a small encoder replaces generated code and `protoc`. Fields
/// are written in the order the calls come; callers write them in field-number order, as
/// protobuf's own serializers do, so the bytes match theirs.
///
/// ```swift
/// var feature = ProtobufWriter()
/// feature.writeMessage(field: 2) { floatList in          // Feature.float_list
///     floatList.writePackedFloats(field: 1, [1, 2, 3])  // FloatList.value
/// }
/// let bytes = feature.bytes
/// ```
public struct ProtobufWriter: Sendable {
    /// The wire types of the protobuf encoding (the low three bits of a field's tag).
    public enum WireType: UInt8, Sendable {
        /// int32, int64, uint32, uint64, sint32, sint64, bool, enum.
        case varint = 0
        /// fixed64, sfixed64, double.
        case fixed64 = 1
        /// string, bytes, embedded messages, packed repeated fields.
        case lengthDelimited = 2
        /// fixed32, sfixed32, float.
        case fixed32 = 5
    }

    /// The encoded message so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    /// Writes a field's tag: its number and wire type.
    public mutating func writeTag(field: Int, wireType: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes a bare varint (no tag): seven bits a byte, low bits first.
    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Writes an unsigned integer field (`uint32`, `uint64`).
    public mutating func writeUInt64(field: Int, _ value: UInt64) {
        writeTag(field: field, wireType: .varint)
        writeVarint(value)
    }

    /// Writes a signed integer field (`int32`, `int64`); negative values take ten bytes, as
    /// protobuf encodes them.
    public mutating func writeInt64(field: Int, _ value: Int64) {
        writeUInt64(field: field, UInt64(bitPattern: value))
    }

    /// Writes a `bool` field.
    public mutating func writeBool(field: Int, _ value: Bool) {
        writeUInt64(field: field, value ? 1 : 0)
    }

    /// Writes a `fixed32` field.
    public mutating func writeFixed32(field: Int, _ value: UInt32) {
        writeTag(field: field, wireType: .fixed32)
        bytes.appendLittleEndian(value)
    }

    /// Writes a `fixed64` field.
    public mutating func writeFixed64(field: Int, _ value: UInt64) {
        writeTag(field: field, wireType: .fixed64)
        bytes.appendLittleEndian(value)
    }

    /// Writes a `float` field.
    public mutating func writeFloat(field: Int, _ value: Float) {
        writeFixed32(field: field, value.bitPattern)
    }

    /// Writes a `double` field.
    public mutating func writeDouble(field: Int, _ value: Double) {
        writeFixed64(field: field, value.bitPattern)
    }

    /// Writes a `bytes` field.
    public mutating func writeBytes(field: Int, _ value: UnsafeRawBufferPointer) {
        writeTag(field: field, wireType: .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes a `bytes` field.
    public mutating func writeBytes(field: Int, _ value: [UInt8]) {
        value.withUnsafeBytes { writeBytes(field: field, $0) }
    }

    /// Writes a `string` field as UTF-8.
    public mutating func writeString(field: Int, _ value: String) {
        writeBytes(field: field, Array(value.utf8))
    }

    /// Writes a `repeated float` field packed: one length-delimited run of little-endian floats
    /// (an empty list writes nothing, as protobuf does).
    public mutating func writePackedFloats(field: Int, _ values: [Float]) {
        guard !values.isEmpty else { return }
        writeTag(field: field, wireType: .lengthDelimited)
        writeVarint(UInt64(values.count * 4))
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values { bytes.appendFloat(value) }
    }

    /// Writes an embedded message field whose contents `body` writes.
    public mutating func writeMessage(field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var message = ProtobufWriter()
        body(&message)
        writeBytes(field: field, message.bytes)
    }
}
