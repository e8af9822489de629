import Foundation
import Testing
import Tensors
@testable import GQN

extension GQNTests {
    @Suite("Model shapes and gradients") struct ModelTests {
        func sizes(_ c: GQNConfiguration) -> [Int] {
            [c.imageSize, c.representationChannels, c.hiddenChannels, c.latentChannels, c.steps, c.lstmKernel, c.scale,
             c.batchSize, c.maxContextViews]
        }

        @Test("presets match DESIGN section 5")
        func presets() throws {
            let tiny = GQNConfiguration.tiny
            #expect(
                sizes(tiny) == [32, 64, 32, 8, 4, 3, 4, 16, 3] as [Int])
            #expect(tiny.representation == .pool)
            let small = GQNConfiguration.small
            #expect(
                sizes(small) == [32, 128, 64, 16, 6, 5, 4, 16, 5] as [Int])
            #expect(small.representation == .tower)
            let paper = GQNConfiguration.paper
            #expect(
                sizes(paper) == [64, 256, 128, 64, 12, 5, 4, 36, 5] as [Int])
            #expect(paper.representation == .tower)
            for preset in [tiny, small, paper] {
                #expect(preset.sharedCores)
                #expect(preset.schedule == .paper)
                try preset.validate()
            }
            // The analytic flop counts of the naive step match the published PyTorch figures.
            let smallModel = try GQNModel(configuration: small, seed: 1)
            let smallFlops = 3 * smallModel.forwardFlops(batchSize: 16, contextViews: 5, gates: .naive) / 1e9
            #expect(abs(smallFlops - 141.7) < 0.5, "small: \(smallFlops) GFLOP per step")
            let tinyModel = try GQNModel(configuration: tiny, seed: 1)
            let tinyFlops = 3 * tinyModel.forwardFlops(batchSize: 16, contextViews: 3, gates: .naive) / 1e9
            #expect(abs(tinyFlops - 11.1) < 0.1, "tiny: \(tinyFlops) GFLOP per step")
            #expect(tinyModel.forwardFlops(batchSize: 16, contextViews: 3, gates: .precomputed) < 0.75 * tinyFlops / 3 * 1e9)
        }

        @Test("invalid configurations are rejected")
        func invalidConfiguration() {
            var configuration = GQNConfiguration.small
            configuration.scale = 2
            #expect(throws: GQNError.self) { try configuration.validate() }
            configuration = .tiny
            configuration.lstmKernel = 4
            #expect(throws: GQNError.self) { try GQNModel(configuration: configuration, seed: 1) }
        }

        @Test(
            "shapes through the whole model",
            arguments: [("tiny", 32), ("small", 32), ("paper", 64)], RepresentationKind.allCases)
        func shapes(preset: (String, Int), representation: RepresentationKind) throws {
            var configuration = try #require(GQNConfiguration.presets[preset.0])
            configuration.representation = representation
            // The paper model is large: one scene with one context view keeps the test quick.
            let (batch, views) = preset.0 == "paper" ? (1, 1) : (2, 3)
            let model = try GQNModel(configuration: configuration, seed: 3)
            let data = try randomBatch(configuration, batch: batch, views: views, seed: 4)
            let r = try model.representation(contextImages: data.contextImages, contextViewpoints: data.contextViewpoints)
            let side = representation == .tower ? preset.1 / 4 : 1
            #expect(r.shape == [batch, configuration.representationChannels, side, side])
            let loss = try model.loss(data, pixelStandardDeviation: 0.7, noiseSeed: 1)
            let s = preset.1
            #expect(loss.mean.shape == [batch, 3, s, s])
            #expect(loss.negativeLogLikelihood.shape == [batch])
            #expect(loss.kl.shape == [batch])
            #expect(loss.loss.shape == [])
            #expect(loss.lossValue.isFinite)
            #expect(loss.klValue >= 0)
            // The NLL can never go below its floor at this sigma.
            let floor = GQNTrainingSchedule.negativeLogLikelihoodFloor(values: 3 * s * s, sigma: 0.7)
            #expect(Double(loss.negativeLogLikelihoodValue) >= floor)
            #expect(loss.mean.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
            let imagined = try model.generate(
                contextImages: data.contextImages, contextViewpoints: data.contextViewpoints,
                queryViewpoints: data.queryViewpoints, usePriorMean: true)
            #expect(imagined.shape == [batch, 3, s, s])
            // The reconstruction draws its latents from the posterior, which sees the query image;
            // imagining from the prior does not: another query image changes the one, not the other.
            var otherQuery = data
            otherQuery.queryImages = Tensor.randomUniform(shape: [batch, 3, s, s], lower: 0, upper: 1, seed: 99)
            let reconstruction = try model.reconstruct(data, noiseSeed: 1).scalars
            #expect(try model.reconstruct(data, noiseSeed: 1).scalars == reconstruction)
            #expect(try model.reconstruct(otherQuery, noiseSeed: 1).scalars != reconstruction)
            let imaginedAgain = try model.generate(
                contextImages: otherQuery.contextImages, contextViewpoints: otherQuery.contextViewpoints,
                queryViewpoints: otherQuery.queryViewpoints, usePriorMean: true)
            #expect(imaginedAgain.scalars == imagined.scalars)
            #expect(reconstruction != imagined.scalars)
        }

        @Test func badShapesAreReported() throws {
            let configuration = testConfiguration()
            let model = try GQNModel(configuration: configuration, seed: 1)
            var data = try randomBatch(configuration, batch: 2, views: 2, seed: 1)
            data.queryViewpoints = Tensor(shape: [2, 5])
            #expect(throws: GQNError.shapeMismatch(argument: "queryViewpoints", expected: [2, 7], found: [2, 5])) {
                try model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1)
            }
            data = try randomBatch(configuration, batch: 2, views: 2, seed: 1)
            data.contextImages = Tensor(shape: [2, 2, 3, 16, 16])
            #expect(throws: GQNError.self) { try model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1) }
        }

        @Test("unshared cores: one set of core parameters per step")
        func unsharedCores() throws {
            let shared = try GQNModel(configuration: testConfiguration(steps: 3), seed: 1)
            let unshared = try GQNModel(configuration: testConfiguration(sharedCores: false, steps: 3), seed: 1)
            #expect(shared.parameters.names.filter { $0.hasPrefix("inference_core") }.count == 2)
            #expect(unshared.parameters.names.filter { $0.hasPrefix("inference_core") }.count == 6)
            #expect(unshared.parameters.names.contains("generator_core.2.upsample.weight"))
            let data = try randomBatch(testConfiguration(), batch: 2, views: 2, seed: 2)
            #expect(try unshared.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue.isFinite)
        }

        @Test(
            "precomputed constant gate parts equal the naive per-step concatenation",
            arguments: [(RepresentationKind.tower, true), (.pool, true), (.pyramid, false)])
        func precomputedEqualsNaive(representation: RepresentationKind, shared: Bool) throws {
            var configuration = testConfiguration(representation, sharedCores: shared, steps: 3, imageSize: 16)
            configuration.hiddenChannels = 5
            let model = try GQNModel(configuration: configuration, seed: 7)
            let data = try randomBatch(configuration, batch: 3, views: 2, seed: 8)
            model.gateComputation = .naive
            let naive = try lossAndGradients(model, data)
            model.gateComputation = .precomputed
            let precomputed = try lossAndGradients(model, data)
            #expect(abs(naive.loss - precomputed.loss) <= 1e-5 * abs(naive.loss), "\(naive.loss) vs \(precomputed.loss)")
            for (name, gradient) in naive.gradients {
                let error = relativeError(gradient, precomputed.gradients[name] ?? [])
                #expect(error < 1e-4, "\(name): relative difference \(error)")
            }
            // Sampling from the prior too.
            let images = try [GateComputation.naive, .precomputed].map { gates in
                model.gateComputation = gates
                return try model.generate(
                    contextImages: data.contextImages, contextViewpoints: data.contextViewpoints,
                    queryViewpoints: data.queryViewpoints, usePriorMean: false, noiseSeed: 3
                ).scalars
            }
            #expect(relativeError(images[0], images[1]) < 1e-5)
        }

        @Test("finite-difference gradient check of the full loss", arguments: RepresentationKind.allCases)
        func gradientCheck(representation: RepresentationKind) throws {
            let configuration = testConfiguration(representation, steps: 2)
            let model = try GQNModel(configuration: configuration, seed: 11)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 12)
            let parameters = model.parameters
            let checked = [
                "representation.conv1.weight", "representation.conv4.weight", "generator.downsample.weight",
                "inference_core.gates.weight", "generator_core.gates.weight", "generator_core.gates.bias",
                "prior.weight", "posterior.bias", "generator_core.upsample.weight", "output.weight",
            ]
            // Two objectives: the full loss with a small pixel sigma (so the likelihood's
            // gradients dominate) and its KL term alone (a fraction of a nat, so Float32
            // resolves the small gradients of the layers that only the KL sees well).
            enum Objective: CaseIterable { case loss, kl }
            var verified: Set<String> = []
            for objective in Objective.allCases {
                func evaluate(tracked: TrackedParameters?) throws -> Tensor {
                    let result = try model.loss(data, pixelStandardDeviation: 0.2, noiseSeed: 5, tracked: tracked)
                    return objective == .loss ? result.loss : result.kl.mean()
                }
                parameters.zeroGradients()
                let tape = Tape()
                let value = try evaluate(tracked: parameters.track(on: tape))
                try tape.backward(from: value)
                let scale = Double(abs(value.scalar ?? 0))
                // What Float32 rounding of the objective alone can produce in a central difference.
                func noise(_ epsilon: Float) -> Double { 16 * scale * Double(Float.ulpOfOne) / (2 * Double(epsilon)) }
                for name in checked {
                    let handle = try #require(parameters.parameter(named: name), "\(name)")
                    let gradient = parameters.gradient(handle).scalars
                    let index = gradient.indices.max { abs(gradient[$0]) < abs(gradient[$1]) } ?? 0
                    let analytic = Double(gradient[index])
                    guard abs(analytic) > 8 * noise(1e-2) else { continue }
                    let original = parameters.tensor(handle).scalars
                    func objectiveValue(at element: Float) throws -> Double {
                        var values = original
                        values[index] = element
                        try parameters.assign(handle, from: try Tensor(shape: parameters.shape(of: handle), scalars: values))
                        return Double(try evaluate(tracked: nil).scalar ?? .nan)
                    }
                    // A ReLU kink inside the interval spoils a central difference: if the
                    // wide step disagrees, a narrower one (with more rounding noise) decides.
                    var report = ""
                    var agrees = false
                    for epsilon: Float in [1e-2, 2e-3] where !agrees {
                        let plus = try objectiveValue(at: original[index] + epsilon)
                        let minus = try objectiveValue(at: original[index] - epsilon)
                        let numeric = (plus - minus) / (2 * Double(epsilon))
                        agrees = abs(numeric - analytic) <= 0.02 * abs(analytic) + 2 * noise(epsilon)
                        report += " numeric(eps \(epsilon)) \(numeric)"
                    }
                    try parameters.assign(handle, from: try Tensor(shape: parameters.shape(of: handle), scalars: original))
                    #expect(agrees, "\(objective) \(name)[\(index)]: analytic \(analytic),\(report)")
                    verified.insert(name)
                }
            }
            #expect(verified == Set(checked), "unchecked: \(Set(checked).subtracting(verified))")
        }
    }
}
