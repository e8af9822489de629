import Foundation
import GQN
import Tensors
import Testing

@testable import gqn_train

/// `write-reference-fixture` records what a trainer's first step sees and computes; the
/// PyTorch side (Tools/check_pytorch_reference.py, run by Tools/test.sh) recomputes it.
@Suite("write-reference-fixture", .serialized)
struct ReferenceFixtureTests {
    init() throws { try SerialRunRequired.check() }

    @Test("the fixture holds the parameters before the step, the trainer's loss and gradients, and the step's noise")
    func recordsTheFirstTrainingStep() throws {
        let directory = TrainFixtures.path("reference")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let command = try WriteReferenceFixture.parse([directory, "--config", "tiny", "--batch", "2", "--context", "3", "--seed", "3"])
        try command.run()
        let archive = try SafeTensors(contentsOf: directory + "/reference.safetensors")
        let tensors = archive.tensors

        var configuration = GQNConfiguration.tiny
        configuration.batchSize = 2
        configuration.maxContextViews = 3
        let model = try GQNModel(configuration: configuration, seed: 3)
        let parameters = model.parameters
        for name in parameters.names {
            let handle = try #require(parameters.parameter(named: name))
            #expect(tensors[name]?.scalars == parameters.tensor(handle).scalars, "parameter \(name)")
            #expect(tensors["grad." + name]?.shape == parameters.shape(of: handle), "gradient \(name)")
        }

        // The same step by hand: the trainer's sigma and noise seed, forward and backward on a tape.
        let trainer = GQNTrainer(model: model, seed: 3)
        let batch = syntheticBatch(configuration, seed: 3)
        #expect(tensors["input.query_images"]?.scalars == batch.queryImages.scalars)
        #expect(tensors["input.context_images"]?.shape == [2, 3, 3, 32, 32])
        let tape = Tape()
        let sigma = trainer.schedule.pixelStandardDeviation(at: 0)
        let result = try model.loss(
            batch, pixelStandardDeviation: sigma, noiseSeed: trainer.noiseSeed(forStep: 0), tracked: parameters.track(on: tape))
        try tape.backward(from: result.loss)
        #expect(tensors["output.loss"]?.scalar == result.lossValue)
        #expect(tensors["output.sigma"]?.scalar == 2)
        #expect(tensors["output.kl_per_scene"]?.scalars == result.kl.scalars)
        #expect(tensors["output.nll_per_scene"]?.scalars == result.negativeLogLikelihood.scalars)
        for name in parameters.names {
            let handle = try #require(parameters.parameter(named: name))
            #expect(tensors["grad." + name]?.scalars == parameters.gradient(handle).scalars, "gradient \(name)")
        }
        // A different noise seed gives another loss: the recorded noise is the step's own.
        let other = try model.loss(batch, pixelStandardDeviation: sigma, noiseSeed: trainer.noiseSeed(forStep: 1))
        #expect(other.lossValue != result.lossValue)
        let noise = try #require(tensors["noise.eps"])
        #expect(noise.shape == [4, 2, 8, 8, 8])
        #expect(noise.scalars == model.latentNoise(batchSize: 2, noiseSeed: trainer.noiseSeed(forStep: 0)).flatMap(\.scalars))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/reference.json")))
        let description = try #require(json as? [String: Any])
        #expect(description["parameters"] as? [String] == parameters.names)
        #expect((description["configuration"] as? [String: Any])?["representation"] as? String == "pool")
        #expect(description["gates"] as? String == "precomputed")
    }

    @Test("bad arguments are rejected before anything runs")
    func badArguments() {
        let cases = [
            (["dir", "--config", "huge"], "The value 'huge' is invalid for '--config <config>'. Please provide one of 'tiny', 'small' or 'paper'."),
            (["dir", "--config", "tiny", "--context", "4"], "--context must be in 1...3 for tiny, found 4"),
            (["dir", "--batch", "0"], "--batch must be at least 1, found 0"),
        ]
        for (arguments, expected) in cases {
            let message = GQNTrainTests.commandLineMessage { _ = try WriteReferenceFixture.parse(arguments) }
            #expect(message.contains(expected), "\(arguments): \(message)")
        }
    }
}
