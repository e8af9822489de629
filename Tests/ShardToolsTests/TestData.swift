import Foundation
import ImageCodec
import ShardFormat

/// Small datasets built with the ShardFormat API: real PNG views, labels chosen so that the
/// counts the tests expect can be written down by hand.
enum TestData {
    static let width = 8
    static let height = 6
    static let views = 2

    static func schema(encoding: DatasetSchema.ImageEncoding = .png, depth: Bool = false, masks: Bool = false) -> DatasetSchema {
        DatasetSchema(width: width, height: height, imageEncoding: encoding, viewsPerScene: views, hasDepth: depth, hasMasks: masks)
    }

    /// The objects of scene `s`, as (shape, colour name), cycling through this table:
    /// scene 0 has 2 objects, scene 1 one, scene 2 three, scene 3 one, scene 4 two.
    static let objectTable: [[(String, String)]] = [
        [("sphere", "red"), ("cube", "blue")],
        [("sphere", "red")],
        [("cone", "green"), ("sphere", "blue"), ("cube", "red")],
        [("cylinder", "red")],
        [("cube", "cyan"), ("cube", "red")],
    ]

    /// The colour of every pixel of view `v` of scene `s`: distinct per (s, v).
    static func pixel(scene: UInt64, view: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: 40 * scene + 10), UInt8(60 * view + 20), 200]
    }

    static func colorBitmap(scene: UInt64, view: Int) -> Bitmap<UInt8> {
        let rgb = pixel(scene: scene, view: view)
        return Bitmap(width: width, height: height, channels: 3, samples: Array((0..<(width * height)).map { _ in rgb }.joined()))
    }

    /// Pose of view `v` of scene `s`: x = s + 0.5 v, y = -v, z = 1 + 0.25 s, yaw = 0.1 v, pitch = 0.1 s - 0.2.
    static func pose(scene: UInt64, view: Int) -> CameraPose {
        let s = Float(scene), v = Float(view)
        return CameraPose(x: s + 0.5 * v, y: -v, z: 1 + 0.25 * s, yaw: 0.1 * v, pitch: 0.1 * s - 0.2)
    }

    static func record(_ scene: UInt64, schema: DatasetSchema) throws -> SceneRecord {
        let views = try (0..<schema.viewsPerScene).map { view -> ViewRecord in
            let bitmap = colorBitmap(scene: scene, view: view)
            return ViewRecord(
                image: schema.imageEncoding == .png ? try PNGCodec.encode(bitmap) : bitmap.samples,
                pose: pose(scene: scene, view: view),
                cameraToWorld: SIMD16<Float>((0..<16).map { Float($0) + Float(scene) }),
                intrinsics: CameraIntrinsics(fx: 6.4, fy: 6.4, cx: 4, cy: 3),
                depth: schema.hasDepth
                    ? try PNGCodec.encode(Bitmap<UInt16>(width: width, height: height, channels: 1, fill: UInt16(1000 + view)))
                    : nil,
                mask: schema.hasMasks
                    ? try PNGCodec.encode(Bitmap<UInt8>(width: width, height: height, channels: 1, fill: UInt8(view + 1)))
                    : nil
            )
        }
        let objects = objectTable[Int(scene) % objectTable.count].enumerated().map { index, object in
            ObjectLabel(shape: object.0, colorName: object.1, color: SIMD3(1, 0, 0), position: SIMD3(Float(index), 0, 0.5),
                        size: SIMD3(0.5, 0.5, 0.5), yaw: 0.25, pitch: 0, roll: 0)
        }
        let labels = SceneLabels(
            room: RoomLabel(wallTexture: scene % 2 == 0 ? "cerise" : "olive", floorTexture: "blue"),
            objects: objects,
            lights: [LightLabel(kind: scene == 2 ? "directional" : "point", position: SIMD3(0, 0, 3), direction: SIMD3(0, 0, -1),
                                color: SIMD3(1, 1, 1), intensity: 10)]
        )
        return SceneRecord(sceneIndex: scene, sceneSeed: 1000 + scene, views: views, labels: labels)
    }

    /// Writes a shard of `scenes` into `directory` and returns its manifest entry.
    @discardableResult
    static func writeShard(_ name: String, split: String, scenes: Range<UInt64>, schema: DatasetSchema,
                           in directory: URL) throws -> ShardEntry {
        let writer = try ShardWriter(url: directory.appendingPathComponent(name), schema: schema)
        for scene in scenes {
            try writer.append(record(scene, schema: schema))
        }
        return ShardEntry(summary: try writer.finish(), split: split, firstSceneIndex: scenes.lowerBound)
    }

    static let splits = [DatasetSplit(name: "train", firstSceneIndex: 0, sceneCount: 3),
                         DatasetSplit(name: "test", firstSceneIndex: 3, sceneCount: 2)]

    static func manifest(schema: DatasetSchema, shards: [ShardEntry], worker: Manifest.Worker? = nil) -> Manifest {
        Manifest(generator: "scenegen test", familySpec: .object(["name": .string("test_rooms")]), datasetSeed: 42,
                 schema: schema, splits: splits, shards: shards, worker: worker)
    }

    /// A two-shard dataset: `train-00000-of-00001.gqnshard` with scenes 0..<3 and
    /// `test-00000-of-00001.gqnshard` with scenes 3..<5, and its `manifest.json`.
    static func twoShardDataset(schema: DatasetSchema = schema()) throws -> (directory: URL, manifest: Manifest) {
        let directory = try scratchDirectory()
        let (train, test) = try writeTwoShards(schema: schema, in: directory)
        let manifest = manifest(schema: schema, shards: [train, test])
        try manifest.write(to: directory.appendingPathComponent(Manifest.fileName))
        return (directory, manifest)
    }

    static func writeTwoShards(schema: DatasetSchema, in directory: URL) throws -> (train: ShardEntry, test: ShardEntry) {
        (try writeShard(ShardName.fileName(split: "train", index: 0, count: 1), split: "train", scenes: 0..<3,
                        schema: schema, in: directory),
         try writeShard(ShardName.fileName(split: "test", index: 0, count: 1), split: "test", scenes: 3..<5,
                        schema: schema, in: directory))
    }

    /// One directory per test process, removed when the process exits.
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ShardToolsTests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: TestData.root) }
        return url
    }()

    static func scratchDirectory() throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
