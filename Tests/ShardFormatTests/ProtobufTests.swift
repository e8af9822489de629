import Testing
@testable import ShardFormat

@Suite("Protobuf wire format")
struct ProtobufTests {
    @Test("the encoding guide's examples, byte for byte")
    func knownEncodings() {
        // From the protobuf encoding guide: field 1 = 150; field 2 = "testing";
        // packed repeated field 4 = [3, 270, 86942] (written here as tag, length, varints).
        var writer = ProtobufWriter()
        writer.writeUInt64(field: 1, 150)
        #expect(writer.bytes == [0x08, 0x96, 0x01])
        writer = ProtobufWriter()
        writer.writeString(field: 2, "testing")
        #expect(writer.bytes == [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        writer = ProtobufWriter()
        writer.writeTag(field: 4, wireType: .lengthDelimited)
        writer.writeVarint(6)
        for value: UInt64 in [3, 270, 86942] { writer.writeVarint(value) }
        #expect(writer.bytes == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        // int64 -1 takes ten bytes; a float is its bits little-endian; a double likewise.
        writer = ProtobufWriter()
        writer.writeInt64(field: 1, -1)
        #expect(writer.bytes == [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        writer = ProtobufWriter()
        writer.writeFloat(field: 2, 1.0)
        writer.writeDouble(field: 1, -2.0)
        #expect(writer.bytes == [0x15, 0x00, 0x00, 0x80, 0x3F, 0x09, 0, 0, 0, 0, 0, 0, 0x00, 0xC0])
        writer = ProtobufWriter()
        writer.writePackedFloats(field: 1, [1.0, -0.5])
        writer.writePackedFloats(field: 3, [])
        #expect(writer.bytes == [0x0A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xBF])
    }

    @Test("every field written is read back, nested messages included; unknown fields can be skipped")
    func roundTrip() throws {
        var writer = ProtobufWriter()
        writer.writeDouble(field: 1, 1_700_000_000.25)
        writer.writeInt64(field: 2, -42)
        writer.writeMessage(field: 5) { inner in
            inner.writeString(field: 1, "loss/elbo")
            inner.writeFloat(field: 2, 3.5)
            inner.writeBool(field: 9, true)
        }
        writer.writePackedFloats(field: 7, [0.25, 1e-20, -3])
        writer.writeFixed32(field: 8, 0xDEAD_BEEF)
        writer.writeUInt64(field: 536_870_911, UInt64.max)

        var reader = ProtobufReader(bytes: writer.bytes)
        var fields: [ProtobufReader.Field] = []
        while let field = try reader.nextField() { fields.append(field) }
        #expect(fields.map(\.number) == [1, 2, 5, 7, 8, 536_870_911])
        #expect(fields[0].value == .fixed64(Double(1_700_000_000.25).bitPattern))
        #expect(fields[1].value == .varint(UInt64(bitPattern: -42)))
        #expect(fields[4].value == .fixed32(0xDEAD_BEEF))
        #expect(fields[5].value == .varint(UInt64.max))
        guard case .lengthDelimited(let innerRange) = fields[2].value else {
            Issue.record("field 5 is not length-delimited")
            return
        }
        var inner = reader.message(in: innerRange)
        var innerFields: [ProtobufReader.Field] = []
        while let field = try inner.nextField() { innerFields.append(field) }
        #expect(innerFields.map(\.number) == [1, 2, 9])
        if case .lengthDelimited(let range) = innerFields[0].value {
            #expect(try inner.string(in: range, field: "tag") == "loss/elbo")
        } else {
            Issue.record("tag is not length-delimited")
        }
        var floats: [Float] = []
        try reader.appendFloats(of: fields[3], to: &floats, name: "values")
        try reader.appendFloats(of: innerFields[1], to: &floats, name: "simple_value")
        #expect(floats == [0.25, 1e-20, -3, 3.5])
    }

    @Test("truncated, over-long and unsupported encodings are errors naming the offset")
    func malformed() throws {
        func firstError(_ bytes: [UInt8]) -> ShardFormatError? {
            var reader = ProtobufReader(bytes: bytes, path: "e.pb", record: 2, baseOffset: 100)
            do {
                while try reader.nextField() != nil {}
                return nil
            } catch {
                return error
            }
        }
        // A varint cut off; a length past the end; an eleven-byte varint; a group; field 0;
        // a fixed64 cut off.
        let cases: [([UInt8], UInt64)] = [
            ([0x08, 0x96], 101),
            ([0x12, 0x09, 0x74, 0x65], 101),
            ([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], 101),
            ([0x0B, 0x0C], 100),
            ([0x00, 0x01], 100),
            ([0x08, 0x01, 0x09, 0x01, 0x02], 103),
        ]
        for (bytes, offset) in cases {
            let error = firstError(bytes)
            #expect(error != nil, "\(bytes) accepted")
            #expect(error?.description.contains("e.pb: record 2, byte offset \(offset)") == true, "\(String(describing: error))")
        }
        var reader = ProtobufReader(bytes: [0x0A, 0x03, 1, 2, 3])
        let field = try #require(try reader.nextField())
        var floats: [Float] = []
        #expect(throws: ShardFormatError.self) { try reader.appendFloats(of: field, to: &floats, name: "values") }
    }
}
