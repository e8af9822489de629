import ArgumentParser
import Foundation
import GQN
import Tensors

/// Writes the fixture that `Tools/check_pytorch_reference.py` recomputes with PyTorch:
/// one training step's parameters, inputs, latent noise, loss and gradients.
struct WriteReferenceFixture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-reference-fixture",
        abstract: "Write reference.safetensors and reference.json: one training step's inputs, noise, loss and gradients.",
        discussion: """
            Builds the preset's model (tiny: pool representation; small: tower) with the given \
            seed, a synthetic batch of --batch scenes with --context views each, and runs the \
            first training step of a GQNTrainer on it (forward, backward, Adam). Writes the \
            parameters as they were before the step, the inputs, the latent noise eps of every \
            generation step, the loss, NLL, KL and pixel sigma, and the gradient of every \
            parameter (grad.NAME). reference.json lists the configuration and the names.
            """,
        shouldDisplay: false
    )

    @Argument(help: "An existing directory to write the two files into.")
    var directory: String

    @Option(help: "The configuration: tiny (pool representation) or small (tower).")
    var config: GQNConfiguration.Preset = .tiny

    @Option(help: "Scenes in the batch.")
    var batch: Int = 3

    @Option(help: "Context views per scene (at most the configuration's maximum).")
    var context: Int = 2

    @Option(help: "Gate convolutions: precomputed (the default path) or naive.")
    var gates: GateComputation = .precomputed

    @Option(help: "Seeds the parameters, the batch and the trainer's latent noise.")
    var seed: UInt64 = 7

    func validate() throws {
        let preset = config.configuration
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, found \(batch)") }
        guard (1...preset.maxContextViews).contains(context) else {
            throw ValidationError("--context must be in 1...\(preset.maxContextViews) for \(config.rawValue), found \(context)")
        }
    }

    func run() throws {
        var configuration = config.configuration
        configuration.batchSize = batch
        configuration.maxContextViews = context
        let fixture = try ReferenceFixture(configuration: configuration, gates: gates, seed: seed)
        try fixture.write(toDirectory: directory)
        print("wrote \(directory)/reference.safetensors (\(fixture.tensors.count) tensors) and reference.json")
    }
}

/// One training step of a GQN recorded for an independent reimplementation.
///
/// Tensor names in `reference.safetensors`:
/// - every parameter by its own name (`representation.conv1.weight`, ...), before the step;
/// - `grad.NAME`: the gradient of the mean loss with respect to that parameter;
/// - `input.context_images` `[B, K, 3, H, W]`, `input.context_viewpoints` `[B, K, 7]`,
///   `input.query_images` `[B, 3, H, W]`, `input.query_viewpoints` `[B, 7]`;
/// - `noise.eps` `[L, B, z, g, g]`: step `l`'s standard normal noise, `z = mean + std * eps`;
/// - `output.loss`, `output.nll`, `output.kl`, `output.sigma` (scalars: the batch means the
///   trainer reported, and the pixel sigma it used); `output.nll_per_scene`,
///   `output.kl_per_scene` `[B]` and `output.mean` `[B, 3, H, W]` from an untracked pass with
///   the same noise.
struct ReferenceFixture {
    /// The tensors of `reference.safetensors`.
    let tensors: [String: Tensor]
    /// The contents of `reference.json`.
    let description: Description

    /// What `reference.json` holds.
    struct Description: Encodable {
        let format = "gqn-reference-1"
        let configuration: GQNConfiguration
        let gates: String
        let seed: UInt64
        /// As a string: JSON readers may hold numbers as doubles.
        let noiseSeed: String
        let batch: Int
        let contextViews: Int
        let pixelStandardDeviation: Float
        let loss: Float
        let nll: Float
        let kl: Float
        /// Parameter names in the model's order; each has a `grad.` twin.
        let parameters: [String]
        let inputs: [String]
        let noise: String
        let outputs: [String]
    }

