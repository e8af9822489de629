import ArgumentParser
import DataLoader
import Foundation
import GQN
import Tensors

/// The figures of one evaluation pass at one context count.
struct EvaluationFigures: Codable, Equatable {
    /// Context views per scene.
    var context: Int
    /// Scenes (queries) evaluated.
    var scenes: Int
    /// The negative ELBO, NLL + KL, in nats per image (the training loss on test data).
    var elboNatsPerImage: Double
    /// The negative ELBO in bits per dimension: nats per image / (3 H W ln 2).
    var bitsPerDimension: Double
    /// The Gaussian NLL part, nats per image.
    var nll: Double
    /// The KL part, nats per image.
    var kl: Double
    /// `nll - nll_floor`: what a better mean could still gain at this sigma (the NLL never
    /// falls below the floor, so a loss "plateauing" near it is a good fit, not a bug).
    var nllAboveFloor = 0.0
    /// Mean squared error per pixel value of the prior rollout with every latent at its prior mean.
    var msePriorMean: Double
    /// ... of one prior sample.
    var msePriorSample: Double
    /// ... of the posterior reconstruction (it sees the query image; for reference only).
    var msePosteriorReconstruction: Double
    /// Baseline: the mean of the context images.
    var mseBaselineContextMean: Double
    /// Baseline: the context view whose pose is nearest the query's (see ``Evaluate/poseDistance(_:_:)``).
    var mseBaselineNearestPose: Double

    enum CodingKeys: String, CodingKey {
        case context, scenes, nll, kl
        case nllAboveFloor = "nll_above_floor"
        case elboNatsPerImage = "elbo_nats_per_image"
        case bitsPerDimension = "bits_per_dim"
        case msePriorMean = "mse_prior_mean"
        case msePriorSample = "mse_prior_sample"
        case msePosteriorReconstruction = "mse_posterior_reconstruction"
        case mseBaselineContextMean = "mse_baseline_context_mean"
        case mseBaselineNearestPose = "mse_baseline_nearest_pose"
    }
}

/// What `gqn-train eval` prints.
struct EvaluationReport: Codable, Equatable {
    var checkpoint: String
    var data: String
    var split: String
    var config: String
    /// Training steps of the checkpoint.
    var step: Int
    /// The pixel sigma of the checkpoint's step (the one the ELBO is measured with).
    var sigma: Double
    /// The NLL floor at that sigma, nats per image: `0.5 * 3HW * ln(2 pi sigma^2)`.
    var nllFloor: Double
    /// The fixed seed of view choice and latent noise (eval is deterministic).
    var evalSeed: UInt64
    /// One entry per context count evaluated.
    var results: [EvaluationFigures]

    enum CodingKeys: String, CodingKey {
        case checkpoint, data, split, config, step, sigma, results
        case nllFloor = "nll_floor"
        case evalSeed = "eval_seed"
    }
}

