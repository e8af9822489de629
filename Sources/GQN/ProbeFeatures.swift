import DataLoader
import Foundation
import ShardFormat
import Tensors

/// The per-scene inputs of the probes, read from one split in scene order: each model's
/// scene representation pooled to a vector, the context images downsampled, and the labels.
struct ProbeFeatures {
    /// Per model, `scenes x r`: the representation of the K context views (summed over views,
    /// as the generator sees it), averaged over its spatial grid when it has one.
    var representations: [FeatureMatrix]
    /// `scenes x 3 g g`: each context image averaged over `g x g` cells, then over the K views.
    var pixels: FeatureMatrix
    /// Per scene, its ground truth.
    var labels: [SceneLabels]

    /// Reads the first `limit` scenes of `split` (all when nil) with `context` views each.
    /// - Throws: ``MeasurementError`` for unreadable data or an empty split; model errors.
    static func extract(
        models: [GQNModel], directory: URL, split: String, context: Int, limit: Int?, batchSize: Int, seed: UInt64,
        pixelGrid: Int
    ) throws -> ProbeFeatures {
        let configuration = LoaderConfiguration(
            directory: directory, split: split, batchSize: batchSize, context: .fixed(context), seed: seed, shuffle: false,
            prefetchBatches: 2, decodeThreads: 1, dropLast: false, epochs: 1, labels: true)
        let loader: GQNLoader
        do {
            loader = try GQNLoader(configuration: configuration)
        } catch {
            throw MeasurementError.unreadableData(path: directory.path, reason: error.description)
        }
        defer { loader.stop() }
        let wanted = Swift.min(limit ?? loader.sceneCount, loader.sceneCount)
        var representations = [[Float]](repeating: [], count: models.count)
        var widths = [Int](repeating: 0, count: models.count)
        var pixels: [Float] = []
        var labels: [SceneLabels] = []
        while labels.count < wanted {
            let next: GQNBatch?
            do {
                next = try loader.next()
            } catch {
                throw MeasurementError.unreadableData(path: directory.path, reason: error.description)
            }
            guard var batch = next else { break }
            if batch.batchSize > wanted - labels.count { batch = batch.prefix(wanted - labels.count) }
            let tensors = try GQNTensorBatch(batch)
            for (index, model) in models.enumerated() {
                let r = try model.representation(contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints)
                let pooled = try pool(r)
                widths[index] = pooled.shape[1]
                representations[index] += pooled.scalars
            }
            pixels += downsample(batch, grid: pixelGrid)
            labels += batch.labels ?? []
        }
        guard !labels.isEmpty else { throw MeasurementError.noScenes(path: directory.path, split: split) }
        return ProbeFeatures(
            representations: zip(representations, widths).map { FeatureMatrix(rows: labels.count, columns: $1, values: $0) },
            pixels: FeatureMatrix(rows: labels.count, columns: 3 * pixelGrid * pixelGrid, values: pixels),
            labels: labels)
    }

    /// `[B, r, h, w]` averaged over the grid to `[B, r]`.
    static func pool(_ representation: Tensor) throws -> Tensor {
        let shape = representation.shape
        let (batch, channels) = (shape[0], shape[1])
        let cells = shape.dropFirst(2).reduce(1, *)
        return try representation.reshaped(to: [batch, channels, cells]).mean(alongAxis: 2).reshaped(to: [batch, channels])
    }

    /// `[B, 3 g g]`: each context image averaged over `g x g` cells (pixel `(x, y)` falls in
    /// cell `(x g / W, y g / H)`), then averaged over the K views.
    static func downsample(_ batch: GQNBatch, grid g: Int) -> [Float] {
        let (h, w, k) = (batch.height, batch.width, batch.contextCount)
        let plane = h * w
        var result = [Float](repeating: 0, count: batch.batchSize * 3 * g * g)
        var counts = [Float](repeating: 0, count: g * g)
        for y in 0..<h { for x in 0..<w { counts[(y * g / h) * g + x * g / w] += 1 } }
        for scene in 0..<batch.batchSize {
            for view in 0..<k {
                let image = (scene * k + view) * 3 * plane
                for channel in 0..<3 {
                    let out = (scene * 3 + channel) * g * g
                    for y in 0..<h {
                        for x in 0..<w {
                            let cell = (y * g / h) * g + x * g / w
                            result[out + cell] += batch.contextImages[image + channel * plane + y * w + x] / (counts[cell] * Float(k))
                        }
                    }
                }
            }
        }
        return result
    }
}
