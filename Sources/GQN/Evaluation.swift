import DataLoader
import Distributed
import Foundation
import ShardFormat
import Tensors

/// Measures a trained model on held-out scenes: the ELBO, and how close its imagined query
/// views come to the truth, over the whole image and, on datasets with instance masks, over
/// object and room pixels apart, beside two baselines and the spread of its prior samples.
///
/// The split is read in scene order with a fixed seed, so every run sees the same query and
/// context views: for each scene, one view is the query and K others the context (the
/// loader's view choice keyed by (seed, scene); a smaller K uses a subset of a larger one's
/// views). Per batch it computes the posterior pass (ELBO, reconstruction), the prior rollout
/// with latents at their means, S prior samples, and the two ``ViewBaselines``.
///
/// ```swift
/// var evaluation = Evaluation(contextCounts: [1, 2, 3])
/// evaluation.samples = 4
/// let report = try evaluation.run(
///     model: model, step: trainer.step, sigma: sigma, checkpoint: path, directory: data, split: "test")
/// print(report.results[2].objects?.msePriorMean ?? .nan)
/// ```
public struct Evaluation: Sendable {
    /// The context counts K to evaluate, each over the same scenes.
    public var contextCounts: [Int]
    /// Evaluate only the split's first scenes (nil: all).
    public var sceneLimit: Int?
    /// Scenes per forward pass (results do not depend on it).
    public var batchSize = 8
    /// Prior samples per query, S (at least 1; the variance needs 2).
    public var samples = 1
    /// Seeds the view choice and every latent.
    public var seed = Evaluation.defaultSeed

    /// The seed `gqn-train eval` uses.
    public static let defaultSeed: UInt64 = 20_180_615

    /// Creates an evaluation of the given context counts with the default settings.
    public init(contextCounts: [Int]) {
        self.contextCounts = contextCounts
    }

    /// The loader configuration of one pass: scene order, one epoch, K context views, the
    /// query masks when the dataset has them.
    public func loaderConfiguration(directory: URL, split: String, context: Int, masks: Bool) -> LoaderConfiguration {
        LoaderConfiguration(
            directory: directory, split: split, batchSize: batchSize, context: .fixed(context), seed: seed, shuffle: false,
            prefetchBatches: 2, decodeThreads: 1, dropLast: false, epochs: 1, queryMasks: masks)
    }

    /// Evaluates `model` on `split` of the dataset in `directory`.
    /// - Parameters:
    ///   - model: The model (its weights are only read).
    ///   - step: The checkpoint's training step (reported).
    ///   - sigma: The pixel sigma the ELBO is measured with (the checkpoint's).
    ///   - checkpoint: The checkpoint's path (reported).
    ///   - directory: The dataset directory.
    ///   - split: The split to evaluate.
    ///   - communicator: The ranks sharing the work (alone by default).
    /// - Returns: The report, with one ``EvaluationFigures`` per context count in order.
    /// - Throws: ``MeasurementError`` for unreadable data, an empty split or bad settings;
    ///   ``GQNError`` and ``/Tensors/TensorError`` from the model.
    public func run(
        model: GQNModel, step: Int, sigma: Float, checkpoint: String, directory: URL, split: String,
        communicator: Communicator = .single
    ) throws -> EvaluationReport {
        guard samples >= 1 else { throw MeasurementError.invalidSetting(name: "samples", expected: "at least 1", found: "\(samples)") }
        guard batchSize >= 1 else { throw MeasurementError.invalidSetting(name: "batch", expected: "at least 1", found: "\(batchSize)") }
        let manifestURL = directory.appendingPathComponent(Manifest.fileName)
        let schema: DatasetSchema
        do {
            schema = try Manifest.load(from: manifestURL).schema
        } catch {
            throw MeasurementError.unreadableData(path: manifestURL.path, reason: "\(error)")
        }
        let values = 3 * schema.width * schema.height
        let floor = GQNTrainingSchedule.negativeLogLikelihoodFloor(values: values, sigma: Double(sigma))
        let results = try contextCounts.map { k in
            try evaluate(model: model, sigma: sigma, nllFloor: floor, directory: directory, split: split, context: k,
                         masks: schema.hasMasks, communicator: communicator)
        }
        var notes: [String] = []
        if !schema.hasMasks {
            notes.append("the dataset has no instance masks (generate with scenegen generate --masks): "
                + "object and room pixels are not measured apart, only the whole image")
        } else if results.contains(where: { $0.objects == nil }) {
            notes.append("no query view shows an object pixel: object figures are absent")
        }
        if samples < 2 {
            notes.append("sample_variance needs at least 2 prior samples (--samples), found \(samples)")
        }
        return EvaluationReport(
            checkpoint: checkpoint, data: directory.path, split: split, config: model.configuration.name, step: step,
            sigma: Double(sigma), nllFloor: floor, evalSeed: seed, samples: samples, masks: schema.hasMasks, notes: notes,
            results: results)
    }

