import Foundation
import ImageCodec
import ShardFormat
import Testing
@testable import ShardTools

/// Flips one bit of the byte `payloadByte` bytes into record `record`'s payload and returns
/// the record's file offset (read from the shard's trailer and index).
@discardableResult
func flipPayloadByte(_ payloadByte: Int, ofRecord record: Int, in url: URL) throws -> Int {
    var bytes = [UInt8](try Data(contentsOf: url))
    func u64(_ at: Int) -> Int { Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }) }
    let offset = u64(u64(bytes.count - 32) + 8 * record)
    bytes[offset + 12 + payloadByte] ^= 0x40
    try Data(bytes).write(to: url)
    return offset
}

@Suite("info")
struct InfoTests {
    @Test("JSON of a two-shard dataset has the total scene count, splits, shard count and bytes")
    func datasetJSON() throws {
        let (directory, manifest) = try TestData.twoShardDataset()
        let data = try DatasetInfo(DatasetInput.open(path: directory.path)).json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["scenes"] as? Int == 5)
        #expect(object["shardCount"] as? Int == 2)
        #expect(object["viewsPerScene"] as? Int == 2)
        #expect(object["width"] as? Int == 8 && object["height"] as? Int == 6)
        #expect(object["encoding"] as? String == "png")
        #expect(object["generator"] as? String == "scenegen test")
        #expect(object["datasetSeed"] as? Int == 42)
        let sizes = try manifest.shards.map { try FileManager.default.attributesOfItem(
            atPath: directory.appendingPathComponent($0.file).path)[.size] as? Int ?? -1 }
        #expect(object["totalBytes"] as? Int == sizes.reduce(0, +))
        let splits = try #require(object["splits"] as? [[String: Any]])
        #expect(splits.map { $0["name"] as? String } == ["train", "test"])
        #expect(splits.map { $0["sceneCount"] as? Int } == [3, 2])
        let decoded = try JSONDecoder().decode(DatasetInfo.self, from: data)
        #expect(decoded.splits == TestData.splits)
        let table = DatasetInfo(try DatasetInput.open(path: directory.path)).table()
        #expect(table.contains("scenes       5"))
        #expect(table.contains("test             3       2"))
    }

    @Test("a single shard reports its record count and schema")
    func singleShard() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let url = directory.appendingPathComponent("test-00000-of-00001.gqnshard")
        let info = DatasetInfo(try DatasetInput.open(path: url.path))
        #expect(info.kind == "shard")
        #expect(info.records == 2 && info.scenes == 2)
        #expect(info.schema == TestData.schema())
        #expect(info.splits == nil && info.generator == nil)
    }

    @Test("bad paths give messages naming the path and what was expected")
    func badPaths() throws {
        let directory = try TestData.scratchDirectory()
        #expect(throws: ShardToolError.noSuchPath(path: directory.path + "/nope")) {
            try DatasetInput.open(path: directory.path + "/nope")
        }
        #expect(throws: ShardToolError.notADataset(path: directory.path, hint: "no manifest and no shard files")) {
            try DatasetInput.open(path: directory.path)
        }
        let junk = directory.appendingPathComponent("junk.gqnshard")
        try Data(repeating: 7, count: 100).write(to: junk)
        let error = try #require(throws: ShardFormatError.self) { try DatasetInput.open(path: junk.path) }
        #expect(error.description.contains("junk.gqnshard: byte offset 0: bad magic number"))
    }
}

