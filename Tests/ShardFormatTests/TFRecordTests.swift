import Foundation
import Testing
@testable import ShardFormat

@Suite("TFRecord framing")
struct TFRecordTests {
    /// A CRC-32C computed bit by bit, independent of the table-driven one under test.
    static func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test("masked CRC known answers: the mask of 0, and a published TFRecord test vector")
    func maskedKnownAnswers() {
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        // The masked CRC of "1234567890asdfghjkl", as the Python `tfrecord_slow` package's
        // test suite states it (4134599430).
        let vector = Array("1234567890asdfghjkl".utf8)
        #expect(vector.withUnsafeBytes { CRC32C.maskedChecksum($0) } == 4_134_599_430)
        // Rotation by 15 then adding the delta, against the definition written out.
        let crc = Self.bitwiseCRC32C(vector)
        #expect(CRC32C.masked(crc) == (crc >> 15 | crc << 17) &+ 0xA282_EAD8)
    }

    @Test("known framings: the empty record and \"hello\", byte for byte")
    func knownFramings() {
        // Expected bytes computed by an independent bit-by-bit Python CRC-32C.
        #expect(TFRecordWriter.framed([]) == [
            0, 0, 0, 0, 0, 0, 0, 0, 0x29, 0x03, 0x98, 0x07, 0xD8, 0xEA, 0x82, 0xA2,
        ])
        #expect(TFRecordWriter.framed(Array("hello".utf8)) == [
            5, 0, 0, 0, 0, 0, 0, 0, 0xEA, 0xB2, 0x04, 0x3E, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0xBB, 0x1F, 0x1C, 0x19,
        ])
    }

    /// Records of lengths 0, 1, 7, 8, 300 and 70,000: empty, around the slicing width and
    /// beyond one page.
    static let records: [[UInt8]] = [0, 1, 7, 8, 300, 70_000].enumerated().map { index, count in
        Fixtures.bytes(count, seed: UInt64(index))
    }

    /// Writes ``records`` to a new file and returns its URL.
    func writeFile(publication: TFRecordWriter.Publication = .atomic(replacingExisting: false)) throws -> URL {
        let url = try Fixtures.scratchDirectory().appendingPathComponent("0001-of-0001.tfrecord")
        let writer = try TFRecordWriter(url: url, publication: publication)
        for record in Self.records { try writer.append(record) }
        #expect(writer.recordCount == Self.records.count)
        try writer.finish()
        #expect(UInt64(try Data(contentsOf: url).count) == writer.byteCount)
        return url
    }

    @Test("records written atomically or live read back identical, from a file and from memory")
    func roundTrip() throws {
        for publication in [TFRecordWriter.Publication.atomic(replacingExisting: false), .live] {
            let url = try writeFile(publication: publication)
            let bytes = [UInt8](try Data(contentsOf: url))
            #expect(bytes == Self.records.flatMap(TFRecordWriter.framed))
            #expect(try TFRecordReader(path: url.path).readAll() == Self.records)
            #expect(try TFRecordReader(bytes: bytes, path: "memory").readAll() == Self.records)
        }
    }

    @Test("an atomic writer leaves nothing under the final name until finish, and refuses to replace")
    func atomicPublication() throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent("a.tfrecord")
        do {
            let writer = try TFRecordWriter(url: url)
            try writer.append([1, 2, 3])
            try writer.flush()
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
        // Released without finish: no file, and no temporary left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path).isEmpty)
        let writer = try TFRecordWriter(url: url)
        try writer.finish()
        #expect(throws: ShardFormatError.alreadyExists(path: url.path)) { try TFRecordWriter(url: url) }
        #expect(throws: ShardFormatError.alreadyExists(path: url.path)) { try TFRecordWriter(url: url, publication: .live) }
        #expect(throws: ShardFormatError.self) { try writer.append([1]) }
    }

    @Test("a live writer's records are readable before finish, and a reader follows the growing file")
    func liveFollowing() throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent("events.tfrecord")
        let writer = try TFRecordWriter(url: url, publication: .live)
        try writer.append([7])
        let reader = try TFRecordReader(path: url.path)
        #expect(try reader.next() == [7])
        #expect(try reader.next() == nil)
        try writer.append([8, 9])
        try writer.flush()
        #expect(try reader.next() == [8, 9])
        try writer.finish()
    }

    /// Expects reading `bytes` to fail at record `record` (which starts at `offset`) with an
    /// error that names the path, the record and the offset.
    func expectFailure(_ bytes: [UInt8], record: Int, offset: Int, _ matches: (ShardFormatError) -> Bool) {
        let reader = TFRecordReader(bytes: bytes, path: "x.tfrecord")
        for _ in 0..<record { #expect(throws: Never.self) { _ = try reader.next() } }
        let error = #expect(throws: ShardFormatError.self) { _ = try reader.next() }
        guard let error else { return }
        #expect(matches(error), "unexpected error \(error)")
        #expect(error.description.contains("x.tfrecord: record \(record), byte offset \(offset)"), "\(error)")
    }

    @Test("a flipped byte in a length or in data is a CRC error naming the record and its offset")
    func flippedBytes() throws {
        let bytes = Self.records.flatMap(TFRecordWriter.framed)
        let start4 = Self.records[0..<4].reduce(0) { $0 + $1.count + 16 }
        var data = bytes
        data[start4 + 12 + 3] ^= 0x40
        expectFailure(data, record: 4, offset: start4) {
            if case .checksumMismatch(_, "TFRecord data", 4, UInt64(start4), _, _) = $0 { true } else { false }
        }
        var length = bytes
        length[start4] ^= 0x01
        expectFailure(length, record: 4, offset: start4) {
            if case .checksumMismatch(_, "TFRecord length", 4, UInt64(start4), _, _) = $0 { true } else { false }
        }
        var crc = bytes
        crc[start4 + 12 + 300] ^= 0x80
        expectFailure(crc, record: 4, offset: start4) {
            if case .checksumMismatch(_, "TFRecord data", 4, _, _, _) = $0 { true } else { false }
        }
    }

    @Test("a truncated file is reported at the record it cuts, wherever it is cut")
    func truncation() throws {
        let bytes = Self.records.flatMap(TFRecordWriter.framed)
        let start5 = Self.records[0..<5].reduce(0) { $0 + $1.count + 16 }
        for cut in [start5 + 1, start5 + 11, start5 + 12, start5 + 12 + 69_999, bytes.count - 1] {
            expectFailure(Array(bytes[0..<cut]), record: 5, offset: start5) { error in
                switch error {
                case .malformed, .lengthOutOfBounds: true
                default: false
                }
            }
        }
        // A length field with a valid CRC but pointing far past the end is refused before any read.
        var huge = TFRecordWriter.framed([])
        huge.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 0x40])
        let lengthCRC = Array(huge[0..<8]).withUnsafeBytes { CRC32C.maskedChecksum($0) }
        huge.replaceSubrange(8..<12, with: withUnsafeBytes(of: lengthCRC.littleEndian) { Array($0) })
        expectFailure(huge, record: 0, offset: 0) {
            if case .lengthOutOfBounds(_, 0, 0, "TFRecord length", _, 0) = $0 { true } else { false }
        }
    }
}
