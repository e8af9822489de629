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

    /// The instance mask of a view: object 1 in a band of columns that moves with the scene and
    /// view, in the lower half; object 2 in a small square whose presence depends on the view.
    static func mask(scene: UInt64, view: Int) -> [UInt8] {
        var ids: [UInt8] = []
        ids.reserveCapacity(size * size)
        for y in 0..<size {
            for x in 0..<size {
                if y >= 16, (x + 3 * view + Int(scene)) % 11 < 4 {
                    ids.append(1)
                } else if view % 2 == 0, (2..<7).contains(x), (3..<9).contains(y) {
                    ids.append(2)
                } else {
                    ids.append(0)
                }
            }
        }
        return ids
    }

    /// A dataset with the given splits (name, scenes), `views` views per scene, 32x32 PNG;
    /// with `masks`, every view has ``mask(scene:view:)`` and every scene two labelled objects.
    static func dataset(splits: [(String, Int)], views: Int = 5, shardSize: Int = 4, masks: Bool = false) throws -> URL {
        let directory = URL(fileURLWithPath: path("data"), isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = DatasetSchema(width: size, height: size, imageEncoding: .png, viewsPerScene: views, hasMasks: masks)
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
                            intrinsics: CameraIntrinsics(fx: 10, fy: 10, cx: 16, cy: 16),
                            mask: masks ? try PNGCodec.encode(Bitmap(width: size, height: size, channels: 1, samples: mask(scene: scene, view: view))) : nil)
                    }
                    let objects = masks ? [
                        ObjectLabel(shape: "box", colorName: "red", color: SIMD3(1, 0, 0), position: SIMD3(-2, 1, 0.5),
                                    size: SIMD3(1, 1, 1), yaw: 0, pitch: 0, roll: 0),
                        ObjectLabel(shape: "sphere", colorName: "blue", color: SIMD3(0, 0, 1), position: SIMD3(2, -1, 0.5),
                                    size: SIMD3(1, 1, 1), yaw: 0, pitch: 0, roll: 0),
                    ] : []
                    let labels = SceneLabels(room: RoomLabel(wallTexture: "red", floorTexture: "blue"), objects: objects, lights: [])
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

/// Tests that set process-wide state (the compute thread count, the buffer pool's counters, a
/// simulated full disk) and compare results bit for bit: tests running alongside would see that
/// state and disturb those results, so they run only in a serial run (`swift test --no-parallel`,
/// as Tools/test.sh runs the suite), and refuse with this message in a parallel one.
struct SerialRunRequired: Error, CustomStringConvertible {
    var description: String {
        "this suite sets process-wide state (thread count, allocation counters, simulated disk space) and must not run "
            + "alongside other tests: run `swift test --no-parallel` (Tools/test.sh does)"
    }

    /// Throws unless the test process was started for a serial run.
    static func check() throws {
        guard CommandLine.arguments.contains("--no-parallel") else { throw SerialRunRequired() }
    }
}
