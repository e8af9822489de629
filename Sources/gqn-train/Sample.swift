import ArgumentParser
import DataLoader
import Foundation
import GQN
import ImageCodec
import ShardFormat
import Tensors

/// Draws the GQN "imagination" picture of one scene, or with `--uncertainty` how its
/// imagination of one view settles as context views are added.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Render one scene from its context views: its other recorded views and a ring of novel viewpoints, or with --uncertainty the prior samples' spread per context count (PNG).",
        discussion: """
            The first K recorded views of the scene are the context. Rows of the picture: (1) the context \
            views; (2) the scene's other recorded views, ground truth; (3) the model's prediction for each \
            of them with every latent at its prior mean; (4...) S prior samples for them; then the ring: 12 \
            novel viewpoints at the first context view's height, distance from the room's vertical axis \
            and pitch, yaw every 30 degrees, each looking towards the axis (no ground truth): a prior-mean \
            row and S sample rows.

            With --uncertainty: the query is recorded view K (K = --context, default the model's maximum) and \
            row k (k = 1...K) uses views 0..<k as context: ground truth | prior mean | S prior samples | \
            variance map | the k context views. The variance map shows, per pixel, the variance across the S \
            samples averaged over RGB, on one colour scale shared by every row (black 0, red, yellow, white at \
            the largest pixel variance of any row; the value is printed as variance_scale_max). The JSON line \
            gives per k the mean per-pixel variance and the prior mean's MSE.
            """
    )

    @Option(help: "The run directory (or its checkpoint.safetensors).")
    var checkpoint: String

    @Option(help: "The dataset directory.")
    var data: String

    @Option(help: "The split the scene is in.")
    var split: String = "test"

    @Option(help: "The scene's number within the split, from 0.")
    var scene: Int

    @Option(help: "Context views (default: the model's maximum).")
    var context: Int?

    @Option(help: "Prior samples per viewpoint.")
    var samples: Int = 3

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(help: "Seeds the prior samples.")
    var seed: UInt64 = 1

    @OptionGroup var compute: ComputeOptions

    @Flag(help: "Draw the uncertainty picture instead: per context count, samples and a variance map of one query view.")
    var uncertainty = false

    /// Novel viewpoints on the ring.
    static let ringViews = 12

    func validate() throws {
        guard scene >= 0 else { throw ValidationError("--scene must be at least 0, found \(scene)") }
        if let context, context < 1 { throw ValidationError("--context must be at least 1, found \(context)") }
        guard samples >= (uncertainty ? 2 : 0) else {
            throw ValidationError("--samples must be at least \(uncertainty ? "2 with --uncertainty (a variance needs two)" : "0"), found \(samples)")
        }
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must name a .png file, found \(out)") }
    }

    func run() throws {
        compute.apply()
        let (trainer, _) = try RunFiles.loadTrainer(from: try RunFiles.checkpointPath(checkpoint))
        let model = trainer.model
        let directory = URL(fileURLWithPath: data).standardizedFileURL
        let (schema, record) = try Self.readScene(directory: directory, split: split, scene: scene)
        try RunDirectory.checkImages(schema, model.configuration, data: data)
        let k = try RunFiles.contextCounts(
            context.map(String.init), maximum: model.configuration.maxContextViews, viewsPerScene: record.views.count)[0]
        let size = schema.width
        let images = try record.views.map { try Self.planar($0.image, schema: schema) }
        let viewpoints = record.views.map { GQNBatch.viewpoint($0.pose) }
        if uncertainty {
            try drawUncertainty(model: model, images: images, viewpoints: viewpoints, context: k, sceneIndex: record.sceneIndex)
            return
        }
        let contextImages = images[0..<k].flatMap { $0 }
        let contextViewpoints = viewpoints[0..<k].flatMap { $0 }

        let recordedQueries = Array(viewpoints[k...])
        let first = record.views[0].pose
        let radius = (first.x * first.x + first.y * first.y).squareRoot()
        let start = atan2(first.y, first.x)
        let ring = (0..<Self.ringViews).map { index -> [Float] in
            let angle = start + Float(index) * 2 * .pi / Float(Self.ringViews)
            return GQNBatch.viewpoint(CameraPose(
                x: radius * cos(angle), y: radius * sin(angle), z: first.z, yaw: angle + .pi, pitch: first.pitch))
        }

        func imagine(_ queries: [[Float]]) throws -> [[Bitmap<UInt8>]] {
            let q = queries.count
            let contexts = try Tensor(shape: [q, k, 3, size, size], scalars: Array((0..<q).map { _ in contextImages }.joined()))
            let poses = try Tensor(shape: [q, k, 7], scalars: Array((0..<q).map { _ in contextViewpoints }.joined()))
            let targets = try Tensor(shape: [q, 7], scalars: queries.flatMap { $0 })
            var rows = [ImageTiles.tiles(try model.generate(
                contextImages: contexts, contextViewpoints: poses, queryViewpoints: targets, usePriorMean: true))]
            for index in 0..<samples {
                rows.append(ImageTiles.tiles(try model.generate(
                    contextImages: contexts, contextViewpoints: poses, queryViewpoints: targets,
                    noiseSeed: SeedMixer.mix(seed, UInt64(index)))))
            }
            return rows
        }
        let tile = { (values: [Float]) in values.withUnsafeBufferPointer { ImageTiles.tile($0, index: 0, height: size, width: size) } }
        var rows: [[Bitmap<UInt8>]] = [images[0..<k].map(tile)]
        if !recordedQueries.isEmpty {
            rows.append(images[k...].map(tile))
            rows += try imagine(recordedQueries)
        }
        rows += try imagine(ring)
        try ImageTiles.writeSheet(rows, to: out)
        print("""
            {"out":"\(out)","scene":\(scene),"scene_index":\(record.sceneIndex),"context":\(k),"recorded_queries":\(recordedQueries.count),\
            "ring_views":\(Self.ringViews),"samples":\(samples),"rows":"context | recorded views: ground truth, prior mean, \
            \(samples) samples | ring: prior mean, \(samples) samples"}
            """)
    }

    /// Reads scene number `scene` of `split` straight from its shard.
    static func readScene(directory: URL, split: String, scene: Int) throws -> (DatasetSchema, SceneRecord) {
        let manifestURL = directory.appendingPathComponent(Manifest.fileName)
        let manifest: Manifest
        do {
            manifest = try Manifest.load(from: manifestURL)
        } catch {
            throw TrainCommandError("--data: could not read \(manifestURL.path): \(error)")
        }
        guard let entry = manifest.splits.first(where: { $0.name == split }) else {
            throw TrainCommandError("--split: expected one of \(manifest.splits.map(\.name)), found \(split)")
        }
        guard scene < entry.sceneCount else {
            throw TrainCommandError("--scene: expected 0..<\(entry.sceneCount) (scenes in split \(split)), found \(scene)")
        }
        let index = entry.firstSceneIndex + UInt64(scene)
        guard let shard = manifest.shards.first(where: {
            $0.split == split && $0.firstSceneIndex <= index && index < $0.firstSceneIndex + UInt64($0.recordCount)
        }) else {
            throw TrainCommandError("--data: no shard of split \(split) holds scene index \(index)")
        }
        let record = try ShardReader(url: try manifest.shardURL(for: shard, in: directory))
            .record(at: Int(index - shard.firstSceneIndex))
        return (manifest.schema, record)
    }

    /// A view's image as planar floats in [0, 1].
    static func planar(_ image: [UInt8], schema: DatasetSchema) throws -> [Float] {
        let rgb: [UInt8] = switch schema.imageEncoding {
        case .png: try PNGCodec.decodeRGB8(image).samples
        case .jpeg: try JPEGCodec.decodeRGB8(image).samples
        case .raw: image
        }
        let plane = schema.width * schema.height
        guard rgb.count == plane * 3 else {
            throw TrainCommandError("expected \(schema.width)x\(schema.height) RGB views, found \(rgb.count) bytes")
        }
        var values = [Float](repeating: 0, count: plane * 3)
        for pixel in 0..<plane {
            for channel in 0..<3 { values[channel * plane + pixel] = Float(rgb[pixel * 3 + channel]) / 255 }
        }
        return values
    }
}