    /// One context count over the split's first ``sceneLimit`` scenes. With several ranks,
    /// every rank reads the same batches and computes every `size`-th of them (batch `b` on
    /// rank `b % size`, with the noise of batch `b`), and the sums are added across ranks at
    /// the end: the figures of one process, up to the order of the final additions.
    func evaluate(
        model: GQNModel, sigma: Float, nllFloor: Double, directory: URL, split: String, context: Int, masks: Bool,
        communicator: Communicator = .single
    ) throws -> EvaluationFigures {
        let loader: GQNLoader
        do {
            loader = try GQNLoader(configuration: loaderConfiguration(directory: directory, split: split, context: context, masks: masks))
        } catch {
            throw MeasurementError.unreadableData(path: directory.path, reason: error.description)
        }
        defer { loader.stop() }
        let limit = Swift.min(sceneLimit ?? loader.sceneCount, loader.sceneCount)
        var sums = EvaluationAccumulator()
        var batchNumber: UInt64 = 0
        var seen = 0
        while seen < limit, var loaded = try nextBatch(loader, directory: directory) {
            if loaded.batchSize > limit - seen { loaded = loaded.prefix(limit - seen) }
            seen += loaded.batchSize
            let noise = SeedMixer.mix(seed, batchNumber)
            defer { batchNumber += 1 }
            guard Int(batchNumber % UInt64(communicator.size)) == communicator.rank else { continue }
            let tensors = try GQNTensorBatch(loaded)
            let loss = try model.loss(tensors, pixelStandardDeviation: sigma, noiseSeed: noise)
            let priorMean = try loss.priorMean  // rendered already when the objective scores it
                ?? model.generate(
                    contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints,
                    queryViewpoints: tensors.queryViewpoints, usePriorMean: true)
            let prior = try PriorSamples(
                model: model, contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints,
                queryViewpoints: tensors.queryViewpoints, count: samples, latents: .sampled(seed: SeedMixer.mix(noise, 1)))
            sums.add(
                loaded, nll: loss.negativeLogLikelihood.scalars, kl: loss.kl.scalars,
                predictions: .init(
                    priorMean: priorMean.scalars, priorSamples: prior.samples, posteriorReconstruction: loss.mean.scalars,
                    contextMean: ViewBaselines.contextMean(loaded), nearestPose: ViewBaselines.nearestPose(loaded),
                    sampleVariance: prior.variance()))
        }
        if communicator.size > 1 { try sums.addAcrossRanks(communicator) }
        guard let figures = sums.figures(context: context, nllFloor: nllFloor, masks: masks) else {
            throw MeasurementError.noScenes(path: directory.path, split: split)
        }
        return figures
    }

    private func nextBatch(_ loader: GQNLoader, directory: URL) throws -> GQNBatch? {
        do {
            return try loader.next()
        } catch {
            throw MeasurementError.unreadableData(path: directory.path, reason: error.description)
        }
    }
}
