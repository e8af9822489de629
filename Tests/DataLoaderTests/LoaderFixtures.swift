import Foundation
import ImageCodec
@testable import DataLoader
import ShardFormat

/// Small real datasets (PNG or raw views with distinct pixels and poses) written with
/// ShardWriter, and helpers to read them back independently of the loader.
enum LoaderFixtures {
    /// One directory per test process, removed when the process exits.
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("DataLoaderTests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: LoaderFixtures.root) }
        return url
    }()

    /// The RGB8 pixels of view `view` of scene `scene`: distinct per scene, view, pixel and channel.
    static func pixels(scene: UInt64, view: Int, width: Int, height: Int) -> [UInt8] {
        var state = StatelessRandom.mix(scene &* 1000 &+ UInt64(view))
        return (0..<(width * height * 3)).map { _ in
            state = StatelessRandom.mix(state)
            return UInt8(truncatingIfNeeded: state >> 40)
        }
    }

    /// The pose of view `view` of scene `scene`.
    static func pose(scene: UInt64, view: Int) -> CameraPose {
        CameraPose(x: Float(scene) * 0.01, y: Float(view) * 0.5 - 1, z: 1.25, yaw: 0.6 * Float(view) - 2,
                   pitch: -0.05 * Float(view))
    }

    /// The instance ids of view `view` of scene `scene`: 0, 1 or 2, distinct per scene and view.
    static func mask(scene: UInt64, view: Int, width: Int, height: Int) -> [UInt8] {
        (0..<(width * height)).map { UInt8((Int(scene) + 3 * view + $0 * ($0 % 5)) % 3) }
    }

    /// The ground truth of scene `scene`: `scene % 3` objects whose shapes and positions depend on it.
    static func labels(scene: UInt64) -> SceneLabels {
        let objects = (0..<Int(scene % 3)).map { k in
            ObjectLabel(shape: ["box", "cone"][k], colorName: "red", color: SIMD3(1, 0, 0),
                        position: SIMD3(Float(scene) * 0.1, Float(k), 0.5), size: SIMD3(1, 1, 1), yaw: 0, pitch: 0, roll: 0)
        }
        return SceneLabels(room: RoomLabel(wallTexture: "red", floorTexture: "blue"), objects: objects, lights: [])
    }

    static func record(scene: UInt64, schema: DatasetSchema) throws -> SceneRecord {
        let views = try (0..<schema.viewsPerScene).map { view -> ViewRecord in
            let raw = pixels(scene: scene, view: view, width: schema.width, height: schema.height)
            let image = schema.imageEncoding == .raw
                ? raw
                : try PNGCodec.encode(Bitmap(width: schema.width, height: schema.height, channels: 3, samples: raw))
            let ids = mask(scene: scene, view: view, width: schema.width, height: schema.height)
            return ViewRecord(image: image, pose: pose(scene: scene, view: view), cameraToWorld: SIMD16(repeating: 0),
                              intrinsics: CameraIntrinsics(fx: 10, fy: 10, cx: 4, cy: 3),
                              mask: schema.hasMasks ? try PNGCodec.encode(Bitmap(width: schema.width, height: schema.height, channels: 1, samples: ids)) : nil)
        }
        let labels = labels(scene: scene)
        return SceneRecord(sceneIndex: scene, sceneSeed: scene &* 31, views: views, labels: labels)
    }

    /// A dataset: `splits` as (name, scene count) in order, each cut into shards of
    /// `shardSize` scenes (the last one smaller).
    static func dataset(
        splits: [(String, Int)] = [("train", 37), ("test", 6)], shardSize: Int = 8, views: Int = 5,
        width: Int = 8, height: Int = 6, encoding: DatasetSchema.ImageEncoding = .png, masks: Bool = false
    ) throws -> URL {
        let directory = root.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = DatasetSchema(width: width, height: height, imageEncoding: encoding, viewsPerScene: views, hasMasks: masks)
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
                    try writer.append(try record(scene: scene, schema: schema))
                }
                entries.append(ShardEntry(summary: try writer.finish(), split: name, firstSceneIndex: start))
            }
            first += UInt64(count)
        }
        let manifest = Manifest(generator: "DataLoaderTests", familySpec: .null, datasetSeed: 0, schema: schema,
                                splits: datasetSplits, shards: entries)
        try manifest.write(to: directory.appendingPathComponent(Manifest.fileName))
        return directory
    }

    /// The file offset of record `record` in a shard, read from its footer index.
    static func recordOffset(_ url: URL, record: Int) throws -> UInt64 {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        let indexOffset = Int(u64(bytes.count - 32))
        return u64(indexOffset + 8 * record)
    }

    /// Flips one byte inside record `record`'s payload.
    static func corrupt(_ url: URL, record: Int) throws -> UInt64 {
        let offset = try recordOffset(url, record: record)
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[Int(offset) + 12 + 30] ^= 0x5A
        try Data(bytes).write(to: url)
        return offset
    }

    /// Every batch a loader gives, until it ends.
    static func drain(_ loader: GQNLoader) throws -> [GQNBatch] {
        var batches: [GQNBatch] = []
        while let batch = try loader.next() { batches.append(batch) }
        return batches
    }

    static func configuration(
        _ directory: URL, batchSize: Int = 4, context: LoaderConfiguration.ContextCount = .fixed(2), seed: UInt64 = 7,
        rank: Int = 0, worldSize: Int = 1, epochs: Int? = 1, firstEpoch: Int = 0, dropLast: Bool = false
    ) -> LoaderConfiguration {
        LoaderConfiguration(
            directory: directory, split: "train", batchSize: batchSize, context: context, seed: seed,
            shuffleBufferSize: 5, rank: rank, worldSize: worldSize, prefetchBatches: 3, decodeThreads: 2,
            dropLast: dropLast, firstEpoch: firstEpoch, epochs: epochs)
    }
}
