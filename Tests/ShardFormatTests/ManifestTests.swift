import Foundation
import Testing
@testable import ShardFormat

@Suite("Manifest")
struct ManifestTests {
    static let familySpecText = #"""
    {"name": "rooms", "objects": {"max": 3, "shapes": ["box", "sphere"]}, "fov": 50.0,
     "jitter": 0.125, "big": 18446744073709551615, "negative": -7, "flag": true, "none": null,
     "nested": [[1, 2.5], {"z": "ü\"/"}]}
    """#
    let schema = Fixtures.schema(views: 2)

    func manifest(shards: [ShardEntry] = [], worker: Manifest.Worker? = nil) throws -> Manifest {
        Manifest(
            generator: "scenegen 0.1.0", familySpec: try JSONValue(parsing: Data(Self.familySpecText.utf8)),
            datasetSeed: 0xFFFF_FFFF_FFFF_FFF0, schema: schema,
            splits: [DatasetSplit(name: "train", firstSceneIndex: 0, sceneCount: 6),
                     DatasetSplit(name: "test", firstSceneIndex: 6, sceneCount: 2)],
            shards: shards, worker: worker
        )
    }

    @Test("writes sorted, deterministic JSON and reads back every field, the family spec exactly")
    func roundTrip() throws {
        let directory = try Fixtures.scratchDirectory()
        let entry = ShardEntry(file: "train-00000-of-00001.gqnshard", split: "train", firstSceneIndex: 0,
                               recordCount: 6, byteSize: 1234, sha256: String(repeating: "ab", count: 32))
        let original = try manifest(shards: [entry])
        let url = directory.appendingPathComponent(Manifest.fileName)
        try original.write(to: url)
        let loaded = try Manifest.load(from: url)
        #expect(loaded == original)
        #expect(try loaded.encoded() == original.encoded())
        #expect(try Data(contentsOf: url) == original.encoded())
        let spec = try JSONValue(parsing: Data(Self.familySpecText.utf8))
        #expect(loaded.familySpec == spec)
        guard case .object(let members) = loaded.familySpec else {
            Issue.record("family spec is not an object")
            return
        }
        #expect(members["big"] == .unsignedInteger(.max))
        #expect(members["fov"] == .double(50) || members["fov"] == .integer(50))
        #expect(members["jitter"] == .double(0.125))
        #expect(members["flag"] == .bool(true))
        #expect(members["none"] == .null)
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        #expect(text.contains("\"datasetSeed\" : 18446744073709551600"))
        #expect(text.range(of: "\"datasetSeed\"")!.lowerBound < text.range(of: "\"familySpec\"")!.lowerBound)
        #expect(throws: ShardFormatError.alreadyExists(path: url.path)) { try original.write(to: url) }
        try original.write(to: url, replacingExisting: true)
    }

    @Test("shard paths that are absolute or leave the dataset directory are rejected",
          arguments: ["../escape.gqnshard", "/etc/passwd", "sub/../../x.gqnshard", "a/..", ""])
    func unsafePaths(path: String) throws {
        let directory = try Fixtures.scratchDirectory()
        let url = directory.appendingPathComponent(Manifest.fileName)
        let bad = try manifest(shards: [ShardEntry(file: path, split: "train", firstSceneIndex: 0, recordCount: 6,
                                                   byteSize: 1, sha256: "00")])
        try bad.write(to: url)
        let error = #expect(throws: ShardFormatError.self) { try Manifest.load(from: url) }
        guard let error, case .unsafeShardPath(url.path, path, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        #expect(throws: ShardFormatError.self) { try bad.shardURL(for: bad.shards[0], in: directory) }
    }

    @Test("a symbolic link out of the dataset directory is not followed")
    func symlinkEscape() throws {
        let directory = try Fixtures.scratchDirectory()
        let outside = try Fixtures.scratchDirectory()
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("out"), withDestinationURL: outside)
        let entry = ShardEntry(file: "out/x.gqnshard", split: "train", firstSceneIndex: 0, recordCount: 6, byteSize: 1, sha256: "00")
        let value = try manifest(shards: [entry])
        #expect(throws: ShardFormatError.self) { try value.shardURL(for: entry, in: directory) }
        let inside = ShardEntry(file: "sub/x.gqnshard", split: "train", firstSceneIndex: 0, recordCount: 6, byteSize: 1, sha256: "00")
        #expect(try value.shardURL(for: inside, in: directory) == directory.appendingPathComponent("sub/x.gqnshard"))
    }

    /// Writes the shards of a two-worker generation and their partial manifests.
    func distributedDataset() throws -> (directory: URL, partials: [URL]) {
        let directory = try Fixtures.scratchDirectory()
        let layout: [(split: String, index: Int, count: Int, scenes: Range<UInt64>, worker: Int)] = [
            ("train", 0, 3, 0..<2, 0), ("train", 1, 3, 2..<4, 1), ("train", 2, 3, 4..<6, 0), ("test", 0, 1, 6..<8, 1),
        ]
        var perWorker: [[ShardEntry]] = [[], []]
        for shard in layout {
            let name = ShardName.fileName(split: shard.split, index: shard.index, count: shard.count)
            let (_, summary) = try Fixtures.writeShard(name, in: directory, schema: schema, scenes: shard.scenes)
            perWorker[shard.worker].append(ShardEntry(summary: summary, split: shard.split))
        }
        var urls: [URL] = []
        for worker in 0..<2 {
            let url = directory.appendingPathComponent(ShardName.partialManifestFileName(worker: worker, workerCount: 2))
            try manifest(shards: perWorker[worker], worker: Manifest.Worker(index: worker, count: 2)).write(to: url)
            urls.append(url)
        }
        return (directory, urls)
    }

    @Test("merging complete partial manifests gives the full manifest in split and scene order")
    func mergeSucceeds() throws {
        let (directory, partials) = try distributedDataset()
        #expect(try Manifest.partialManifestURLs(in: directory).map(\.lastPathComponent) == partials.map(\.lastPathComponent))
        let merged = try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory)
        #expect(merged.worker == nil)
        #expect(merged.shards.map(\.file) == [
            "train-00000-of-00003.gqnshard", "train-00001-of-00003.gqnshard", "train-00002-of-00003.gqnshard",
            "test-00000-of-00001.gqnshard",
        ])
        #expect(merged.shards.map(\.firstSceneIndex) == [0, 2, 4, 6])
        #expect(merged.checkShardFiles(in: directory).isEmpty)
        try merged.write(to: directory.appendingPathComponent(Manifest.fileName))
        let reloaded = try Manifest.load(from: directory.appendingPathComponent(Manifest.fileName))
        for shard in reloaded.shards {
            let reader = try ShardReader(url: reloaded.shardURL(for: shard, in: directory))
            #expect(reader.count == shard.recordCount)
            #expect(reader.problems(firstSceneIndex: shard.firstSceneIndex).isEmpty)
        }
    }

    @Test("merge refuses a missing shard, naming the uncovered scenes")
    func mergeMissingShard() throws {
        let (directory, partials) = try distributedDataset()
        var second = try Manifest.load(from: partials[1])
        second.shards.removeAll { $0.file.hasPrefix("train-00001") }
        try second.write(to: partials[1], replacingExisting: true)
        #expect(throws: ShardFormatError.manifestMismatch(
            path: directory.path, field: "split train", expected: "shards covering scenes 0..<6", found: "no shard for scenes 2..<4"
        )) { try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory) }
        #expect(throws: ShardFormatError.manifestMismatch(
            path: directory.path, field: "partial manifests", expected: "workers 0..<2, once each", found: "no manifest from worker 1"
        )) { try Manifest.merge(partialManifestsAt: [partials[0]], datasetDirectory: directory) }
    }

    @Test("merge refuses a shard listed twice")
    func mergeDuplicateShard() throws {
        let (directory, partials) = try distributedDataset()
        let first = try Manifest.load(from: partials[0])
        var second = try Manifest.load(from: partials[1])
        second.shards.append(first.shards[0])
        try second.write(to: partials[1], replacingExisting: true)
        #expect(throws: ShardFormatError.manifestMismatch(
            path: partials[1].path, field: "shard train-00000-of-00003.gqnshard", expected: "listed once",
            found: "also listed in manifest.worker-00000-of-00002.json"
        )) { try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory) }
    }

    @Test("merge refuses a shard whose file does not match its size or SHA-256")
    func mergeHashMismatch() throws {
        let (directory, partials) = try distributedDataset()
        let shard = directory.appendingPathComponent("test-00000-of-00001.gqnshard")
        try Fixtures.corrupt(shard) { $0[100] ^= 0xFF }
        let error = #expect(throws: ShardFormatError.self) {
            try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory)
        }
        guard let error, case .manifestMismatch(shard.path, "sha256", _, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        try Fixtures.corrupt(shard) { $0.append(0) }
        #expect(throws: ShardFormatError.self) { try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory) }
        try FileManager.default.removeItem(at: shard)
        #expect(throws: ShardFormatError.manifestMismatch(
            path: shard.path, field: "shard test-00000-of-00001.gqnshard", expected: "an existing file", found: "no file"
        )) { try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory) }
    }

    @Test("merge refuses partial manifests from different generations")
    func mergeDifferentGenerations() throws {
        let (directory, partials) = try distributedDataset()
        var second = try Manifest.load(from: partials[1])
        second.datasetSeed = 1
        try second.write(to: partials[1], replacingExisting: true)
        let error = #expect(throws: ShardFormatError.self) {
            try Manifest.merge(partialManifestsAt: partials, datasetDirectory: directory)
        }
        guard let error, case .manifestMismatch(partials[1].path, "datasetSeed", _, "1") = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
    }

    @Test("format version: 1 for PNG, 2 for JPEG; versions outside 1...2 and JPEG in version 1 are refused")
    func formatVersions() throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent(Manifest.fileName)
        var png = try manifest()
        #expect(png.formatVersion == 1)
        var jpeg = png
        jpeg.schema.imageEncoding = .jpeg
        jpeg = Manifest(generator: jpeg.generator, familySpec: jpeg.familySpec, datasetSeed: jpeg.datasetSeed,
                        schema: jpeg.schema, splits: jpeg.splits, shards: jpeg.shards)
        #expect(jpeg.formatVersion == 2)
        try jpeg.write(to: url)
        #expect(try Manifest.load(from: url) == jpeg)
        png.formatVersion = 2
        try png.write(to: url, replacingExisting: true)
        #expect(try Manifest.load(from: url).formatVersion == 2, "a reader accepts version 2 for any encoding")
        for (bad, reason) in [(3, "expected 1 through 2, found 3"), (0, "expected 1 through 2, found 0")] {
            png.formatVersion = bad
            try png.write(to: url, replacingExisting: true)
            #expect(throws: ShardFormatError.invalidManifest(path: url.path, reason: "formatVersion: \(reason)")) {
                try Manifest.load(from: url)
            }
        }
        jpeg.formatVersion = 1
        try jpeg.write(to: url, replacingExisting: true)
        #expect(throws: ShardFormatError.invalidManifest(
            path: url.path, reason: "formatVersion: expected at least 2 for jpeg images, found 1")) {
            try Manifest.load(from: url)
        }
    }

    @Test("a manifest that is not JSON of the right shape is reported with the decoder's reason")
    func invalidManifest() throws {
        let url = try Fixtures.scratchDirectory().appendingPathComponent(Manifest.fileName)
        try Data(#"{"formatVersion": 1}"#.utf8).write(to: url)
        let error = #expect(throws: ShardFormatError.self) { try Manifest.load(from: url) }
        guard let error, case .invalidManifest(url.path, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        var zeroWidth = try manifest()
        zeroWidth.schema.width = 0
        try zeroWidth.write(to: url, replacingExisting: true)
        #expect(throws: ShardFormatError.invalidManifest(path: url.path, reason: "schema.width: expected 1...65535, found 0")) {
            try Manifest.load(from: url)
        }
    }
}
