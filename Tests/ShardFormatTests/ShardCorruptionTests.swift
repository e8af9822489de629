import Foundation
import Testing
@testable import ShardFormat

@Suite("Corrupt shards are reported, never trusted")
struct ShardCorruptionTests {
    let schema = Fixtures.schema(depth: true)

    /// A fresh three-record shard.
    func shard() throws -> URL {
        try Fixtures.writeShard("c.gqnshard", in: try Fixtures.scratchDirectory(), schema: schema, scenes: 0..<3).url
    }

    /// The file offset of record `index`, read from the index through the trailer.
    func recordOffset(_ index: Int, in bytes: [UInt8]) -> Int {
        let indexOffset = Int(bytes.loadUInt64(at: bytes.count - 32))
        return Int(bytes.loadUInt64(at: indexOffset + 8 * index))
    }

    @Test("a flipped byte inside a record gives a CRC error naming the shard, the record and its offset")
    func flippedByte() throws {
        let url = try shard()
        var offset = 0
        try Fixtures.corrupt(url) { bytes in
            offset = recordOffset(1, in: bytes)
            bytes[offset + 40] ^= 0x10
        }
        let reader = try ShardReader(url: url)
        #expect(try reader.record(at: 0).sceneIndex == 0)
        #expect(try reader.record(at: 2).sceneIndex == 2)
        let error = #expect(throws: ShardFormatError.self) { try reader.record(at: 1) }
        guard let error, case .checksumMismatch(url.path, "record", 1, UInt64(offset), _, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        #expect(error.description.contains("record 1, byte offset \(offset)"))
        #expect(throws: error) { try reader.verify() }
        #expect(reader.problems() == [error])
    }

    @Test("problems() collects every bad record instead of stopping at the first")
    func collectsAll() throws {
        let url = try shard()
        try Fixtures.corrupt(url) { bytes in
            bytes[recordOffset(0, in: bytes) + 30] ^= 1
            bytes[recordOffset(2, in: bytes) + 30] ^= 1
        }
        let problems = try ShardReader(url: url).problems()
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { if case .checksumMismatch = $0 { true } else { false } })
    }

    @Test("a truncated file is reported as missing its trailer, or too short")
    func truncated() throws {
        let url = try shard()
        let size = try Data(contentsOf: url).count
        for keep in [size - 1, size / 2, 80] {
            try Fixtures.corrupt(url) { $0.removeLast($0.count - keep) }
            let error = #expect(throws: ShardFormatError.self) { _ = try ShardReader(url: url) }
            guard let error, case .missingTrailer(url.path, UInt64(keep - 8), _) = error else {
                Issue.record("keeping \(keep) bytes: unexpected error \(String(describing: error))")
                return
            }
        }
        try Fixtures.corrupt(url) { $0.removeLast($0.count - 10) }
        #expect(throws: ShardFormatError.truncated(path: url.path, needed: 72, fileSize: 10)) { _ = try ShardReader(url: url) }
        try Data().write(to: url)
        #expect(throws: ShardFormatError.truncated(path: url.path, needed: 72, fileSize: 0)) { _ = try ShardReader(url: url) }
    }

