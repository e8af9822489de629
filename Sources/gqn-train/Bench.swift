import ArgumentParser
import Dispatch
import Distributed
import Foundation
import GQN
import Tensors

#if canImport(Glibc)
import Glibc
#endif

extension GateComputation: ExpressibleByArgument {}
extension ConvolutionBackend: ExpressibleByArgument {}

/// Times full training steps (forward, backward, Adam) of a reference configuration, or
/// generation from the prior with `--inference`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time GQN training steps (forward + backward + Adam), or generation, on a synthetic batch.",
        discussion: """
            Builds the configuration's model and one synthetic batch of its shape (batch size, \
            image size, the maximum number of context views), runs warm-up steps, then times \
            training steps. Prints one JSON line per timed step and a summary line last with \
            step_s_median, GFLOP/s and peak memory (getrusage ru_maxrss). GFLOP counts are \
            analytic convolution flops, a training step counting 3x the forward pass: \
            gflop_per_step is what this implementation executes (constant gate parts computed \
            once), gflop_per_step_naive what a per-step GQN such as PyTorch's executes \
            (small: 141.7), and gflops_naive_equivalent divides the latter by our step time. \
            With --inference it times generation from the prior instead (representation of the \
            context views, L prior steps with sampled latents, the image mean; no tape) and \
            reports generate_s_median per batch and images_per_s_median, query images per second. Under \
            mpirun or srun the configuration's batch is the global batch, split across the ranks, and each step \
            averages the gradients with one allreduce: the summary (rank 0's) adds ranks, batch_per_rank, \
            steps_per_s, allreduce_s_median and allreduce_bytes_per_step (what each rank contributes).
            """
    )

    @Option(help: "The configuration.")
    var config: GQNConfiguration.Preset = .tiny

    @OptionGroup var compute: ComputeOptions

    @Option(help: "Timed training steps; the median is reported.")
    var steps: Int = 10

    @Option(help: "Untimed warm-up steps first (they fill the buffer pool).")
    var warmup: Int = 2

    @Option(help: "Gate convolutions: precomputed (constant parts once) or naive (every step).")
    var gates: GateComputation = .precomputed

    @Option(help: "Seeds the parameters, the synthetic batch and the latent noise.")
    var seed: UInt64 = 1

    @Option(
        help: """
            Convolution kernels: onednn or im2col-openblas. Default: what the engine picks by \
            itself (oneDNN's JIT kernels where it compiles them).
            """)
    var convolutions: ConvolutionBackend?

    @Flag(help: "Print one JSON line per timed step as well.")
    var verbose = false

    @Flag(
        help: """
            Time every operation kind (forward and backward) over the timed steps and add the \
            per-step breakdown to the summary (field profile) and a table on stderr.
            """)
    var profile = false

    @Flag(help: "Time generation from the prior (query images per second) instead of training steps.")
    var inference = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, found \(steps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0, found \(warmup)") }
    }

    func run() throws {
        compute.apply()
        if let convolutions { ConvolutionBackend.preferred = convolutions }
        try LaunchedJob.run { world in
            let configuration = config.configuration
            guard configuration.batchSize % world.size == 0 else {
                throw DistributedError.invalidSetting(
                    name: "--config \(config.rawValue)", expected: "a batch that splits evenly across \(world.size) ranks",
                    found: "batch \(configuration.batchSize)")
            }
            var local = configuration
            local.batchSize = configuration.batchSize / world.size
            let model = try GQNModel(configuration: configuration, seed: seed)
            model.gateComputation = gates
            // Each rank its own synthetic share of the global batch.
            let batch = syntheticBatch(local, seed: seed &+ UInt64(world.rank) &* 1000)
            if inference {
                try runInference(model, batch, world)
            } else {
                try runTraining(model, batch, world)
            }
        }
    }

    /// Times `steps` training steps after `warmup` and prints the summary (rank 0).
    private func runTraining(_ model: GQNModel, _ batch: GQNTensorBatch, _ world: Communicator) throws {
        let configuration = model.configuration
        let trainer = GQNTrainer(model: model, seed: seed, communicator: world)
        var allreduce: [Double] = []
        var times: [Double] = []
        var forward: [Double] = []
        var backward: [Double] = []
        var update: [Double] = []
        var first: GQNStepResult?
        var last: GQNStepResult?
        for index in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try trainer.train(on: batch)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if first == nil { first = result }
            last = result
            if index + 1 == warmup && profile { OperationProfiler.start() }
            guard index >= warmup else {
                if profile && warmup == 0 { OperationProfiler.start() }
                continue
            }
            times.append(seconds)
            forward.append(trainer.lastStepSeconds.forward)
            backward.append(trainer.lastStepSeconds.backward)
            update.append(trainer.lastStepSeconds.update)
            allreduce.append(trainer.lastAllreduceSeconds)
            if verbose && world.isRoot {
                try printJSON(
                    StepRecord(
                        step: result.step, seconds: seconds, forwardS: trainer.lastStepSeconds.forward,
                        backwardS: trainer.lastStepSeconds.backward, updateS: trainer.lastStepSeconds.update,
                        loss: result.loss))
            }
        }
        let profileRows = profile ? OperationProfiler.stop().map { ProfileRow($0, steps: steps, stepSeconds: median(times)) } : nil
        if let profileRows, world.isRoot { printProfile(profileRows, updateSeconds: median(update), stepSeconds: median(times)) }
        let (b, k) = (configuration.batchSize, configuration.maxContextViews)
        let executed = 3 * model.forwardFlops(batchSize: b, contextViews: k, gates: gates) / 1e9
        let naive = 3 * model.forwardFlops(batchSize: b, contextViews: k, gates: .naive) / 1e9
        let stepMedian = median(times)
        try trainer.checkReplicasAgree()
        guard world.isRoot else { return }
        try printJSON(
            BenchSummary(
                summary: true, mode: "train", config: config.rawValue, gates: gates.rawValue, threads: compute.threads,
                blasThreads: ComputeThreads.blasThreads, ranks: world.size, batch: b, batchPerRank: batch.batchSize,
                contextViews: k, imageSize: configuration.imageSize,
                warmup: warmup, steps: steps, stepSMedian: stepMedian, stepSMin: times.min() ?? .nan,
                stepsPerS: 1 / stepMedian, allreduceSMedian: median(allreduce),
                allreduceBytesPerStep: world.size > 1 ? model.parameters.scalarCount * MemoryLayout<Float>.stride : 0,
                forwardSMedian: median(forward), backwardSMedian: median(backward), updateSMedian: median(update),
                gflopPerStep: executed, gflopPerStepNaive: naive, gflops: executed / stepMedian,
                gflopsNaiveEquivalent: naive / stepMedian, peakMb: peakResidentMegabytes(),
                parameters: model.parameterCount, lossFirst: first?.loss ?? .nan, lossLast: last?.loss ?? .nan,
                cpu: Machine.cpuModel, logicalCores: ProcessInfo.processInfo.activeProcessorCount,
                blas: ComputeThreads.blasConfiguration, convolutionBackend: ConvolutionBackend.preferred.rawValue,
                onednn: ConvolutionBackend.oneDNNDescription, convolutionKernels: ConvolutionBackend.compiledKernels,
                profile: profileRows))
    }
}