/// Evaluates a checkpoint on held-out scenes.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on a split: ELBO, bits/dim, NLL floor, MSE of imagined views and baselines (JSON).",
        discussion: """
            Reads the split in scene order with a fixed seed (the same query and context views every time). \
            For each scene, one view is the query and K others the context. MSEs are per pixel value in [0, 1], \
            over the same queries: the prior rollout with latents at their prior means, one prior sample, the \
            posterior reconstruction (sees the query; reference only), the mean of the context images, and the \
            context view nearest the query in pose, distance = |position difference| (scene units) + |yaw \
            difference wrapped to [-pi, pi]| + |pitch difference| (radians), ties to the first view.
            """
    )

    @Option(help: "The run directory (or its checkpoint.safetensors).")
    var checkpoint: String

    @Option(help: "The dataset directory.")
    var data: String

    @Option(help: "The split to evaluate.")
    var split: String = "test"

    @Option(help: "Evaluate only the first N scenes of the split (default: all).")
    var scenes: Int?

    @Option(help: "Context views per scene: a number, or all (every K from 1 to the maximum). Default: the maximum.")
    var context: String?

    @Option(help: "Scenes per forward pass.")
    var batch: Int = 8

    @Option(help: "Threads for OpenBLAS and the engine's loops.")
    var threads: Int = 2

    static let evalSeed: UInt64 = 20_180_615

    func validate() throws {
        if let scenes, scenes < 1 { throw ValidationError("--scenes must be at least 1, found \(scenes)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, found \(batch)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
        if let context, context != "all", (Int(context) ?? 0) < 1 {
            throw ValidationError("--context must be a positive number or all, found \(context)")
        }
    }

    func run() throws {
        ComputeThreads.set(threads)
        let report = try makeReport()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// Runs the evaluation and returns the report.
    func makeReport() throws -> EvaluationReport {
        let path = try RunFiles.checkpointPath(checkpoint)
        let (trainer, _) = try RunFiles.loadTrainer(from: path)
        let model = trainer.model
        let dataURL = URL(fileURLWithPath: data).standardizedFileURL
        let schema = try RunFiles.schema(of: dataURL)
        try RunFiles.checkImages(schema, model.configuration, data: data)
        let maximum = min(model.configuration.maxContextViews, schema.viewsPerScene - 1)
        let counts: [Int]
        switch context {
        case nil: counts = [maximum]
        case "all": counts = Array(1...maximum)
        case let text?:
            guard let k = Int(text), (1...(schema.viewsPerScene - 1)).contains(k) else {
                throw TrainCommandError(
                    "--context: expected 1...\(schema.viewsPerScene - 1) (the dataset has \(schema.viewsPerScene) views per scene) or all, found \(text)")
            }
            counts = [k]
        }
        let sigma = trainer.schedule.pixelStandardDeviation(at: trainer.step)
        let values = 3 * schema.width * schema.height
        let floor = GQNTrainingSchedule.negativeLogLikelihoodFloor(values: values, sigma: Double(sigma))
        let results = try counts.map { k in
            var figures = try Self.evaluate(
                model: model, directory: dataURL, split: split, context: k, scenes: scenes, batch: batch, sigma: sigma)
            figures.nllAboveFloor = figures.nll - floor
            return figures
        }
        return EvaluationReport(
            checkpoint: path, data: dataURL.path, split: split, config: model.configuration.name, step: trainer.step,
            sigma: Double(sigma), nllFloor: floor,
            evalSeed: Self.evalSeed, results: results)
    }

    /// The evaluation stream: scene order, one epoch, K context views, the fixed eval seed.
    static func loaderConfiguration(directory: URL, split: String, context: Int, batch: Int) -> LoaderConfiguration {
        LoaderConfiguration(
            directory: directory, split: split, batchSize: batch, context: .fixed(context), seed: evalSeed, shuffle: false,
            prefetchBatches: 2, decodeThreads: 1, dropLast: false, epochs: 1)
    }

    /// Evaluates one context count over the split's first `scenes` scenes.
    static func evaluate(
        model: GQNModel, directory: URL, split: String, context: Int, scenes: Int?, batch: Int, sigma: Float
    ) throws -> EvaluationFigures {
        let loader: GQNLoader
        do {
            loader = try GQNLoader(configuration: loaderConfiguration(directory: directory, split: split, context: context, batch: batch))
        } catch {
            throw TrainCommandError("--data \(directory.path): \(error)")
        }
        defer { loader.stop() }
        let limit = min(scenes ?? loader.sceneCount, loader.sceneCount)
        var sums = [Double](repeating: 0, count: 8)  // elbo, nll, kl, prior mean, sample, posterior, context mean, nearest
        var count = 0
        var batchNumber: UInt64 = 0
        var valuesPerImage = 1
        while count < limit, var loaded = try loader.next() {
            if loaded.batchSize > limit - count { loaded = prefix(loaded, scenes: limit - count) }
            let tensors = try GQNTensorBatch(loaded)
            let noise = mixSeed(evalSeed, batchNumber)
            batchNumber += 1
            let loss = try model.loss(tensors, pixelStandardDeviation: sigma, noiseSeed: noise)
            let priorMean = try model.generate(
                contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints,
                queryViewpoints: tensors.queryViewpoints, usePriorMean: true)
            let priorSample = try model.generate(
                contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints,
                queryViewpoints: tensors.queryViewpoints, noiseSeed: mixSeed(noise, 1))
            let nll = loss.negativeLogLikelihood.scalars.map(Double.init)
            let kl = loss.kl.scalars.map(Double.init)
            valuesPerImage = 3 * loaded.height * loaded.width
            sums[0] += zip(nll, kl).map(+).reduce(0, +)
            sums[1] += nll.reduce(0, +)
            sums[2] += kl.reduce(0, +)
            sums[3] += squaredError(priorMean.scalars, loaded.queryImage)
            sums[4] += squaredError(priorSample.scalars, loaded.queryImage)
            sums[5] += squaredError(loss.mean.scalars, loaded.queryImage)
            sums[6] += squaredError(contextMean(loaded), loaded.queryImage)
            sums[7] += squaredError(nearestPoseImages(loaded), loaded.queryImage)
            count += loaded.batchSize
        }
        guard count > 0 else { throw TrainCommandError("--data \(directory.path): split \(split) has no scenes to evaluate") }
        let perImage = Double(count)
        let perValue = Double(count * valuesPerImage)
        return EvaluationFigures(
            context: context, scenes: count, elboNatsPerImage: sums[0] / perImage,
            bitsPerDimension: sums[0] / perImage / (Double(valuesPerImage) * log(2)), nll: sums[1] / perImage,
            kl: sums[2] / perImage, msePriorMean: sums[3] / perValue, msePriorSample: sums[4] / perValue,
            msePosteriorReconstruction: sums[5] / perValue, mseBaselineContextMean: sums[6] / perValue,
            mseBaselineNearestPose: sums[7] / perValue)
    }

    /// The first `scenes` scenes of a batch.
    static func prefix(_ batch: GQNBatch, scenes: Int) -> GQNBatch {
        let image = 3 * batch.height * batch.width
        let k = batch.contextCount
        let vp = GQNBatch.viewpointSize
        return GQNBatch(
            batchSize: scenes, contextCount: k, height: batch.height, width: batch.width,
            contextImages: Array(batch.contextImages.prefix(scenes * k * image)),
            contextViewpoints: Array(batch.contextViewpoints.prefix(scenes * k * vp)),
            queryImage: Array(batch.queryImage.prefix(scenes * image)),
            queryViewpoint: Array(batch.queryViewpoint.prefix(scenes * vp)),
            sceneIndices: Array(batch.sceneIndices.prefix(scenes)), epoch: batch.epoch, batchNumber: batch.batchNumber)
    }

    /// The sum of squared differences.
    static func squaredError(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "squaredError: sizes differ")
        var sum = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum
    }

    /// `[B, 3, H, W]`: each scene's context images averaged.
    static func contextMean(_ batch: GQNBatch) -> [Float] {
        let image = 3 * batch.height * batch.width
        let k = batch.contextCount
        var result = [Float](repeating: 0, count: batch.batchSize * image)
        for scene in 0..<batch.batchSize {
            for i in 0..<image {
                var sum: Float = 0
                for view in 0..<k { sum += batch.contextImages[(scene * k + view) * image + i] }
                result[scene * image + i] = sum / Float(k)
            }
        }
        return result
    }

    /// The distance between two viewpoints `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`:
    /// Euclidean distance of the positions plus the absolute yaw difference (wrapped to
    /// [-pi, pi]) plus the absolute pitch difference, in radians: one scene unit weighs as
    /// much as one radian.
    static func poseDistance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        let a = Array(a).map(Double.init), b = Array(b).map(Double.init)
        let position = ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2])).squareRoot()
        var yaw = atan2(a[4], a[3]) - atan2(b[4], b[3])
        yaw = atan2(sin(yaw), cos(yaw))
        let pitch = atan2(a[6], a[5]) - atan2(b[6], b[5])
        return position + abs(yaw) + abs(pitch)
    }

    /// `[B, 3, H, W]`: each scene's context image whose pose is nearest the query's.
    static func nearestPoseImages(_ batch: GQNBatch) -> [Float] {
        let image = 3 * batch.height * batch.width
        let k = batch.contextCount
        let vp = GQNBatch.viewpointSize
        var result: [Float] = []
        result.reserveCapacity(batch.batchSize * image)
        for scene in 0..<batch.batchSize {
            let query = batch.queryViewpoint[(scene * vp)..<(scene * vp + vp)]
            var best = 0
            var bestDistance = Double.infinity
            for view in 0..<k {
                let start = (scene * k + view) * vp
                let distance = poseDistance(batch.contextViewpoints[start..<(start + vp)], query)
                if distance < bestDistance {
                    best = view
                    bestDistance = distance
                }
            }
            let start = (scene * k + best) * image
            result.append(contentsOf: batch.contextImages[start..<(start + image)])
        }
        return result
    }
}
