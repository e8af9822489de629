import DataLoader
import Foundation
import ImageCodec
import ShardFormat
import Testing
@testable import ShardTools

/// A GQN-shaped dataset small enough for tests: 16 x 16 views with gradients and a hard
/// edge (so JPEG error is real), 3 views, 4 train and 1 test scenes, exported into a
/// made-up layout of 3 train and 2 test files.
enum GQNTestData {
    static let info = GQNDatasetInfo(name: "tiny_rooms", trainFileCount: 3, testFileCount: 2, frameSize: 16, viewsPerScene: 3)
    static let schema = DatasetSchema(width: 16, height: 16, viewsPerScene: 3)

    static func bitmap(scene: Int, view: Int) -> Bitmap<UInt8> {
        var bitmap = Bitmap<UInt8>(width: 16, height: 16, channels: 3)
        for y in 0..<16 {
            for x in 0..<16 {
                let square = (4 + view..<10 + view).contains(x) && (5..<11).contains(y)
                bitmap[x, y, 0] = square ? 220 : UInt8(30 + 8 * x + 10 * scene)
                bitmap[x, y, 1] = square ? UInt8(40 + 30 * view) : UInt8(50 + 7 * y)
                bitmap[x, y, 2] = UInt8(100 + 4 * (x + y))
            }
        }
        return bitmap
    }

    /// Poses with angles all around the circle and below the horizon, the float values a
    /// converter could easily disturb.
    static func pose(scene: Int, view: Int) -> CameraPose {
        let yaw = Float(-3.1) + Float(scene * 3 + view) * 0.47
        return CameraPose(x: 3.1 * cos(yaw), y: 3.1 * sin(yaw), z: 0.6 + 0.01 * Float(scene), yaw: yaw + .pi,
                          pitch: -0.05 * Float(view + 1))
    }

    /// Writes the dataset (one train shard, one test shard) and returns its directory.
    static func dataset() throws -> URL {
        let directory = try TestData.scratchDirectory()
        var entries: [ShardEntry] = []
        for (split, scenes) in [("train", 0..<4), ("test", 4..<5)] {
            let writer = try ShardWriter(url: directory.appendingPathComponent(ShardName.fileName(split: split, index: 0, count: 1)),
                                         schema: schema)
            for scene in scenes {
                try writer.append(SceneRecord(
                    sceneIndex: UInt64(scene), sceneSeed: 7, views: try (0..<3).map { view in
                        ViewRecord(image: try PNGCodec.encode(bitmap(scene: scene, view: view)), pose: pose(scene: scene, view: view),
                                   cameraToWorld: SIMD16(repeating: 1), intrinsics: CameraIntrinsics(fx: 17, fy: 17, cx: 8, cy: 8))
                    },
                    labels: SceneLabels(room: RoomLabel(wallTexture: "red", floorTexture: "blue"), objects: [], lights: [])))
            }
            entries.append(ShardEntry(summary: try writer.finish(), split: split, firstSceneIndex: UInt64(scenes.lowerBound)))
        }
        try Manifest(generator: "GQNTFRecordTests", familySpec: .null, datasetSeed: 1, schema: schema,
                     splits: [DatasetSplit(name: "train", firstSceneIndex: 0, sceneCount: 4),
                              DatasetSplit(name: "test", firstSceneIndex: 4, sceneCount: 1)],
                     shards: entries).write(to: directory.appendingPathComponent(Manifest.fileName))
        return directory
    }

    /// Exports the dataset and returns the export root.
    static func exported(threads: Int = 2) throws -> URL {
        let root = try TestData.scratchDirectory()
        _ = try GQNTFRecordExport(dataset: info, quality: 95, threads: threads).run(DatasetInput.open(path: dataset().path), root: root)
        return root
    }
}

@Suite("GQN TFRecord export and import")
struct GQNTFRecordTests {
    @Test("file names and counts of every dataset are data_reader.py's")
    func fileNames() throws {
        let rooms = try GQNDatasetInfo.named("rooms_ring_camera")
        #expect(rooms == GQNDatasetInfo(name: "rooms_ring_camera", trainFileCount: 2160, testFileCount: 240, frameSize: 64, viewsPerScene: 10))
        #expect(rooms.fileName(index: 0, split: "train") == "0001-of-2160.tfrecord")
        #expect(rooms.fileName(index: 2159, split: "train") == "2160-of-2160.tfrecord")
        #expect(rooms.fileName(index: 0, split: "test") == "001-of-240.tfrecord")
        let shepard = try GQNDatasetInfo.named("shepard_metzler_7_parts")
        #expect(shepard.fileName(index: 99, split: "test") == "100-of-100.tfrecord")
        #expect(shepard.fileName(index: 8, split: "train") == "009-of-900.tfrecord")
        #expect(shepard.viewsPerScene == 15 && shepard.trainFileCount == 900)
        #expect(try GQNDatasetInfo.named("mazes").frameSize == 84)
        #expect(try GQNDatasetInfo.named("jaco").viewsPerScene == 11)
        #expect(GQNDatasetInfo.all.count == 7)
        #expect(throws: ShardToolError.self) { try GQNDatasetInfo.named("rooms") }
    }

