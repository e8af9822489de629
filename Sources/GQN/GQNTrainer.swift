import Dispatch
import Distributed
import Foundation
import Tensors

/// What one training step measured, in nats per image (batch means).
public struct GQNStepResult: Sendable, Codable, Equatable {
    /// The 0-based index of the step that produced this result.
    public var step: Int
    /// The objective minimised: the negative ELBO `nll + kl`, plus `w * prior_nll` when the
    /// configuration has a ``GQNConfiguration/priorReconstructionWeight`` `w > 0`.
    public var loss: Float
    /// The Gaussian negative log-likelihood of the query image.
    public var negativeLogLikelihood: Float
    /// KL(posterior || prior) summed over steps and latents.
    public var kl: Float
    /// The pixel standard deviation used.
    public var pixelStandardDeviation: Float
    /// The learning rate used.
    public var learningRate: Float
    /// The NLL of the query image rendered from the prior-mean latents (the prior
    /// reconstruction term before its weight); nil when the objective has no such term.
    public var priorNegativeLogLikelihood: Float? = nil
    /// The lowest NLL any model can reach at this sigma (``GQNTrainingSchedule/negativeLogLikelihoodFloor(values:sigma:)``).
    public var negativeLogLikelihoodFloor: Float
}

/// Trains a ``GQNModel`` with Adam, the annealed learning rate and the annealed pixel sigma.
///
/// A step: zero the gradients, forward on a fresh ``/Tensors/Tape`` with
/// `sigma_t`, backward, one Adam update with `lr_t` (Adam applies its bias correction
/// once, itself). `t` is the number of steps already taken. The latent noise of step
/// `t` is keyed by `(seed, t)`, so training is deterministic for a fixed seed, data
/// order and thread count, and a resumed run continues exactly where it stopped.
///
/// Data-parallel: with a ``/Distributed/Communicator`` of `n` ranks, each rank trains on its
/// share of the global batch (rows `r, r + n, ...`, with those rows' latent noise, see
/// ``BatchShare``), the gradients are averaged across ranks by one allreduce over the flat
/// gradient buffer, and every rank applies the same Adam update, so the parameters stay
/// identical (``checkReplicasAgree()`` verifies it) and equal, up to float rounding, to one
/// process training on the global batch.
public final class GQNTrainer {
    /// The model being trained.
    public let model: GQNModel
    /// Keys the latent noise of every step.
    public let seed: UInt64
    /// The ranks training together (``/Distributed/Communicator/single`` alone).
    public let communicator: Communicator
    /// Wall-clock seconds of the last step's gradient allreduce (0 for a single process).
    public private(set) var lastAllreduceSeconds = 0.0
    /// The number of training steps taken.
    public private(set) var step = 0
    private var optimizer: Adam
    /// Wall-clock seconds of the last step's forward pass, backward pass (with several ranks,
    /// including the gradient allreduce, see ``lastAllreduceSeconds``) and optimiser update.
    public private(set) var lastStepSeconds: (forward: Double, backward: Double, update: Double) = (0, 0, 0)

    /// Creates a trainer at step 0.
    /// - Parameters:
    ///   - model: The model to train (its parameters are updated in place).
    ///   - seed: Keys the latent noise.
    ///   - communicator: The ranks training together; every rank must start from the same
    ///     parameters (the same seed, or the same checkpoint).
    public init(model: GQNModel, seed: UInt64, communicator: Communicator = .single) {
        self.model = model
        self.seed = seed
        self.communicator = communicator
        let schedule = model.configuration.schedule
        optimizer = Adam(
            learningRate: schedule.learningRate(at: 0), beta1: Float(schedule.beta1), beta2: Float(schedule.beta2),
            epsilon: Float(schedule.epsilon))
    }

    /// The schedules and Adam constants in use.
    public var schedule: GQNTrainingSchedule { model.configuration.schedule }

    /// Adam's own update count (equal to ``step`` unless the state was restored inconsistently).
    public var optimizerStep: Int { optimizer.step }

    /// The noise seed that training step `step` hands to ``GQNModel/loss(_:pixelStandardDeviation:noiseSeed:tracked:share:)``.
    ///
    /// With ``GQNModel/latentNoise(batchSize:noiseSeed:)`` it lets a reference
    /// implementation reproduce a training step's latent noise exactly.
    /// - Parameter step: The 0-based step (``step`` before the call to ``train(on:)``).
    /// - Returns: ``seed`` and `step` mixed (SplitMix64).
    public func noiseSeed(forStep step: Int) -> UInt64 { SeedMixer.mix(seed, UInt64(truncatingIfNeeded: step)) }

