import Foundation
import Testing
@testable import ShardFormat

/// Every byte of a small shard flipped, with and without its checksums made valid again, and
/// the file cut at every length: the reader reports each damage it can see as a
/// ``ShardFormatError`` naming the file, and never crashes or reads out of bounds.
@Suite("Shard mutation sweep")
struct ShardMutationSweepTests {
    let schema = Fixtures.schema(depth: true, masks: true)

    /// A sound two-record shard, its bytes, and its URL (rewritten by each mutation).
    func shard() throws -> (url: URL, bytes: [UInt8]) {
        let url = try Fixtures.writeShard("sweep.gqnshard", in: try Fixtures.scratchDirectory(), schema: schema, scenes: 4..<6).url
        return (url, [UInt8](try Data(contentsOf: url)))
    }

    /// What reading `bytes` gives: nil when the shard opens and every record decodes with its
    /// scene index, else the first error.
    func outcome(_ bytes: [UInt8], at url: URL) throws -> ShardFormatError? {
        try Data(bytes).write(to: url)
        do {
            let reader = try ShardReader(url: url)
            return reader.problems(firstSceneIndex: 4).first
        } catch {
            return error
        }
    }

    /// A short name for an error's kind and field, to see which checks a sweep reached.
    func kind(_ error: ShardFormatError) -> String {
        switch error {
        case .truncated: "truncated"
        case .badMagic: "bad magic"
        case .missingTrailer: "missing trailer"
        case .unsupportedVersion: "version"
        case .checksumMismatch(_, let region, _, _, _, _): "\(region) CRC"
        case .lengthOutOfBounds(_, _, _, let field, _, _), .malformed(_, _, _, let field, _, _):
            field.replacing(/\[\d+\]/, with: "[i]").replacing(/^views\[i\]\./, with: "view ")
        default: "\(error)"
        }
    }

    /// `bytes` with the header, record, index and trailer CRC-32Cs recomputed at the places the
    /// sound shard `original` keeps them, so only the mutated field itself is wrong.
    func fixingChecksums(_ bytes: [UInt8], original: [UInt8]) -> [UInt8] {
        var out = bytes
        func store(_ value: UInt32, at offset: Int) {
            for k in 0..<4 { out[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        }
        let trailerStart = original.count - ShardLayout.trailerSize
        let indexOffset = Int(original.loadUInt64(at: trailerStart))
        let offsets = stride(from: indexOffset, to: trailerStart, by: 8).map { Int(original.loadUInt64(at: $0)) }
        for (i, offset) in offsets.enumerated() {
            let end = i + 1 < offsets.count ? offsets[i + 1] : indexOffset
            store(CRC32C.checksum(Array(out[(offset + ShardLayout.recordFramingSize)..<end])), at: offset + 8)
        }
        store(CRC32C.checksum(Array(out[0..<(ShardLayout.headerSize - 4)])), at: ShardLayout.headerSize - 4)
        store(CRC32C.checksum(Array(out[indexOffset..<trailerStart])), at: trailerStart + 16)
        store(CRC32C.checksum(Array(out[trailerStart..<(trailerStart + 20)])), at: trailerStart + 20)
        return out
    }

    @Test("every flipped byte is reported, by the checksum that covers it, naming the file")
    func flippedBytes() throws {
        let (url, original) = try shard()
        #expect(try outcome(original, at: url) == nil)
        var kinds: [String: Int] = [:]
        for offset in original.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var bytes = original
                bytes[offset] ^= mask
                let error = try #require(try outcome(bytes, at: url), "byte \(offset) ^ \(mask) went unnoticed")
                #expect(error.description.hasPrefix(url.path), "\(error)")
                kinds[kind(error), default: 0] += 1
            }
        }
        // Each region is guarded by its own check before anything reads it.
        for expected in ["header CRC", "record CRC", "index CRC", "trailer CRC", "bad magic", "version", "missing trailer",
                         "record payload length"] {
            #expect(kinds[expected, default: 0] > 0, "no flip reached \"\(expected)\": \(kinds)")
        }
    }

    @Test("with the checksums made valid again, the structural checks behind them catch what they can")
    func flippedBytesWithValidChecksums() throws {
        let (url, original) = try shard()
        #expect(fixingChecksums(original, original: original) == original)
        var kinds: [String: Int] = [:]
        var unnoticed = 0
        for offset in original.indices {
            for mask: UInt8 in [0x01, 0x40, 0x80] {
                var bytes = original
                bytes[offset] ^= mask
                if let error = try outcome(fixingChecksums(bytes, original: original), at: url) {
                    #expect(error.description.hasPrefix(url.path), "\(error)")
                    kinds[kind(error), default: 0] += 1
                } else {
                    unnoticed += 1  // a pose, a label or image bytes changed: data, not structure
                }
            }
        }
        // The header's schema, flags and reserved bytes; the trailer's index offset and count;
        // index entries out of bounds or overlapping; a record's length against the next offset;
        // the scene index against the manifest's.
        for expected in ["schema.width", "schema.imageEncoding", "schema.flags", "header reserved bytes",
                         "trailer.indexOffset", "trailer.recordCount", "index[i]", "record payload length", "sceneIndex"] {
            #expect(kinds[expected, default: 0] > 0, "no mutation reached \"\(expected)\": \(kinds)")
        }
        #expect(unnoticed < original.count * 3, "every mutation went unnoticed")
    }

    @Test("a shard cut at any length is refused when opened")
    func everyTruncation() throws {
        let (url, original) = try shard()
        var kinds: Set<String> = []
        for length in 0..<original.count {
            let error = try #require(try outcome(Array(original.prefix(length)), at: url), "cut at \(length) went unnoticed")
            #expect(error.description.hasPrefix(url.path))
            kinds.insert(kind(error))
        }
        #expect(kinds == ["truncated", "missing trailer"], "\(kinds)")
    }
}