    @Test("scenes spread over files in contiguous runs differing by at most one; extra files empty")
    func sceneAssignment() {
        for (scenes, files) in [(4, 3), (1, 2), (0, 5), (10_000, 2160), (7, 7)] {
            let ranges = (0..<files).map { GQNTFRecordExport.sceneRange(file: $0, fileCount: files, sceneCount: scenes) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == scenes)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            let sizes = ranges.map(\.count)
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
    }

    @Test("export writes the layout; a record parses back to the scene's frames and poses")
    func exportLayout() throws {
        let root = try GQNTestData.exported()
        let train = root.appendingPathComponent("tiny_rooms/train")
        #expect(try FileManager.default.contentsOfDirectory(atPath: train.path).sorted() == ["1-of-3.tfrecord", "2-of-3.tfrecord", "3-of-3.tfrecord"])
        let test = root.appendingPathComponent("tiny_rooms/test")
        #expect(try Data(contentsOf: test.appendingPathComponent("1-of-2.tfrecord")).isEmpty, "1 test scene over 2 files: the first is empty")
        let records = try TFRecordReader(path: train.appendingPathComponent("3-of-3.tfrecord").path).readAll()
        #expect(records.count == 2)
        let example = try GQNExample(parsing: records[1], path: "3-of-3", record: 1, dataOffset: 0)
        #expect(example.frames.count == 3)
        let pose = GQNTestData.pose(scene: 3, view: 2)
        #expect(Array(example.cameras[10..<15]) == [pose.x, pose.y, pose.z, pose.yaw, pose.pitch])
        let frame = try JPEGCodec.decodeRGB8(example.frames[2])
        #expect(frame.peakSignalToNoiseRatio(to: GQNTestData.bitmap(scene: 3, view: 2)) >= 35)
    }

    @Test("export bytes do not depend on the thread count")
    func deterministicExport() throws {
        let one = try GQNTestData.exported(threads: 1), three = try GQNTestData.exported(threads: 3)
        for path in ["train/1-of-3.tfrecord", "train/3-of-3.tfrecord", "test/2-of-2.tfrecord"] {
            let a = try Data(contentsOf: one.appendingPathComponent("tiny_rooms/" + path))
            let b = try Data(contentsOf: three.appendingPathComponent("tiny_rooms/" + path))
            #expect(!a.isEmpty && a == b)
        }
    }

    @Test("round trip ours -> TFRecord -> import: poses identical, views >= 35 dB PSNR; the loader reads it")
    func roundTrip() throws {
        let root = try GQNTestData.exported()
        let output = try TestData.scratchDirectory().appendingPathComponent("imported")
        let summary = try GQNTFRecordImport(dataset: GQNTestData.info, threads: 2).run(source: root, output: output)
        #expect(summary.records == 5 && summary.files == 5 && summary.missingFiles == 0 && summary.writtenShards == 4)
        let input = try DatasetInput.open(path: output.path)
        #expect(input.schema == DatasetSchema(width: 16, height: 16, imageEncoding: .jpeg, viewsPerScene: 3))
        #expect(input.sceneCount == 5)
        var worst = Double.infinity
        try input.forEachRecord { located in
            let scene = Int(located.record.sceneIndex)
            for view in 0..<3 {
                #expect(located.record.views[view].pose == GQNTestData.pose(scene: scene, view: view))
                let decoded = try RecordImages.colorBitmap(of: located, view: view, schema: input.schema)
                worst = min(worst, decoded.peakSignalToNoiseRatio(to: GQNTestData.bitmap(scene: scene, view: view)))
            }
        }
        #expect(worst >= 35, "worst view PSNR \(worst) dB")
        // The training loader takes the imported dataset: JPEG decoded, viewpoints from the poses.
        let loader = try GQNLoader(configuration: LoaderConfiguration(
            directory: output, split: "train", batchSize: 4, context: .fixed(2), shuffle: false, decodeThreads: 1))
        let batch = try #require(try loader.next())
        #expect(batch.batchSize == 4)
        #expect(batch.queryImage.allSatisfy { (0...1).contains($0) })
        let query = Array(batch.queryViewpoint[0..<GQNBatch.viewpointSize])
        let scene = Int(batch.sceneIndices[0])
        #expect((0..<3).contains { query == GQNBatch.viewpoint(GQNTestData.pose(scene: scene, view: $0)) })
    }

    @Test("a flipped byte is refused naming the file, the record and its offset; nothing is published for that file")
    func corruptCRC() throws {
        let root = try GQNTestData.exported()
        let file = root.appendingPathComponent("tiny_rooms/train/3-of-3.tfrecord")
        var bytes = [UInt8](try Data(contentsOf: file))
        let secondRecord = try TFRecordReader(path: file.path).readAll()[0].count + 16
        bytes[secondRecord + 40] ^= 0x04
        try Data(bytes).write(to: file)
        let output = try TestData.scratchDirectory()
        let error = #expect(throws: ShardFormatError.self) {
            try GQNTFRecordImport(dataset: GQNTestData.info, threads: 1).run(source: root, output: output)
        }
        #expect(error?.description.hasPrefix("\(file.path): record 1, byte offset \(secondRecord): TFRecord data CRC-32C mismatch") == true,
                "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("train-00002-of-00003.gqnshard").path))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(Manifest.fileName).path))
    }