@Suite("verify")
struct VerifyTests {
    @Test("a sound dataset passes with a summary line")
    func sound() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let report = DatasetVerifier.verify(try DatasetInput.open(path: directory.path))
        #expect(report.problems.isEmpty)
        #expect(report.warnings.isEmpty)
        #expect(report.summary == "verified 2 shards, 5 scenes: OK")
    }

    @Test("a flipped byte inside a record names the shard, the record and its offset")
    func flippedByte() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let url = directory.appendingPathComponent("test-00000-of-00001.gqnshard")
        let offset = try flipPayloadByte(30, ofRecord: 1, in: url)  // inside view 0's pose

        let report = DatasetVerifier.verify(try DatasetInput.open(path: directory.path))
        #expect(!report.isSound)
        #expect(report.summary == "verified 2 shards, 5 scenes: 2 problems")
        let messages = report.problems.map(\.description)
        #expect(messages.contains { $0.contains("test-00000-of-00001.gqnshard: sha256: expected ") })
        let crc = try #require(report.problems.first { if case .checksumMismatch = $0 { true } else { false } })
        guard case .checksumMismatch(let path, let region, let record, let at, _, _) = crc else { return }
        #expect(path.hasSuffix("test-00000-of-00001.gqnshard"))
        #expect(region == "record" && record == 1 && at == UInt64(offset))
        #expect(crc.description.contains("test-00000-of-00001.gqnshard: record 1, byte offset \(offset): record CRC-32C mismatch"))
    }

    @Test("a missing shard, a wrong schema and an unlisted shard file are reported")
    func manifestProblems() throws {
        let (directory, manifest) = try TestData.twoShardDataset()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("train-00000-of-00001.gqnshard"))
        try TestData.writeShard("stray.gqnshard", split: "train", scenes: 0..<1, schema: TestData.schema(), in: directory)
        var changed = manifest
        changed.schema.viewsPerScene = 3
        try changed.write(to: directory.appendingPathComponent(Manifest.fileName), replacingExisting: true)

        let report = DatasetVerifier.verify(try DatasetInput.open(path: directory.path))
        let messages = report.problems.map(\.description)
        #expect(messages.count == 2)
        #expect(messages[0].contains("train-00000-of-00001.gqnshard: shard train-00000-of-00001.gqnshard: expected an existing file, found no file"))
        #expect(messages[1].contains("test-00000-of-00001.gqnshard: schema: expected 8x6x3 png, 3 views (manifest), found 8x6x3 png, 2 views"))
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("stray.gqnshard: a .gqnshard file the manifest does not list") == true)
        #expect(report.summary == "verified 2 shards, 2 scenes: 2 problems")
    }

    @Test("record counts and scene indices are checked against the manifest")
    func sceneIndices() throws {
        let (directory, manifest) = try TestData.twoShardDataset()
        var changed = manifest
        changed.shards[1].firstSceneIndex = 4
        changed.shards[1].recordCount = 3
        try changed.write(to: directory.appendingPathComponent(Manifest.fileName), replacingExisting: true)
        let report = DatasetVerifier.verify(try DatasetInput.open(path: directory.path))
        let messages = report.problems.map(\.description)
        #expect(messages.contains { $0.hasSuffix("test-00000-of-00001.gqnshard: recordCount: expected 3 (manifest), found 2") })
        #expect(messages.contains { $0.contains("record 0,") && $0.hasSuffix("sceneIndex: expected 4 (manifest), found 3") })
        #expect(messages.contains { $0.contains("record 1,") && $0.hasSuffix("sceneIndex: expected 5 (manifest), found 4") })
    }
}

@Suite("cat and export")
struct CatExportTests {
    @Test("a global scene index is found across shards")
    func globalIndex() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let input = try DatasetInput.open(path: directory.path)
        for scene: UInt64 in 0..<5 {
            let located = try input.record(scene)
            #expect(located.record.sceneIndex == scene)
            #expect(located.shardURL.lastPathComponent == (scene < 3 ? "train" : "test") + "-00000-of-00001.gqnshard")
            #expect(located.position == Int(scene < 3 ? scene : scene - 3))
        }
        let description = SceneDescription(try input.record(4))
        #expect(description.sceneIndex == 4 && description.sceneSeed == 1004)
        #expect(description.shard == "test-00000-of-00001.gqnshard" && description.record == 1)
        #expect(description.views[1].pose == TestData.pose(scene: 4, view: 1))
        #expect(description.views[0].cameraToWorld[1] == [8, 9, 10, 11])
        #expect(description.labels.objects.map(\.shape) == ["cube", "cube"])
        let json = try #require(try JSONSerialization.jsonObject(with: description.json()) as? [String: Any])
        #expect(json["sceneIndex"] as? Int == 4)
        let labels = try #require(json["labels"] as? [String: Any])
        let objects = try #require(labels["objects"] as? [[String: Any]])
        #expect(objects.map { $0["colorName"] as? String } == ["cyan", "red"])
        #expect(description.text().contains("shard  test-00000-of-00001.gqnshard, record 1"))