extension Bench {
    /// Times `steps` generations of the batch's query views from the prior after `warmup`
    /// and prints the summary; each generation draws fresh latent noise.
    private func runInference(_ model: GQNModel, _ batch: GQNTensorBatch, _ world: Communicator) throws {
        let configuration = model.configuration
        var times: [Double] = []
        for index in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let images = try model.generate(
                contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints,
                queryViewpoints: batch.queryViewpoints, noiseSeed: seed &+ UInt64(index))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            guard images.shape.first == batch.batchSize else {
                throw GQNError.shapeMismatch(
                    argument: "generated images", expected: [batch.batchSize, 3, configuration.imageSize, configuration.imageSize],
                    found: images.shape)
            }
            guard index >= warmup else { continue }
            times.append(seconds)
            if verbose && world.isRoot { try printJSON(InferenceRecord(index: index - warmup, seconds: seconds)) }
        }
        let generateMedian = median(times)
        guard world.isRoot else { return }
        try printJSON(
            InferenceSummary(
                summary: true, mode: "inference", config: config.rawValue, gates: gates.rawValue, threads: compute.threads,
                blasThreads: ComputeThreads.blasThreads, batch: batch.batchSize, contextViews: batch.contextViews,
                imageSize: configuration.imageSize, warmup: warmup, steps: steps, generateSMedian: generateMedian,
                generateSMin: times.min() ?? .nan, imagesPerSMedian: Double(batch.batchSize) / generateMedian,
                peakMb: peakResidentMegabytes(), parameters: model.parameterCount, cpu: Machine.cpuModel,
                logicalCores: ProcessInfo.processInfo.activeProcessorCount, blas: ComputeThreads.blasConfiguration))
    }
}

/// A batch of the configuration's full shape with uniform images and plausible viewpoints.
func syntheticBatch(_ configuration: GQNConfiguration, seed: UInt64) -> GQNTensorBatch {
    let (b, k, s) = (configuration.batchSize, configuration.maxContextViews, configuration.imageSize)
    func viewpoints(_ count: Int, seed: UInt64) -> Tensor {
        let raw = Tensor.randomUniform(shape: [count, 3], lower: -1, upper: 1, seed: seed).scalars
        var values: [Float] = []
        for i in 0..<count {
            let (yaw, pitch) = (raw[3 * i] * .pi, raw[3 * i + 1] * 0.5)
            values += [raw[3 * i] * 3, raw[3 * i + 1] * 3, 1 + raw[3 * i + 2] * 0.5, cos(yaw), sin(yaw), cos(pitch), sin(pitch)]
        }
        return (try? Tensor(shape: [count, 7], scalars: values)) ?? Tensor(shape: [count, 7])
    }
    return GQNTensorBatch(
        contextImages: Tensor.randomUniform(shape: [b, k, 3, s, s], lower: 0, upper: 1, seed: seed &+ 11),
        contextViewpoints: (try? viewpoints(b * k, seed: seed &+ 12).reshaped(to: [b, k, 7])) ?? Tensor(shape: [b, k, 7]),
        queryImages: Tensor.randomUniform(shape: [b, 3, s, s], lower: 0, upper: 1, seed: seed &+ 13),
        queryViewpoints: viewpoints(b, seed: seed &+ 14))
}

