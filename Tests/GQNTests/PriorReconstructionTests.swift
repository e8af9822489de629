import Foundation
import Testing
import Tensors
@testable import GQN

extension GQNTests {
    @Suite("Prior reconstruction term") struct PriorReconstructionTests {
        static func configuration(weight: Double) -> GQNConfiguration {
            var configuration = testConfiguration(.tower, steps: 2)
            configuration.priorReconstructionWeight = weight
            return configuration
        }

        @Test("the objective is nll + kl + w * the NLL of the prior-mean rendering; w = 0 leaves the ELBO alone")
        func objective() throws {
            let plain = try GQNModel(configuration: Self.configuration(weight: 0), seed: 4)
            let weighted = try GQNModel(configuration: Self.configuration(weight: 0.5), seed: 4)
            let data = try randomBatch(plain.configuration, batch: 3, views: 2, seed: 9)
            let sigma: Float = 0.4
            let elbo = try plain.loss(data, pixelStandardDeviation: sigma, noiseSeed: 6)
            #expect(elbo.priorNegativeLogLikelihood == nil)
            let expectedELBO = zip(elbo.negativeLogLikelihood.scalars, elbo.kl.scalars).map(+).reduce(0, +) / 3
            #expect(abs(elbo.lossValue - expectedELBO) <= 1e-5 * abs(expectedELBO))

            let hybrid = try weighted.loss(data, pixelStandardDeviation: sigma, noiseSeed: 6)
            // The same parameters and noise: the ELBO parts are unchanged.
            #expect(hybrid.negativeLogLikelihood.scalars == elbo.negativeLogLikelihood.scalars)
            #expect(hybrid.kl.scalars == elbo.kl.scalars)
            // The prior term is the NLL of what generate renders from the prior-mean latents.
            let predicted = try weighted.generate(
                contextImages: data.contextImages, contextViewpoints: data.contextViewpoints,
                queryViewpoints: data.queryViewpoints, usePriorMean: true)
            let expectedPrior = try Tensor.gaussianNegativeLogLikelihood(
                of: data.queryImages, mean: predicted, standardDeviation: sigma
            ).scalars
            let prior = try #require(hybrid.priorNegativeLogLikelihood).scalars
            #expect(relativeError(prior, expectedPrior) < 1e-6, "\(prior) vs \(expectedPrior)")
            #expect(try #require(hybrid.priorMean).scalars == predicted.scalars)
            #expect(elbo.priorMean == nil)
            let (nll, kl) = (elbo.negativeLogLikelihood.scalars, elbo.kl.scalars)
            var total: Float = 0
            for row in 0..<3 { total += nll[row] + kl[row] + 0.5 * prior[row] }
            let expected = total / 3
            #expect(abs(hybrid.lossValue - expected) <= 1e-5 * abs(expected), "\(hybrid.lossValue) vs \(expected)")
            #expect(hybrid.lossValue > elbo.lossValue)
        }

        @Test("the term's gradients: finite differences agree, and the inference path gets none")
        func gradients() throws {
            var configuration = Self.configuration(weight: 1)
            configuration.steps = 4
            let model = try GQNModel(configuration: configuration, seed: 21)
            let data = try randomBatch(model.configuration, batch: 2, views: 2, seed: 22)
            let parameters = model.parameters
            func priorTerm(tracked: TrackedParameters?) throws -> Tensor {
                try #require(
                    try model.loss(data, pixelStandardDeviation: 0.3, noiseSeed: 2, tracked: tracked).priorNegativeLogLikelihood
                ).mean()
            }
            parameters.zeroGradients()
            let tape = Tape()
            let value = try priorTerm(tracked: parameters.track(on: tape))
            try tape.backward(from: value)
            // The query image reaches the prior term only as the target: the inference core,
            // the posterior and the image downsampler are not on its path.
            for name in ["inference_core.gates.weight", "posterior.weight", "posterior.bias", "generator.downsample.weight"] {
                let handle = try #require(parameters.parameter(named: name))
                #expect(parameters.gradient(handle).scalars.allSatisfy { $0 == 0 }, "\(name)")
            }
            // Per tensor, the derivative along the normalised gradient, which must equal the
            // gradient's norm: single elements are too small here for Float32 differences, and
            // the generator's path is smooth (sigmoid and tanh gates), so wide steps are exact
            // enough.
            let scale = Double(abs(value.scalar ?? 0))
            func noise(_ epsilon: Float) -> Double { 16 * scale * Double(Float.ulpOfOne) / (2 * Double(epsilon)) }
            for name in ["representation.conv1.weight", "prior.weight", "prior.bias", "generator_core.gates.weight", "output.weight"] {
                let handle = try #require(parameters.parameter(named: name))
                let gradient = parameters.gradient(handle).scalars.map(Double.init)
                let norm = gradient.map { $0 * $0 }.reduce(0, +).squareRoot()
                #expect(norm > 4 * noise(1e-1), "\(name): gradient norm \(norm) too small to check")
                let original = parameters.tensor(handle).scalars
                func objective(along step: Float) throws -> Double {
                    let moved = zip(original, gradient).map { $0 + step * Float($1 / norm) }
                    try parameters.assign(handle, from: try Tensor(shape: parameters.shape(of: handle), scalars: moved))
                    return Double(try priorTerm(tracked: nil).scalar ?? .nan)
                }
                var report = ""
                var agrees = false
                for epsilon: Float in [1e-1, 3e-2] where !agrees {
                    let numeric = (try objective(along: epsilon) - objective(along: -epsilon)) / (2 * Double(epsilon))
                    agrees = abs(numeric - norm) <= 0.03 * norm + 2 * noise(epsilon)
                    report += " numeric(eps \(epsilon)) \(numeric)"
                }
                try parameters.assign(handle, from: try Tensor(shape: parameters.shape(of: handle), scalars: original))
                #expect(agrees, "\(name): gradient norm \(norm),\(report)")
            }
        }

        @Test("the weight is written only when not 0, read back, and a negative one is refused")
        func codable() throws {
            let plain = Self.configuration(weight: 0)
            let plainJSON = try JSONEncoder().encode(plain)
            #expect(!String(decoding: plainJSON, as: UTF8.self).contains("priorReconstructionWeight"))
            #expect(try JSONDecoder().decode(GQNConfiguration.self, from: plainJSON) == plain)
            let weighted = Self.configuration(weight: 0.25)
            let weightedJSON = try JSONEncoder().encode(weighted)
            #expect(String(decoding: weightedJSON, as: UTF8.self).contains("\"priorReconstructionWeight\":0.25"))
            #expect(try JSONDecoder().decode(GQNConfiguration.self, from: weightedJSON) == weighted)
            for bad in [-0.5, Double.nan, .infinity] {
                #expect(throws: GQNError.self) { try Self.configuration(weight: bad).validate() }
            }
        }
    }
}