        #expect(try input.record(1, shard: "test-00000-of-00001.gqnshard").record.sceneIndex == 4)
        #expect(throws: ShardToolError.recordOutOfRange(path: directory.path, record: 5, available: "a scene index in 0..<5")) {
            try input.record(5)
        }
        #expect(throws: ShardToolError.self) { try input.record(0, shard: "nope.gqnshard") }
    }

    @Test("in a single shard, the record number is the position")
    func shardPosition() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let input = try DatasetInput.open(path: directory.appendingPathComponent("test-00000-of-00001.gqnshard").path)
        #expect(try input.record(0).record.sceneIndex == 3)
        #expect(throws: ShardToolError.self) { try input.record(2) }
    }

    @Test("export writes the views, depth, masks and scene.json; raw views become PNGs",
          arguments: [DatasetSchema.ImageEncoding.png, .raw])
    func export(encoding: DatasetSchema.ImageEncoding) throws {
        let schema = TestData.schema(encoding: encoding, depth: true, masks: true)
        let (directory, _) = try TestData.twoShardDataset(schema: schema)
        let input = try DatasetInput.open(path: directory.path)
        let out = try TestData.scratchDirectory().appendingPathComponent("scene-2")
        let files = try RecordImages.export(input.record(2), schema: schema, to: out)
        #expect(files.map(\.lastPathComponent) == ["view-00.png", "depth-00.png", "mask-00.png",
                                                   "view-01.png", "depth-01.png", "mask-01.png", "scene.json"])
        let view = try PNGCodec.decodeRGB8([UInt8](Data(contentsOf: out.appendingPathComponent("view-01.png"))))
        #expect(view == TestData.colorBitmap(scene: 2, view: 1))
        let depth = try PNGCodec.decodeGray16([UInt8](Data(contentsOf: out.appendingPathComponent("depth-01.png"))))
        #expect(depth.samples.allSatisfy { $0 == 1001 })
        let scene = try JSONDecoder().decode(SceneDescription.self, from: Data(contentsOf: out.appendingPathComponent("scene.json")))
        #expect(scene == SceneDescription(try input.record(2)))
        #expect(scene.views[0].depthBytes != nil && scene.views[0].maskBytes != nil)
    }
}

@Suite("grid")
struct GridTests {
    @Test("the sheet is rows x columns tiles plus padding, each tile the stored view")
    func size() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let input = try DatasetInput.open(path: directory.path)
        let sheet = try RecordImages.contactSheet(input, records: 1..<5)
        #expect(sheet.width == 2 * TestData.width + 3 * 2)
        #expect(sheet.height == 4 * TestData.height + 5 * 2)
        // Row 2 is scene 3, column 1 its view 1.
        let left = 2 + 1 * (TestData.width + 2), top = 2 + 2 * (TestData.height + 2)
        #expect((0..<3).map { sheet[left + 3, top + 2, $0] } == TestData.pixel(scene: 3, view: 1))
        #expect(sheet[0, 0, 0] == 40)

        let oneView = try RecordImages.contactSheet(input, records: 0..<2, views: 1)
        #expect(oneView.width == TestData.width + 4 && oneView.height == 2 * TestData.height + 6)

        let out = try TestData.scratchDirectory().appendingPathComponent("grid.png")
        try AtomicFile.save(PNGCodec.encode(sheet), to: out)
        #expect(try PNGCodec.decodeRGB8([UInt8](Data(contentsOf: out))) == sheet)
    }

    @Test("a range reaching past the dataset fails before reading, naming the first missing scene")
    func outOfRange() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let input = try DatasetInput.open(path: directory.path)
        #expect(throws: ShardToolError.recordOutOfRange(path: directory.path, record: 5, available: "scene indices in 0..<5")) {
            try RecordImages.contactSheet(input, records: 3..<9)
        }
    }

    @Test("A..B is half-open, A...B closed, A one record; empty or malformed ranges are rejected")
    func rangeParsing() {
        #expect(RecordRange(parsing: "0..8")?.range == 0..<8)
        #expect(RecordRange(parsing: "2..<5")?.range == 2..<5)
        #expect(RecordRange(parsing: "2...5")?.range == 2..<6)
        #expect(RecordRange(parsing: "7")?.range == 7..<8)
        for bad in ["5..5", "6..2", "a..b", "1..", "..4", "-1..3", "", "1...18446744073709551615"] {
            #expect(RecordRange(parsing: bad) == nil, "\(bad)")
        }
    }
}