/// The process's peak resident set size so far, in megabytes (`getrusage`, `ru_maxrss` in KiB on Linux).
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
    return Double(usage.ru_maxrss) / 1024
}

/// One timed training step.
struct StepRecord: Encodable {
    let step: Int
    let seconds: Double
    let forwardS: Double
    let backwardS: Double
    let updateS: Double
    let loss: Float
}

/// The last line of `gqn-train bench`.
struct BenchSummary: Encodable {
    let summary: Bool
    /// `train`.
    let mode: String
    let config: String
    let gates: String
    let threads: Int
    let blasThreads: Int
    /// Processes training together (1 alone, else the MPI world's size).
    let ranks: Int
    /// The global batch.
    let batch: Int
    let batchPerRank: Int
    let contextViews: Int
    let imageSize: Int
    let warmup: Int
    let steps: Int
    let stepSMedian: Double
    let stepSMin: Double
    /// Global steps per second, `1 / stepSMedian`.
    let stepsPerS: Double
    /// Seconds of the gradient allreduce per step (0 alone).
    let allreduceSMedian: Double
    /// Bytes of gradients each rank puts into the allreduce per step (0 alone).
    let allreduceBytesPerStep: Int
    let forwardSMedian: Double
    let backwardSMedian: Double
    let updateSMedian: Double
    let gflopPerStep: Double
    let gflopPerStepNaive: Double
    let gflops: Double
    let gflopsNaiveEquivalent: Double
    let peakMb: Double
    let parameters: Int
    let lossFirst: Float
    let lossLast: Float
    let cpu: String
    let logicalCores: Int
    let blas: String
    /// The backend convolutions prefer (shapes oneDNN declines run on im2col + OpenBLAS).
    let convolutionBackend: String
    /// oneDNN's version and the instruction set of its kernels here.
    let onednn: String
    /// Every convolution shape of the step and the kernel that ran it.
    let convolutionKernels: [String: String]
    /// With `--profile`: milliseconds per step by operation kind, slowest first.
    let profile: [ProfileRow]?
}

/// One operation kind's share of a training step (`gqn-train bench --profile`).
struct ProfileRow: Encodable {
    let operation: String
    let callsPerStep: Double
    let forwardMsPerStep: Double
    let backwardMsPerStep: Double
    /// Forward plus backward, as a fraction of the median step.
    let shareOfStep: Double

    init(_ entry: OperationProfiler.Entry, steps: Int, stepSeconds: Double) {
        let n = Double(max(1, steps))
        operation = entry.operation
        callsPerStep = Double(entry.calls) / n
        forwardMsPerStep = entry.forwardSeconds / n * 1e3
        backwardMsPerStep = entry.backwardSeconds / n * 1e3
        shareOfStep = (entry.forwardSeconds + entry.backwardSeconds) / n / stepSeconds
    }
}

/// Prints the profile as a table on standard error (standard output carries the JSON).
func printProfile(_ rows: [ProfileRow], updateSeconds: Double, stepSeconds: Double) {
    var lines = ["operation                   calls  forward ms  backward ms  share"]
    for row in rows {
        lines.append(
            row.operation.padding(toLength: 26, withPad: " ", startingAt: 0)
                + String(format: " %6.1f %11.2f %12.2f %6.1f%%", row.callsPerStep, row.forwardMsPerStep, row.backwardMsPerStep, 100 * row.shareOfStep))
    }
    lines.append(
        "adam update".padding(toLength: 26, withPad: " ", startingAt: 0)
            + String(format: " %6d %11.2f", 1, updateSeconds * 1e3) + "            -"
            + String(format: " %6.1f%%", 100 * updateSeconds / stepSeconds))
    FileHandle.standardError.write((lines.joined(separator: "\n") + "\n").data(using: .utf8) ?? Data())
}

/// One timed generation of `gqn-train bench --inference`.
struct InferenceRecord: Encodable {
    let index: Int
    let seconds: Double
}

/// The last line of `gqn-train bench --inference`.
struct InferenceSummary: Encodable {
    let summary: Bool
    /// `inference`.
    let mode: String
    let config: String
    let gates: String
    let threads: Int
    let blasThreads: Int
    let batch: Int
    let contextViews: Int
    let imageSize: Int
    let warmup: Int
    let steps: Int
    /// Seconds to generate one batch of query images.
    let generateSMedian: Double
    let generateSMin: Double
    /// Query images generated per second: `batch / generateSMedian`.
    let imagesPerSMedian: Double
    let peakMb: Double
    let parameters: Int
    let cpu: String
    let logicalCores: Int
    let blas: String
}
