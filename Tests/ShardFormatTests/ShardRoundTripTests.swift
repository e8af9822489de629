import Foundation
import Testing
@testable import ShardFormat

@Suite("Shard write and read")
struct ShardRoundTripTests {
    static let schemas: [DatasetSchema] = [
        Fixtures.schema(encoding: .png),
        Fixtures.schema(encoding: .png, depth: true, masks: true),
        Fixtures.schema(encoding: .png, views: 1, depth: true),
        Fixtures.schema(encoding: .raw, views: 2, masks: true),
        Fixtures.schema(encoding: .jpeg, views: 2, depth: true),
    ]

    @Test("every field of every record round-trips", arguments: schemas)
    func roundTrip(schema: DatasetSchema) throws {
        let directory = try Fixtures.scratchDirectory()
        let (url, summary) = try Fixtures.writeShard("train-00000-of-00001.gqnshard", in: directory, schema: schema, scenes: 10..<15)
        let reader = try ShardReader(url: url)
        #expect(reader.schema == schema)
        #expect(reader.count == 5)
        // The lowest version that can say it: 1 for PNG and raw, 2 for JPEG.
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes[8] == (schema.imageEncoding == .jpeg ? 2 : 1))
        #expect(summary.recordCount == 5)
        #expect(summary.firstSceneIndex == 10)
        #expect(summary.fileName == "train-00000-of-00001.gqnshard")
        #expect(summary.byteSize == UInt64(reader.byteSize))
        for index in 0..<5 {
            #expect(try reader.record(at: index) == Fixtures.record(10 + UInt64(index), schema: schema))
        }
        try reader.verify()
        #expect(reader.problems(firstSceneIndex: 10).isEmpty)
        #expect(reader.problems(firstSceneIndex: 11).count == 5)
    }

    @Test("records are read by index in any order")
    func randomAccess() throws {
        let schema = Fixtures.schema(views: 2)
        let directory = try Fixtures.scratchDirectory()
        let (url, _) = try Fixtures.writeShard("a.gqnshard", in: directory, schema: schema, scenes: 0..<20)
        let reader = try ShardReader(url: url)
        for index in [19, 0, 7, 7, 13, 1] {
            #expect(try reader.record(at: index).sceneIndex == UInt64(index))
        }
        #expect(throws: ShardFormatError.recordIndexOutOfRange(path: url.path, index: 20, count: 20)) {
            try reader.record(at: 20)
        }
        #expect(throws: ShardFormatError.recordIndexOutOfRange(path: url.path, index: -1, count: 20)) {
            try reader.record(at: -1)
        }
    }

    @Test("an empty shard is valid and has no records")
    func emptyShard() throws {
        let directory = try Fixtures.scratchDirectory()
        let (url, summary) = try Fixtures.writeShard("e.gqnshard", in: directory, schema: Fixtures.schema(), scenes: 0..<0)
        #expect(summary.byteSize == UInt64(ShardLayout.headerSize + ShardLayout.trailerSize))
        #expect(summary.firstSceneIndex == nil)
        #expect(try ShardReader(url: url).count == 0)
    }

    @Test("identical records give byte-identical files and the summary's SHA-256 is the file's")
    func deterministic() throws {
        let schema = Fixtures.schema(depth: true)
        let first = try Fixtures.writeShard("x.gqnshard", in: try Fixtures.scratchDirectory(), schema: schema, scenes: 0..<4)
        let second = try Fixtures.writeShard("x.gqnshard", in: try Fixtures.scratchDirectory(), schema: schema, scenes: 0..<4)
        #expect(try Data(contentsOf: first.url) == Data(contentsOf: second.url))
        #expect(first.summary == second.summary)
        let (size, sha) = try FileDigest.sizeAndSHA256(of: first.url)
        #expect(size == first.summary.byteSize)
        #expect(sha == first.summary.sha256)
        #expect(sha.count == 64)
    }

    @Test("the header is laid out as the format article says")
    func headerBytes() throws {
        let directory = try Fixtures.scratchDirectory()
        let schema = DatasetSchema(width: 64, height: 32, imageEncoding: .raw, viewsPerScene: 10, hasDepth: false, hasMasks: true)
        let (url, _) = try Fixtures.writeShard("h.gqnshard", in: directory, schema: schema, scenes: 0..<0)
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(Array(bytes[0..<8]) == Array("GQNSHARD".utf8))
        #expect(Array(bytes[8..<30]) == [1, 0, 0, 0, 64, 0, 0, 0, 32, 0, 0, 0, 3, 0, 0, 0, 10, 0, 0, 0, 1, 2])
        #expect(Array(bytes[(bytes.count - 8)...]) == Array("GQNTRAIL".utf8))
        #expect(bytes.loadUInt64(at: bytes.count - 32) == 40)
    }

    @Test("append rejects records that do not fit the schema and stays usable")
    func appendValidates() throws {
        let schema = Fixtures.schema(views: 2, depth: true)
        let directory = try Fixtures.scratchDirectory()
        let url = directory.appendingPathComponent("v.gqnshard")
        let writer = try ShardWriter(url: url, schema: schema)
        var wrongViews = Fixtures.record(0, schema: schema)
        wrongViews.views.removeLast()
        var noDepth = Fixtures.record(0, schema: schema)
        noDepth.views[1].depth = nil
        var notPNG = Fixtures.record(0, schema: schema)
        notPNG.views[0].image = [1, 2, 3]
        var rawSchema = schema
        rawSchema.imageEncoding = .raw
        var jpegSchema = schema
        jpegSchema.imageEncoding = .jpeg
        for bad in [wrongViews, noDepth, notPNG, Fixtures.record(0, schema: rawSchema), Fixtures.record(0, schema: jpegSchema)] {
            #expect(throws: ShardFormatError.self) { try writer.append(bad) }
        }
        try writer.append(Fixtures.record(0, schema: schema))
        #expect(try writer.finish().recordCount == 1)
        #expect(throws: ShardFormatError.self) { try writer.finish() }
        #expect(throws: ShardFormatError.self) {
            try ShardWriter(url: url, schema: DatasetSchema(width: 0, height: 4, viewsPerScene: 1))
        }
    }

    @Test("a writer that is never finished leaves nothing under the final name, nor its temporary file")
    func unfinishedWriterLeavesNoFile() throws {
        let directory = try Fixtures.scratchDirectory()
        let url = directory.appendingPathComponent("u.gqnshard")
        do {
            let writer = try ShardWriter(url: url, schema: Fixtures.schema())
            try writer.append(Fixtures.record(0, schema: Fixtures.schema()))
            // While it is open, only a hidden temporary file exists.
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(names.count == 1)
            #expect(names.allSatisfy { $0.hasPrefix(".u.gqnshard.partial-") })
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("an existing shard is never replaced unless asked")
    func noSilentReplace() throws {
        let directory = try Fixtures.scratchDirectory()
        let schema = Fixtures.schema()
        let (url, first) = try Fixtures.writeShard("r.gqnshard", in: directory, schema: schema, scenes: 0..<2)
        #expect(throws: ShardFormatError.alreadyExists(path: url.path)) {
            try ShardWriter(url: url, schema: schema)
        }
        // A file appearing while a writer runs is not replaced either.
        let other = directory.appendingPathComponent("s.gqnshard")
        let writer = try ShardWriter(url: other, schema: schema)
        try FileManager.default.copyItem(at: url, to: other)
        #expect(throws: ShardFormatError.alreadyExists(path: other.path)) { try writer.finish() }
        #expect(try FileDigest.sizeAndSHA256(of: other).sha256 == first.sha256)
        let replacing = try ShardWriter(url: url, schema: schema, replacingExisting: true)
        try replacing.append(Fixtures.record(9, schema: schema))
        #expect(try replacing.finish().recordCount == 1)
        #expect(try ShardReader(url: url).count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["r.gqnshard", "s.gqnshard"])
    }

    @Test("shard and partial manifest names are zero-padded and brace-expandable")
    func names() {
        #expect(ShardName.fileName(split: "train", index: 3, count: 64) == "train-00003-of-00064.gqnshard")
        #expect(ShardName.fileName(split: "test", index: 123_456, count: 200_000) == "test-123456-of-200000.gqnshard")
        #expect(ShardName.partialManifestFileName(worker: 3, workerCount: 8) == "manifest.worker-00003-of-00008.json")
    }
}