@Suite("stats")
struct StatsTests {
    @Test("shapes, colours, objects per scene, textures, lights and pose ranges over all records")
    func counts() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let stats = try DatasetStatistics(DatasetInput.open(path: directory.path))
        #expect(stats.scenes == 5 && stats.views == 10 && stats.objects == 9)
        #expect(stats.shapes == ["sphere": 3, "cube": 4, "cone": 1, "cylinder": 1])
        #expect(stats.colorNames == ["red": 5, "blue": 2, "green": 1, "cyan": 1])
        #expect(stats.objectsPerScene == [.init(objects: 1, scenes: 2), .init(objects: 2, scenes: 2), .init(objects: 3, scenes: 1)])
        #expect(stats.wallTextures == ["cerise": 3, "olive": 2])
        #expect(stats.floorTextures == ["blue": 5])
        #expect(stats.lightKinds == ["point": 4, "directional": 1])
        let ranges = try #require(stats.poseRanges)
        #expect(ranges.x == .init(min: 0, max: 4.5))
        #expect(ranges.y == .init(min: -1, max: 0))
        #expect(ranges.z == .init(min: 1, max: 2))
        #expect(ranges.yaw == .init(min: 0, max: 0.1))
        #expect(ranges.pitch == .init(min: -0.2, max: 0.1 * 4 - 0.2))
        let json = try #require(try JSONSerialization.jsonObject(with: stats.json()) as? [String: Any])
        #expect((json["shapes"] as? [String: Int])?["cube"] == 4)
        #expect(stats.text().contains("cube"))
    }

    @Test("a corrupt record stops stats with its shard and record")
    func corrupt() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let url = directory.appendingPathComponent("train-00000-of-00001.gqnshard")
        let offset = try flipPayloadByte(8, ofRecord: 2, in: url)  // the scene seed
        let error = try #require(throws: ShardFormatError.self) { try DatasetStatistics(DatasetInput.open(path: directory.path)) }
        #expect(error.description.contains("train-00000-of-00001.gqnshard: record 2, byte offset \(offset)"))
    }
}

@Suite("merge")
struct MergeTests {
    /// Two workers' shards and partial manifests (worker 0: train, worker 1: test).
    func partials() throws -> (directory: URL, expected: Manifest) {
        let directory = try TestData.scratchDirectory()
        let schema = TestData.schema()
        let (train, test) = try TestData.writeTwoShards(schema: schema, in: directory)
        for (worker, shard) in [train, test].enumerated() {
            let partial = TestData.manifest(schema: schema, shards: [shard], worker: .init(index: worker, count: 2))
            try partial.write(to: directory.appendingPathComponent(ShardName.partialManifestFileName(worker: worker, workerCount: 2)))
        }
        return (directory, TestData.manifest(schema: schema, shards: [train, test]))
    }

    @Test("two partial manifests merge into the expected manifest.json; a rerun finds it up to date")
    func merge() throws {
        let (directory, expected) = try partials()
        let outcome = try ManifestMerging.merge(in: directory)
        #expect(!outcome.wasUpToDate)
        let url = directory.appendingPathComponent(Manifest.fileName)
        #expect(try Manifest.load(from: url) == expected)
        #expect(try Data(contentsOf: url) == expected.encoded())
        #expect(outcome.summary.contains("merged 2 partial manifests: manifest.worker-00000-of-00002.json, manifest.worker-00001-of-00002.json"))
        #expect(outcome.summary.contains("2 shards, 5 scenes"))

        let again = try ManifestMerging.merge(in: directory)
        #expect(again.wasUpToDate)
        #expect(again.summary.contains("already holds this manifest"))
        #expect(DatasetVerifier.verify(try DatasetInput.open(path: directory.path)).isSound)
    }

    @Test("a different manifest.json is kept unless forced")
    func different() throws {
        let (directory, expected) = try partials()
        let url = directory.appendingPathComponent(Manifest.fileName)
        var other = expected
        other.generator = "someone else"
        try other.write(to: url)
        #expect(throws: ShardToolError.differentManifestExists(path: url.path)) { try ManifestMerging.merge(in: directory) }
        #expect(try Manifest.load(from: url) == other)
        let forced = try ManifestMerging.merge(in: directory, force: true)
        #expect(forced.replacedDifferent)
        #expect(try Manifest.load(from: url) == expected)
    }

    @Test("a missing worker is named and nothing is written")
    func missingWorker() throws {
        let (directory, _) = try partials()
        try FileManager.default.removeItem(at: directory.appendingPathComponent(ShardName.partialManifestFileName(worker: 1, workerCount: 2)))
        let error = try #require(throws: ShardFormatError.self) { try ManifestMerging.merge(in: directory) }
        #expect(error.description.hasSuffix("partial manifests: expected workers 0..<2, once each, found no manifest from worker 1"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(Manifest.fileName).path))
        try FileManager.default.removeItem(at: directory.appendingPathComponent(ShardName.partialManifestFileName(worker: 0, workerCount: 2)))
        #expect(throws: ShardToolError.noPartialManifests(directory: directory.path)) { try ManifestMerging.merge(in: directory) }
    }
}
