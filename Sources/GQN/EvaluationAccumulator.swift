import DataLoader
import Distributed
import Foundation

/// Running sums of one ``Evaluation`` pass at one context count: the ELBO's parts per image,
/// and per pixel region (whole image, objects, room) the squared errors of every prediction
/// and the sample variance.
struct EvaluationAccumulator {
    /// The images of one batch that are compared with its query images, all `[B, 3, H, W]`.
    struct Predictions {
        var priorMean: [Float]
        var priorSamples: [[Float]]
        var posteriorReconstruction: [Float]
        var contextMean: [Float]
        var nearestPose: [Float]
        /// Per value, the variance across the prior samples; nil with fewer than two.
        var sampleVariance: [Float]?
    }

    /// Sums over one pixel region.
    struct RegionSums {
        var pixels = 0
        var priorMean = 0.0
        /// Summed over the samples too (divided by S at the end).
        var priorSample = 0.0
        var posteriorReconstruction = 0.0
        var contextMean = 0.0
        var nearestPose = 0.0
        var sampleVariance = 0.0

        /// The region's figures; nil when it holds no pixel.
        func figures(allPixels: Int, samples: Int, hasVariance: Bool) -> RegionFigures? {
            guard pixels > 0 else { return nil }
            let values = Double(3 * pixels)
            return RegionFigures(
                pixels: pixels, pixelFraction: Double(pixels) / Double(Swift.max(1, allPixels)),
                msePriorMean: priorMean / values, msePriorSample: priorSample / (values * Double(samples)),
                msePosteriorReconstruction: posteriorReconstruction / values, mseBaselineContextMean: contextMean / values,
                mseBaselineNearestPose: nearestPose / values, sampleVariance: hasVariance ? sampleVariance / values : nil)
        }
    }

    private(set) var scenes = 0
    private var elbo = 0.0, nll = 0.0, kl = 0.0
    private var valuesPerImage = 0
    private var samples = 0
    private var hasVariance = false
    private var image = RegionSums(), objects = RegionSums(), room = RegionSums()

    /// Adds one batch: its per-image NLL and KL (`[B]` each) and its predictions, compared
    /// with the batch's query images. Pixels are split by ``/DataLoader/GQNBatch/queryMasks``
    /// when the batch has them.
    mutating func add(_ batch: GQNBatch, nll batchNLL: [Float], kl batchKL: [Float], predictions p: Predictions) {
        let plane = batch.height * batch.width
        valuesPerImage = 3 * plane
        samples = p.priorSamples.count
        hasVariance = p.sampleVariance != nil
        scenes += batch.batchSize
        for (n, k) in zip(batchNLL, batchKL) {
            nll += Double(n)
            kl += Double(k)
            elbo += Double(n) + Double(k)
        }
        let truth = batch.queryImage
        for scene in 0..<batch.batchSize {
            for pixel in 0..<plane {
                var sums = RegionSums(pixels: 1)
                for channel in 0..<3 {
                    let i = (scene * 3 + channel) * plane + pixel
                    let x = Double(truth[i])
                    func squared(_ prediction: [Float]) -> Double {
                        let d = Double(prediction[i]) - x
                        return d * d
                    }
                    sums.priorMean += squared(p.priorMean)
                    for sample in p.priorSamples { sums.priorSample += squared(sample) }
                    sums.posteriorReconstruction += squared(p.posteriorReconstruction)
                    sums.contextMean += squared(p.contextMean)
                    sums.nearestPose += squared(p.nearestPose)
                    if let variance = p.sampleVariance { sums.sampleVariance += Double(variance[i]) }
                }
                image.add(sums)
                if let masks = batch.queryMasks {
                    if masks[scene * plane + pixel] > 0 { objects.add(sums) } else { room.add(sums) }
                }
            }
        }
    }

    /// Replaces every sum by its total over the ranks of `communicator` (each rank added
    /// its own batches); the per-batch facts (values per image, samples, variance) are the
    /// same on every rank that added one, and taken from any that did.
    mutating func addAcrossRanks(_ communicator: Communicator) throws {
        func values(_ r: RegionSums) -> [Double] {
            [Double(r.pixels), r.priorMean, r.priorSample, r.posteriorReconstruction, r.contextMean, r.nearestPose, r.sampleVariance]
        }
        func region(_ v: ArraySlice<Double>) -> RegionSums {
            let v = Array(v)
            return RegionSums(
                pixels: Int(v[0]), priorMean: v[1], priorSample: v[2], posteriorReconstruction: v[3], contextMean: v[4],
                nearestPose: v[5], sampleVariance: v[6])
        }
        // Per-batch facts are counted once per rank that added a batch, then divided back.
        let contributes = scenes > 0 ? 1.0 : 0.0
        let local = [
            Double(scenes), elbo, nll, kl, contributes, contributes * Double(valuesPerImage),
            contributes * Double(samples), hasVariance ? contributes : 0,
        ] + values(image) + values(objects) + values(room)
        let total = try communicator.sum(local)
        scenes = Int(total[0])
        (elbo, nll, kl) = (total[1], total[2], total[3])
        if total[4] > 0 {
            valuesPerImage = Int(total[5] / total[4])
            samples = Int(total[6] / total[4])
            hasVariance = total[7] > 0
        }
        image = region(total[8..<15])
        objects = region(total[15..<22])
        room = region(total[22..<29])
    }

    /// The figures at context count `context`; `nllFloor` is the NLL floor at the evaluation's sigma.
    /// - Returns: nil when no scene was added.
    func figures(context: Int, nllFloor: Double, masks: Bool) -> EvaluationFigures? {
        guard scenes > 0, let whole = image.figures(allPixels: image.pixels, samples: samples, hasVariance: hasVariance) else {
            return nil
        }
        let perImage = Double(scenes)
        return EvaluationFigures(
            context: context, scenes: scenes, elboNatsPerImage: elbo / perImage,
            bitsPerDimension: elbo / perImage / (Double(valuesPerImage) * log(2)), nll: nll / perImage, kl: kl / perImage,
            nllAboveFloor: nll / perImage - nllFloor, image: whole,
            objects: masks ? objects.figures(allPixels: image.pixels, samples: samples, hasVariance: hasVariance) : nil,
            room: masks ? room.figures(allPixels: image.pixels, samples: samples, hasVariance: hasVariance) : nil)
    }
}

extension EvaluationAccumulator.RegionSums {
    /// Adds another region's sums, field by field.
    mutating func add(_ other: Self) {
        pixels += other.pixels
        priorMean += other.priorMean
        priorSample += other.priorSample
        posteriorReconstruction += other.posteriorReconstruction
        contextMean += other.contextMean
        nearestPose += other.nearestPose
        sampleVariance += other.sampleVariance
    }
}