    /// Runs one training step on a batch.
    /// - Parameter batch: Context and query views: the whole batch, or with several ranks this
    ///   rank's share of the global batch (every rank's share the same size).
    /// - Returns: The step's loss, its parts and the schedule values it used (means over the
    ///   global batch).
    /// - Throws: ``GQNError`` for badly shaped batches, ``/Tensors/TensorError`` from the engine,
    ///   ``/Distributed/DistributedError`` when the allreduce fails.
    @discardableResult
    public func train(on batch: GQNTensorBatch) throws -> GQNStepResult {
        let sigma = schedule.pixelStandardDeviation(at: step)
        let learningRate = schedule.learningRate(at: step)
        let parameters = model.parameters
        let ranks = communicator.size
        let share = ranks > 1 ? BatchShare(globalSize: batch.batchSize * ranks, rank: communicator.rank, ranks: ranks) : nil
        let start = DispatchTime.now().uptimeNanoseconds
        parameters.zeroGradients()
        let tape = Tape()
        let result = try model.loss(
            batch, pixelStandardDeviation: sigma, noiseSeed: noiseSeed(forStep: step), tracked: parameters.track(on: tape),
            share: share)
        let forwardEnd = DispatchTime.now().uptimeNanoseconds
        try tape.backward(from: result.loss)
        var (loss, nll, kl) = (result.lossValue, result.negativeLogLikelihoodValue, result.klValue)
        var priorNLL = result.priorNegativeLogLikelihoodValue
        if ranks > 1 {
            let reduceStart = DispatchTime.now().uptimeNanoseconds
            try parameters.withUnsafeMutableGradients { try communicator.allreduceMean($0) }
            let sums = try communicator.sum([Double(loss), Double(nll), Double(kl), Double(priorNLL ?? 0)])
            (loss, nll, kl) = (Float(sums[0] / Double(ranks)), Float(sums[1] / Double(ranks)), Float(sums[2] / Double(ranks)))
            priorNLL = priorNLL.map { _ in Float(sums[3] / Double(ranks)) }
            lastAllreduceSeconds = Double(DispatchTime.now().uptimeNanoseconds - reduceStart) * 1e-9
        }
        let backwardEnd = DispatchTime.now().uptimeNanoseconds
        optimizer.learningRate = learningRate
        optimizer.update(parameters)
        let end = DispatchTime.now().uptimeNanoseconds
        lastStepSeconds = (
            Double(forwardEnd - start) * 1e-9, Double(backwardEnd - forwardEnd) * 1e-9, Double(end - backwardEnd) * 1e-9
        )
        defer { step += 1 }
        let values = batch.queryImages.count / Swift.max(1, batch.batchSize)
        return GQNStepResult(
            step: step, loss: loss, negativeLogLikelihood: nll, kl: kl, pixelStandardDeviation: sigma, learningRate: learningRate,
            priorNegativeLogLikelihood: priorNLL,
            negativeLogLikelihoodFloor: Float(
                GQNTrainingSchedule.negativeLogLikelihoodFloor(values: values, sigma: Double(sigma))))
    }

    /// Checks that every rank holds the same parameters (a checksum of their bits compared
    /// across ranks); nothing to check for a single process.
    /// - Throws: ``/Distributed/DistributedError/mismatch(what:detail:)`` on every rank when
    ///   any two differ.
    public func checkReplicasAgree() throws {
        guard communicator.size > 1 else { return }
        let checksum = model.parameters.withUnsafeValues { BufferChecksum.of($0) }
        try communicator.requireEqual(checksum, "the parameters after step \(step)")
    }

    // MARK: Checkpoints

    static let format = "gqn-checkpoint-1"
    /// The format of ``saveWeights(to:metadata:)``: parameters only, no optimizer state.
    public static let weightsFormat = "gqn-weights-1"
    static let firstMomentKey = "optimizer.first_moment"
    static let secondMomentKey = "optimizer.second_moment"

    /// Saves parameters, Adam's moments and step, and the configuration in one safetensors
    /// file, written atomically (temporary file, fsync, rename).
    ///
    /// The parameters are stored under their names, so the file also loads with
    /// ``/Tensors/ParameterSet/load(from:)`` and with Python's `safetensors`; the moments
    /// are flat `[scalars]` tensors `optimizer.first_moment` / `optimizer.second_moment`.
    /// - Parameters:
    ///   - path: The destination file.
    ///   - metadata: Extra string metadata (data set, command line, ...).
    /// - Throws: ``/Tensors/TensorError/io(path:detail:)`` when the file cannot be written.
    public func saveCheckpoint(to path: String, metadata: [String: String] = [:]) throws {
        let parameters = model.parameters
        var tensors: [String: Tensor] = [:]
        for name in parameters.names {
            guard let handle = parameters.parameter(named: name) else { continue }
            tensors[name] = parameters.tensor(handle)
        }
        let scalars = parameters.scalarCount
        let first = optimizer.firstMoment.isEmpty ? [Float](repeating: 0, count: scalars) : optimizer.firstMoment
        let second = optimizer.secondMoment.isEmpty ? [Float](repeating: 0, count: scalars) : optimizer.secondMoment
        tensors[Self.firstMomentKey] = try Tensor(shape: [first.count], scalars: first)
        tensors[Self.secondMomentKey] = try Tensor(shape: [second.count], scalars: second)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var header = metadata
        header["format"] = Self.format
        header["step"] = String(step)
        header["optimizer_step"] = String(optimizer.step)
        header["seed"] = String(seed)
        header["configuration"] = String(decoding: try encoder.encode(model.configuration), as: UTF8.self)
        try SafeTensors(tensors: tensors, metadata: Self.addingChecksum(to: header, tensors: tensors)).write(to: path)
    }