    /// Runs the first training step of a fresh model and trainer and records it.
    /// - Parameters:
    ///   - configuration: The architecture; its batch size and maximum context count shape the batch.
    ///   - gates: The gate evaluation the model uses.
    ///   - seed: Seeds the parameters, the synthetic batch and the trainer.
    /// - Throws: ``/GQN/GQNError`` or ``/Tensors/TensorError`` from the model.
    init(configuration: GQNConfiguration, gates: GateComputation, seed: UInt64) throws {
        let model = try GQNModel(configuration: configuration, seed: seed)
        model.gateComputation = gates
        let batch = syntheticBatch(configuration, seed: seed)
        let trainer = GQNTrainer(model: model, seed: seed)
        let parameters = model.parameters
        var tensors: [String: Tensor] = [:]
        var handles: [(String, ParameterSet.Parameter)] = []
        for name in parameters.names {
            guard let handle = parameters.parameter(named: name) else { continue }
            handles.append((name, handle))
            tensors[name] = try Self.copy(parameters.tensor(handle))  // the step's Adam update changes the values
        }
        let sigma = trainer.schedule.pixelStandardDeviation(at: trainer.step)
        let noiseSeed = trainer.noiseSeed(forStep: trainer.step)
        let noise = model.latentNoise(batchSize: batch.batchSize, noiseSeed: noiseSeed)
        let untracked = try model.loss(batch, pixelStandardDeviation: sigma, noiseSeed: noiseSeed)
        let step = try trainer.train(on: batch)
        for (name, handle) in handles { tensors["grad." + name] = try Self.copy(parameters.gradient(handle)) }

        let inputs: [String: Tensor] = [
            "input.context_images": batch.contextImages, "input.context_viewpoints": batch.contextViewpoints,
            "input.query_images": batch.queryImages, "input.query_viewpoints": batch.queryViewpoints,
        ]
        let noiseShape = noise.first?.shape ?? []
        let outputs: [String: Tensor] = [
            "output.loss": try Tensor(shape: [], scalars: [step.loss]),
            "output.nll": try Tensor(shape: [], scalars: [step.negativeLogLikelihood]),
            "output.kl": try Tensor(shape: [], scalars: [step.kl]),
            "output.sigma": try Tensor(shape: [], scalars: [step.pixelStandardDeviation]),
            "output.nll_per_scene": untracked.negativeLogLikelihood,
            "output.kl_per_scene": untracked.kl,
            "output.mean": untracked.mean,
        ]
        tensors.merge(inputs) { first, _ in first }
        tensors.merge(outputs) { first, _ in first }
        tensors["noise.eps"] = try Tensor(shape: [noise.count] + noiseShape, scalars: noise.flatMap(\.scalars))
        self.tensors = tensors
        description = Description(
            configuration: configuration, gates: gates.rawValue, seed: seed, noiseSeed: String(noiseSeed),
            batch: batch.batchSize, contextViews: batch.contextViews, pixelStandardDeviation: sigma, loss: step.loss,
            nll: step.negativeLogLikelihood, kl: step.kl, parameters: handles.map(\.0), inputs: inputs.keys.sorted(),
            noise: "noise.eps", outputs: outputs.keys.sorted())
    }

    /// Writes `reference.safetensors` and `reference.json` into `directory`.
    /// - Parameter directory: An existing directory.
    /// - Throws: ``/Tensors/TensorError/io(path:detail:)`` when a file cannot be written.
    func write(toDirectory directory: String) throws {
        try SafeTensors(tensors: tensors, metadata: ["source": "gqn-train write-reference-fixture"])
            .write(to: directory + "/reference.safetensors")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let path = directory + "/reference.json"
        guard FileManager.default.createFile(atPath: path, contents: try encoder.encode(description) + Data("\n".utf8))
        else {
            throw TensorError.io(path: path, detail: "cannot write the JSON description")
        }
    }

    /// A copy that later updates of the viewed buffer leave alone.
    private static func copy(_ tensor: Tensor) throws -> Tensor {
        try Tensor(shape: tensor.shape, scalars: tensor.scalars)
    }
}