    @Test("a record length pointing past the end of the file is refused, not followed")
    func lengthPastEnd() throws {
        let url = try shard()
        var offset = 0
        var size = 0
        try Fixtures.corrupt(url) { bytes in
            offset = recordOffset(2, in: bytes)
            size = bytes.count
            bytes.storeUInt64(UInt64.max - 5, at: offset)
        }
        let reader = try ShardReader(url: url)
        #expect(throws: ShardFormatError.lengthOutOfBounds(
            path: url.path, record: 2, offset: UInt64(offset), field: "record payload length",
            length: UInt64.max - 5, available: UInt64(size - offset - 12)
        )) { try reader.record(at: 2) }
    }

    @Test("a length inside a record that overruns it is refused even when its CRC was recomputed")
    func innerLengthOverrun() throws {
        let url = try shard()
        try Fixtures.corrupt(url) { bytes in
            let offset = recordOffset(0, in: bytes)
            let payloadStart = offset + 12
            let payloadLength = Int(bytes.loadUInt64(at: offset))
            // Views start after scene index, seed and view count; the image length follows
            // 25 floats of pose, matrix and intrinsics.
            let imageLengthAt = payloadStart + 20 + 100
            bytes[imageLengthAt + 3] = 0x7F
            let crc = CRC32C.checksum(Array(bytes[payloadStart..<(payloadStart + payloadLength)]))
            for k in 0..<4 { bytes[offset + 8 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        }
        let error = #expect(throws: ShardFormatError.self) { try ShardReader(url: url).record(at: 0) }
        guard case .lengthOutOfBounds(url.path, 0, 40 + 12 + 120, "views[0].image length", _, _)? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
    }

    @Test("a bad magic number is named with what was found")
    func badMagic() throws {
        let url = try shard()
        try Fixtures.corrupt(url) { $0[0] = UInt8(ascii: "X") }
        #expect(throws: ShardFormatError.badMagic(path: url.path, offset: 0, expected: "GQNSHARD", found: "XQNSHARD")) {
            _ = try ShardReader(url: url)
        }
    }

    @Test("an unknown format version is refused")
    func badVersion() throws {
        let url = try shard()
        try Fixtures.corrupt(url) { $0[8] = 3 }
        #expect(throws: ShardFormatError.unsupportedVersion(path: url.path, found: 3, supported: 1...2)) {
            _ = try ShardReader(url: url)
        }
    }

    @Test("the JPEG encoding code in a version-1 header is refused, even with a valid header CRC")
    func jpegCodeInVersion1() throws {
        let url = try Fixtures.writeShard("j.gqnshard", in: try Fixtures.scratchDirectory(),
                                          schema: Fixtures.schema(encoding: .jpeg), scenes: 0..<1).url
        try Fixtures.corrupt(url) { bytes in
            #expect(bytes[8] == 2 && bytes[28] == 2, "a JPEG shard is version 2 with encoding code 2")
            bytes[8] = 1
            let crc = CRC32C.checksum(Array(bytes[0..<36]))
            for k in 0..<4 { bytes[36 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        }
        let error = #expect(throws: ShardFormatError.self) { _ = try ShardReader(url: url) }
        guard case .malformed(url.path, nil, 28, "schema.imageEncoding", _, "2")? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
    }

    @Test("a corrupted header or footer index fails its CRC when the shard is opened")
    func corruptedIndex() throws {
        let url = try shard()
        var indexOffset = 0
        try Fixtures.corrupt(url) { bytes in
            indexOffset = Int(bytes.loadUInt64(at: bytes.count - 32))
            bytes[indexOffset + 9] ^= 0x01
        }
        let error = #expect(throws: ShardFormatError.self) { _ = try ShardReader(url: url) }
        guard case .checksumMismatch(url.path, "index", nil, UInt64(indexOffset), _, _)? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        let other = try shard()
        try Fixtures.corrupt(other) { $0[12] ^= 0x01 }
        let headerError = #expect(throws: ShardFormatError.self) { _ = try ShardReader(url: other) }
        guard case .checksumMismatch(other.path, "header", nil, 0, _, _)? = headerError else {
            Issue.record("unexpected error \(String(describing: headerError))")
            return
        }
    }

    @Test("an index whose CRC matches but whose offsets are wrong is still refused")
    func inconsistentIndex() throws {
        let url = try shard()
        try Fixtures.corrupt(url) { bytes in
            let count = bytes.count
            let indexOffset = Int(bytes.loadUInt64(at: count - 32))
            bytes.storeUInt64(UInt64(indexOffset + 1000), at: indexOffset + 8)
            let crc = CRC32C.checksum(Array(bytes[indexOffset..<(count - 32)]))
            for k in 0..<4 { bytes[count - 16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            let trailerCRC = CRC32C.checksum(Array(bytes[(count - 32)..<(count - 12)]))
            for k in 0..<4 { bytes[count - 12 + k] = UInt8(truncatingIfNeeded: trailerCRC >> (8 * UInt32(k))) }
        }
        let error = #expect(throws: ShardFormatError.self) { _ = try ShardReader(url: url) }
        guard case .lengthOutOfBounds(url.path, 1, _, "index[1]", _, _)? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
    }

    @Test("a missing file is an I/O error naming it")
    func missingFile() throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent("none.gqnshard")
        #expect(throws: ShardFormatError.io(path: url.path, operation: "open", reason: "No such file or directory")) {
            _ = try ShardReader(url: url)
        }
    }
}