    /// Saves the parameters alone, with the configuration, step and seed, atomically: about a
    /// third of a checkpoint, for sharing a trained model (`eval`, `sample` and `probe` read
    /// it; training cannot resume from it, having no optimizer state).
    /// - Parameters:
    ///   - path: The destination file.
    ///   - metadata: Extra string metadata (how the model was trained, say).
    /// - Throws: ``/Tensors/TensorError`` when the file cannot be written.
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws {
        let parameters = model.parameters
        var tensors: [String: Tensor] = [:]
        for name in parameters.names {
            guard let handle = parameters.parameter(named: name) else { continue }
            tensors[name] = parameters.tensor(handle)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var header = metadata
        header["format"] = Self.weightsFormat
        header["step"] = String(step)
        header["seed"] = String(seed)
        header["configuration"] = String(decoding: try encoder.encode(model.configuration), as: UTF8.self)
        try SafeTensors(tensors: tensors, metadata: Self.addingChecksum(to: header, tensors: tensors)).write(to: path)
    }

    /// Restores parameters, Adam's state and the step count from ``saveCheckpoint(to:metadata:)``,
    /// or parameters and the step count from ``saveWeights(to:metadata:)`` (the optimizer
    /// then starts afresh).
    ///
    /// Everything is checked before anything changes: a file that does not match the model
    /// leaves the trainer untouched.
    /// - Parameter path: The checkpoint file.
    /// - Returns: The file's metadata.
    /// - Throws: ``GQNError/checkpointMismatch(path:detail:)`` when a tensor is missing or has
    ///   another shape; ``/Tensors/TensorError`` when the file is unreadable or malformed.
    @discardableResult
    public func loadCheckpoint(from path: String) throws -> [String: String] {
        let archive = try Self.verifiedArchive(at: path)
        let parameters = model.parameters
        var assignments: [(ParameterSet.Parameter, Tensor)] = []
        for name in parameters.names {
            guard let handle = parameters.parameter(named: name) else { continue }
            guard let tensor = archive.tensors[name] else {
                throw GQNError.checkpointMismatch(path: path, detail: "expected tensor \"\(name)\", found none")
            }
            guard tensor.shape == parameters.shape(of: handle) else {
                throw GQNError.checkpointMismatch(
                    path: path, detail: "tensor \"\(name)\": expected shape \(parameters.shape(of: handle)), found \(tensor.shape)")
            }
            assignments.append((handle, tensor))
        }
        if archive.metadata["format"] == Self.weightsFormat {
            guard let stepText = archive.metadata["step"], let savedStep = Int(stepText), savedStep >= 0 else {
                throw GQNError.checkpointMismatch(path: path, detail: "expected integer \"step\" metadata")
            }
            for (handle, tensor) in assignments { try parameters.assign(handle, from: tensor) }
            step = savedStep
            return archive.metadata
        }
        let scalars = parameters.scalarCount
        guard let first = archive.tensors[Self.firstMomentKey], let second = archive.tensors[Self.secondMomentKey],
            first.shape == [scalars], second.shape == [scalars]
        else {
            throw GQNError.checkpointMismatch(
                path: path, detail: "expected optimizer moments of shape [\(scalars)] (a trainer checkpoint)")
        }
        guard let stepText = archive.metadata["step"], let savedStep = Int(stepText), savedStep >= 0,
            let optimizerText = archive.metadata["optimizer_step"], let optimizerStep = Int(optimizerText)
        else {
            throw GQNError.checkpointMismatch(path: path, detail: "expected integer \"step\" and \"optimizer_step\" metadata")
        }
        try optimizer.restore(
            step: optimizerStep, firstMoment: optimizerStep == 0 ? [] : first.scalars,
            secondMoment: optimizerStep == 0 ? [] : second.scalars)
        for (handle, tensor) in assignments { try parameters.assign(handle, from: tensor) }
        step = savedStep
        return archive.metadata
    }
}