    @Test("wrong image size or views for NAME are refused, on export and on import")
    func wrongShape() throws {
        let dataset = try DatasetInput.open(path: GQNTestData.dataset().path)
        let rooms = try GQNDatasetInfo.named("rooms_ring_camera")
        #expect(throws: ShardToolError.gqnMismatch(path: dataset.path, dataset: "rooms_ring_camera", field: "image size",
                                                   expected: "64x64", found: "16x16")) {
            try GQNTFRecordExport(dataset: rooms).run(dataset, root: try TestData.scratchDirectory())
        }
        var moreViews = GQNTestData.info
        moreViews.viewsPerScene = 4
        #expect(throws: ShardToolError.gqnMismatch(path: dataset.path, dataset: "tiny_rooms", field: "views per scene",
                                                   expected: "4", found: "3")) {
            try GQNTFRecordExport(dataset: moreViews).run(dataset, root: try TestData.scratchDirectory())
        }
        let root = try GQNTestData.exported()
        let importError = #expect(throws: ShardToolError.self) {
            try GQNTFRecordImport(dataset: moreViews).run(source: root, output: try TestData.scratchDirectory())
        }
        #expect(importError?.description.contains("record 0: frames does not fit GQN dataset tiny_rooms: expected 4 frames, found 3") == true,
                "\(String(describing: importError))")
        var bigger = GQNTestData.info
        bigger.frameSize = 32
        let sizeError = #expect(throws: ShardToolError.self) {
            try GQNTFRecordImport(dataset: bigger).run(source: root, output: try TestData.scratchDirectory())
        }
        #expect(sizeError?.description.contains("frame 0 size does not fit GQN dataset tiny_rooms: expected 32x32, found 16x16") == true)
    }

    @Test("import resumes: finished shards are verified and kept, leftovers removed; another source is refused")
    func resume() throws {
        let root = try GQNTestData.exported()
        let stray = root.appendingPathComponent("tiny_rooms/train/notes.txt")
        try Data("stray".utf8).write(to: stray)
        let output = try TestData.scratchDirectory()
        let importer = GQNTFRecordImport(dataset: GQNTestData.info, threads: 2)
        let first = try importer.run(source: root, output: output)
        #expect(first.ignoredFiles == ["train/notes.txt"])
        let manifest = try Data(contentsOf: output.appendingPathComponent(Manifest.fileName))
        // An interrupted second run: one shard gone, a dead process's temporary file left.
        try FileManager.default.removeItem(at: output.appendingPathComponent("train-00001-of-00003.gqnshard"))
        let leftover = output.appendingPathComponent(".train-00001-of-00003.gqnshard.partial-2147483646-1f")
        try Data([1, 2, 3]).write(to: leftover)
        let second = try importer.run(source: root, output: output)
        #expect(second.keptShards == 3 && second.writtenShards == 1)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(try Data(contentsOf: output.appendingPathComponent(Manifest.fileName)) == manifest)
        // The same output for another dataset's files is refused.
        var other = GQNTestData.info
        other.name = "other"
        try FileManager.default.moveItem(at: root.appendingPathComponent("tiny_rooms"), to: root.appendingPathComponent("other"))
        #expect(throws: ShardToolError.self) { try GQNTFRecordImport(dataset: other).run(source: root, output: output) }
    }

    @Test("a protobuf Example round-trips, unknown features are skipped, and a missing one is named")
    func exampleParsing() throws {
        let example = GQNExample(frames: [[0xFF, 0xD8, 0xFF, 1], []], cameras: [1, -2, 3.5, 0, 1e-7, 6, 7, 8, 9, 10])
        #expect(try GQNExample(parsing: example.serialized(), path: "p", record: 0, dataOffset: 0) == example)
        var extra = ProtobufWriter()
        extra.writeMessage(field: 1) { features in
            features.writeMessage(field: 1) { entry in
                entry.writeString(field: 1, "label")
                entry.writeMessage(field: 2) { $0.writeMessage(field: 3) { $0.writeUInt64(field: 1, 5) } }
            }
        }
        let withExtra = extra.bytes + example.serialized()
        #expect(try GQNExample(parsing: withExtra, path: "p", record: 0, dataOffset: 0) == example)
        #expect(throws: ShardFormatError.malformed(path: "p", record: 4, offset: 100, field: "tf.train.Example",
                                                   expected: "features frames and cameras", found: "no frames")) {
            try GQNExample(parsing: extra.bytes, path: "p", record: 4, dataOffset: 100)
        }
    }
}
