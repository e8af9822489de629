import DataLoader
import Foundation
import ImageCodec
import ShardFormat

/// Small 32x32 datasets written with ShardWriter, and run directories, under one temporary
/// directory per test process.
enum TrainFixtures {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gqn-trainTests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: TrainFixtures.root) }
        return url
    }()

    static let size = 32

    /// A fresh path under the root.
    static func path(_ name: String) -> String {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    /// The RGB8 pixels of a view: smooth gradients that differ per scene and view.
    static func pixels(scene: UInt64, view: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                for channel in 0..<3 {
                    let value = (x * (view + 1) * 3 + y * (channel + 2) * 2 + Int(scene) * 37 + channel * 50 + view * 29) % 256
                    bytes.append(UInt8(value))
                }
            }
        }
        return bytes
    }

    /// View `v` of scene `s` sits at x = `xs[v]`, y = `s`, looking the same way, so
    /// the nearest view in pose is decided by x alone.
    static let xs: [Float] = [0, 1, 5, 2, 7]

    static func pose(scene: UInt64, view: Int) -> CameraPose {
        CameraPose(x: xs[view], y: Float(scene), z: 1, yaw: 0.3, pitch: -0.1)
    }

    /// A dataset with the given splits (name, scenes), `views` views per scene, 32x32 PNG.
    static func dataset(splits: [(String, Int)], views: Int = 5, shardSize: Int = 4) throws -> URL {
        let directory = URL(fileURLWithPath: path("data"), isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = DatasetSchema(width: size, height: size, imageEncoding: .png, viewsPerScene: views)
        var entries: [ShardEntry] = []
        var datasetSplits: [DatasetSplit] = []
        var first: UInt64 = 0
        for (name, count) in splits {
            datasetSplits.append(DatasetSplit(name: name, firstSceneIndex: first, sceneCount: UInt64(count)))
            let shardCount = (count + shardSize - 1) / shardSize
            for shard in 0..<shardCount {
                let url = directory.appendingPathComponent(ShardName.fileName(split: name, index: shard, count: shardCount))
                let writer = try ShardWriter(url: url, schema: schema)
                let start = first + UInt64(shard * shardSize)
                for scene in start..<min(first + UInt64(count), start + UInt64(shardSize)) {
                    let viewRecords = try (0..<views).map { view in
                        ViewRecord(
                            image: try PNGCodec.encode(Bitmap(width: size, height: size, channels: 3, samples: pixels(scene: scene, view: view))),
                            pose: pose(scene: scene, view: view), cameraToWorld: SIMD16(repeating: 0),
                            intrinsics: CameraIntrinsics(fx: 10, fy: 10, cx: 16, cy: 16))
                    }
                    let labels = SceneLabels(room: RoomLabel(wallTexture: "red", floorTexture: "blue"), objects: [], lights: [])
                    try writer.append(SceneRecord(sceneIndex: scene, sceneSeed: scene, views: viewRecords, labels: labels))
                }
                entries.append(ShardEntry(summary: try writer.finish(), split: name, firstSceneIndex: start))
            }
            first += UInt64(count)
        }
        let manifest = Manifest(generator: "gqn-trainTests", familySpec: .null, datasetSeed: 0, schema: schema,
                                splits: datasetSplits, shards: entries)
        try manifest.write(to: directory.appendingPathComponent(Manifest.fileName))
        return directory
    }
}
