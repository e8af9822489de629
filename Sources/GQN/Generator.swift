import Tensors

/// How the ConvLSTM gate convolutions are evaluated.
public enum GateComputation: String, Sendable, Hashable, Codable, CaseIterable {
    /// The parts of each core's gate convolution that come from inputs constant over the
    /// L steps (query viewpoint, representation, downsampled query image, and the bias)
    /// are computed once per forward pass; each step convolves only the step-varying
    /// inputs (`h_gen`, `h_inf`, `z`). Exact by linearity of convolution.
    case precomputed
    /// Every step convolves the full concatenated input, as every published GQN does.
    case naive
}

/// What a rollout of the generator does with the latents.
enum RolloutMode {
    /// Latents from the posterior (inference core sees the query image); KL accumulated.
    case posterior
    /// Latents from the prior: sampled, or the prior mean.
    case prior(useMean: Bool)
}

/// The ConvDRAW generator: an inference and a generator ConvLSTM core run for L steps,
/// writing into a canvas that is decoded into the image mean.
struct Generator {
    /// One ConvLSTM core: one convolution over `concat(input, h)` giving 4h gate channels
    /// (forget, input, output, candidate).
    struct Core {
        let gates: Convolution
        /// The input channels in concatenation order, before `h`.
        let inputSizes: [Int]
    }

    let configuration: GQNConfiguration
    let downsample: Convolution
    let inferenceCores: [Core]
    let generatorCores: [Core]
    let upsamplers: [Convolution]
    let prior: Convolution
    let posterior: Convolution
    let output: Convolution

    init(_ configuration: GQNConfiguration, in set: ParameterSet) throws {
        self.configuration = configuration
        let (r, h, z, k, s) = (
            configuration.representationChannels, configuration.hiddenChannels, configuration.latentChannels,
            configuration.lstmKernel, configuration.scale
        )
        let v = GQNConfiguration.viewpointSize
        let pad = k / 2
        downsample = try Convolution("generator.downsample", in: set, 3, 3, kernel: s, stride: s, bias: false)
        let coreCount = configuration.sharedCores ? 1 : configuration.steps
        var inference: [Core] = []
        var generator: [Core] = []
        var upsamplers: [Convolution] = []
        for index in 0..<coreCount {
            let suffix = configuration.sharedCores ? "" : ".\(index)"
            // Inference input: concat(h_gen, x_down, v, r), then h_inf.
            let inferenceInputs = [h, 3, v, r]
            inference.append(
                Core(
                    gates: try Convolution(
                        "inference_core\(suffix).gates", in: set, inferenceInputs.reduce(0, +) + h, 4 * h, kernel: k,
                        padding: pad),
                    inputSizes: inferenceInputs))
            // Generator input: concat(z, v, r), then h_gen.
            let generatorInputs = [z, v, r]
            generator.append(
                Core(
                    gates: try Convolution(
                        "generator_core\(suffix).gates", in: set, generatorInputs.reduce(0, +) + h, 4 * h, kernel: k,
                        padding: pad),
                    inputSizes: generatorInputs))
            upsamplers.append(
                try Convolution(
                    "generator_core\(suffix).upsample", in: set, h, h, kernel: s, stride: s, bias: false, transposed: true))
        }
        inferenceCores = inference
        generatorCores = generator
        self.upsamplers = upsamplers
        prior = try Convolution("prior", in: set, h, 2 * z, kernel: k, padding: pad)
        posterior = try Convolution("posterior", in: set, h, 2 * z, kernel: k, padding: pad)
        output = try Convolution("output", in: set, h, 3, kernel: 1)
    }

    /// What a rollout returns.
    struct Rollout {
        /// `[B, 3, H, W]`, the image mean in [0, 1].
        let mean: Tensor
        /// `[B]`, KL(posterior || prior) summed over steps and latents (posterior mode only).
        let kl: Tensor?
    }

    /// Runs the L steps.
    /// - Parameters:
    ///   - representation: `[B, r, g, g]` or `[B, r, 1, 1]`.
    ///   - viewpoint: `[B, 7]`, the query viewpoint.
    ///   - image: `[B, 3, H, W]`, the query image (posterior mode).
    ///   - noiseSeed: Keys the latent noise of every step.
    ///   - share: The global rows the batch holds (nil: the batch is the whole of its own).
    func rollout(
        representation: Tensor, viewpoint: Tensor, image: Tensor?, mode: RolloutMode, noiseSeed: UInt64,
        share: BatchShare? = nil, gates: GateComputation, _ p: ParameterSource
    ) throws -> Rollout {
        let c = configuration
        let (batch, g, h, z) = (viewpoint.shape[0], c.gridSize, c.hiddenChannels, c.latentChannels)
        let grid = { (channels: Int) in [batch, channels, g, g] }
        let vGrid = try viewpoint.expanded(to: grid(viewpoint.shape[1]))
        let rGrid =
            representation.shape[2] == g ? representation : try representation.expanded(to: grid(representation.shape[1]))
        // The constant inputs, in the order they appear in the core inputs.
        let generatorConstant = try Tensor.concatenate([vGrid, rGrid])
        var inferenceConstant: Tensor?
        if case .posterior = mode, let image {
            inferenceConstant = try Tensor.concatenate([try downsample(image, p), generatorConstant])
        }
        let zeros = Tensor(shape: grid(h))

        let pad = c.lstmKernel / 2
        let isPosterior = inferenceConstant != nil
        let precomputed =
            gates == .precomputed
            ? try PrecomputedGates(self, generatorConstant: generatorConstant, inferenceConstant: inferenceConstant, p)
            : nil

        var hGenerator = zeros, cGenerator = zeros, hInference = zeros, cInference = zeros
        var canvas: Tensor?
        var kl: Tensor?
        // Precomputed mode: the next step's inference gates from h_inf, carried over from
        // this step's fused posterior convolution.
        var carriedInferenceGates: Tensor?
        for step in 0..<c.steps {
            let core = c.sharedCores ? 0 : step
            let isFirst = step == 0
            let priorParameters: Tensor
            var inferenceFromGenerator: Tensor?
            var generatorFromGenerator: Tensor?
            if let precomputed, !isFirst {
                let fused = precomputed.generatorState[core]
                let parts = try hGenerator.conv2d(fused.weight, bias: fused.bias, padding: pad).split(sizes: fused.sizes)
                priorParameters = parts[0]
                inferenceFromGenerator = isPosterior ? parts[1] : nil
                generatorFromGenerator = parts[parts.count - 1]
            } else {
                priorParameters = try prior(hGenerator, p)
            }
            let (priorMean, priorDeviation) = try gaussian(priorParameters, z)
            let noise = try latentNoise(step: step, batch: batch, noiseSeed: noiseSeed, share: share)
            let latent: Tensor
            switch mode {
            case .posterior:
                guard let inferenceConstant else {
                    throw GQNError.shapeMismatch(argument: "queryImages", expected: [batch, 3, c.imageSize, c.imageSize], found: [])
                }
                let gatesInference: Tensor
                if let precomputed {
                    if let inferenceFromGenerator, let carriedInferenceGates {
                        gatesInference = try inferenceFromGenerator + carriedInferenceGates + precomputed.inferenceConstant[core]
                    } else {
                        gatesInference = precomputed.inferenceConstant[core]  // step 1: both states are zero
                    }
                } else {
                    gatesInference = try inferenceCores[core].gates(
                        try Tensor.concatenate([hGenerator, inferenceConstant, hInference]), p)
                }
                (hInference, cInference) = try Tensor.lstmCell(gates: gatesInference, cell: cInference)
                let posteriorParameters: Tensor
                if let precomputed, step + 1 < c.steps {
                    let fused = precomputed.inferenceState[c.sharedCores ? 0 : step + 1]
                    let parts = try hInference.conv2d(fused.weight, bias: fused.bias, padding: pad).split(sizes: fused.sizes)
                    posteriorParameters = parts[0]
                    carriedInferenceGates = parts[1]
                } else {
                    posteriorParameters = try posterior(hInference, p)
                }
                let (posteriorMean, posteriorDeviation) = try gaussian(posteriorParameters, z)
                latent = try posteriorMean + posteriorDeviation * noise
                let stepKL = try Tensor.gaussianKLDivergence(
                    meanQ: posteriorMean, standardDeviationQ: posteriorDeviation, meanP: priorMean,
                    standardDeviationP: priorDeviation)
                kl = try kl.map { try $0 + stepKL } ?? stepKL
            case let .prior(useMean):
                latent = useMean ? priorMean : try priorMean + priorDeviation * noise
            }
            let gatesGenerator: Tensor
            if let precomputed {
                let fromLatent =
                    try latent.conv2d(precomputed.latentWeight[core], padding: pad) + precomputed.generatorConstant[core]
                gatesGenerator = try generatorFromGenerator.map { try fromLatent + $0 } ?? fromLatent
            } else {
                gatesGenerator = try generatorCores[core].gates(
                    try Tensor.concatenate([latent, generatorConstant, hGenerator]), p)
            }
            (hGenerator, cGenerator) = try Tensor.lstmCell(gates: gatesGenerator, cell: cGenerator)
            let update = try upsamplers[core](hGenerator, p)
            canvas = try canvas.map { try $0 + update } ?? update
        }
        guard let canvas else { throw GQNError.invalidConfiguration("expected at least one generation step") }
        return Rollout(mean: try output(canvas, p).sigmoid(), kl: kl)
    }

    /// The standard normal noise `eps` of step `step` (`z = mean + std * eps`): `[B, z, g, g]`,
    /// keyed by `(noiseSeed, step)`. The one place a rollout's noise is drawn.
    ///
    /// With a `share`, the noise is drawn for the global batch and the share's rows are kept,
    /// so a rank's rows get the noise they get in one process.
    func latentNoise(step: Int, batch: Int, noiseSeed: UInt64, share: BatchShare? = nil) throws -> Tensor {
        let c = configuration
        let seed = SeedMixer.mix(noiseSeed, UInt64(truncatingIfNeeded: step))
        let perRow = c.latentChannels * c.gridSize * c.gridSize
        guard let share, !share.isWhole(count: batch) else {
            return Tensor.randomNormal(shape: [batch, c.latentChannels, c.gridSize, c.gridSize], seed: seed)
        }
        let rows = share.rows(count: batch)
        guard let last = rows.last, last < share.globalSize else {
            throw GQNError.shapeMismatch(
                argument: "batch share", expected: [share.globalSize], found: [share.rank + share.ranks * batch])
        }
        let global = Tensor.randomNormal(shape: [share.globalSize, c.latentChannels, c.gridSize, c.gridSize], seed: seed)
        var scalars = [Float](repeating: 0, count: batch * perRow)
        global.withUnsafeBufferPointer { source in
            for (local, row) in rows.enumerated() {
                for index in 0..<perRow { scalars[local * perRow + index] = source[row * perRow + index] }
            }
        }
        return try Tensor(shape: [batch, c.latentChannels, c.gridSize, c.gridSize], scalars: scalars)
    }

    /// Splits `[B, 2z, g, g]` into a mean and a standard deviation `softplus(.) + 1e-4`.
    private func gaussian(_ parameters: Tensor, _ z: Int) throws -> (mean: Tensor, deviation: Tensor) {
        let parts = try parameters.split(sizes: [z, z])
        return (parts[0], parts[1].softplus() + 1e-4)
    }

    /// Forward flops of one rollout's convolutions.
    /// - Parameters:
    ///   - batch: The batch size.
    ///   - gates: Which gate evaluation to count.
    func forwardFlops(batch: Int, gates: GateComputation) -> Double {
        let c = configuration
        let (g, h, k, steps) = (c.gridSize, c.hiddenChannels, c.lstmKernel, Double(c.steps))
        let coreCount = Double(inferenceCores.count)
        /// A k x k "same" convolution on the grid.
        func gridConv(_ cin: Int, _ cout: Int) -> Double { 2 * Double(batch * cin * cout * k * k * g * g) }
        var total = downsample.forwardFlops(images: batch, inputSize: c.imageSize)
        total += steps * (prior.forwardFlops(images: batch, inputSize: g) + posterior.forwardFlops(images: batch, inputSize: g))
        total += steps * upsamplers[0].forwardFlops(images: batch, inputSize: g)
        total += output.forwardFlops(images: batch, inputSize: c.imageSize)
        let inference = inferenceCores[0].inputSizes
        let generator = generatorCores[0].inputSizes
        switch gates {
        case .naive:
            total += steps * gridConv(inference.reduce(0, +) + h, 4 * h)
            total += steps * gridConv(generator.reduce(0, +) + h, 4 * h)
        case .precomputed:
            total += coreCount * gridConv(inference.dropFirst().reduce(0, +), 4 * h)
            total += coreCount * gridConv(generator.dropFirst().reduce(0, +), 4 * h)
            total += (steps - 1) * gridConv(inference[0] + h, 4 * h)  // step 1: both states are zero
            total += (steps - 1) * gridConv(generator[0] + h, 4 * h) + gridConv(generator[0], 4 * h)
        }
        return total
    }
}

/// The per-forward-pass state of ``GateComputation/precomputed``: per core, the constant
/// part of each gate convolution (bias included), and the weight slices of the
/// step-varying inputs.
///
/// Convolutions that read the same state are fused into one (a taller weight, one
/// im2col): `h_gen(l-1)` feeds the prior, the inference core's `h_gen` slice and the
/// generator core's `h_gen` slice; `h_inf(l)` feeds the posterior and the next step's
/// inference core's `h_inf` slice. Every tensor here is derived on the step's tape, so
/// gradients flow back into the unsplit parameters.
struct PrecomputedGates {
    /// One fused convolution: weights stacked along the output channels, split after.
    struct FusedConvolution {
        let weight: Tensor
        let bias: Tensor
        let sizes: [Int]
    }

    /// Per inference core: `W_const * concat(x_down, v, r) + bias` (posterior mode only).
    let inferenceConstant: [Tensor]
    /// Per generator core: `W_const * concat(v, r) + bias`.
    let generatorConstant: [Tensor]
    /// Per generator core: the slice of its weight that reads `z`.
    let latentWeight: [Tensor]
    /// Per core: prior, (inference `h_gen` slice,) generator `h_gen` slice, applied to `h_gen(l-1)`.
    let generatorState: [FusedConvolution]
    /// Per inference core: posterior and that core's `h_inf` slice, applied to the previous step's `h_inf`.
    let inferenceState: [FusedConvolution]

    init(_ generator: Generator, generatorConstant constantG: Tensor, inferenceConstant constantI: Tensor?, _ p: ParameterSource) throws {
        let c = generator.configuration
        let (h, z, pad) = (c.hiddenChannels, c.latentChannels, c.lstmKernel / 2)
        let isPosterior = constantI != nil
        guard let priorBias = generator.prior.bias, let posteriorBias = generator.posterior.bias else {
            throw GQNError.invalidConfiguration("expected prior and posterior biases")
        }
        var inferenceConstants: [Tensor] = []
        var generatorConstants: [Tensor] = []
        var latentWeights: [Tensor] = []
        var inferenceFromGenerator: [Tensor] = []
        var inferenceFromInference: [Tensor] = []
        var generatorFromGenerator: [Tensor] = []
        for core in generator.generatorCores {
            let parts = try p[core.gates.weight].split(sizes: [z, core.inputSizes.dropFirst().reduce(0, +), h], alongAxis: 1)
            generatorConstants.append(try constantG.conv2d(parts[1], bias: core.gates.bias.map { p[$0] }, padding: pad))
            latentWeights.append(parts[0])
            generatorFromGenerator.append(parts[2])
        }
        if let constantI {
            for core in generator.inferenceCores {
                let parts = try p[core.gates.weight].split(sizes: [h, core.inputSizes.dropFirst().reduce(0, +), h], alongAxis: 1)
                inferenceConstants.append(try constantI.conv2d(parts[1], bias: core.gates.bias.map { p[$0] }, padding: pad))
                inferenceFromGenerator.append(parts[0])
                inferenceFromInference.append(parts[2])
            }
        }
        let zeroBias = Tensor(shape: [(isPosterior ? 8 : 4) * h])
        var generatorState: [FusedConvolution] = []
        for index in generator.generatorCores.indices {
            let weights =
                [p[generator.prior.weight]] + (isPosterior ? [inferenceFromGenerator[index]] : [])
                + [generatorFromGenerator[index]]
            generatorState.append(
                FusedConvolution(
                    weight: try Tensor.concatenate(weights, alongAxis: 0),
                    bias: try Tensor.concatenate([p[priorBias], zeroBias], alongAxis: 0),
                    sizes: [2 * z] + (isPosterior ? [4 * h, 4 * h] : [4 * h])))
        }
        let zeroInferenceBias = Tensor(shape: [4 * h])
        inferenceState = try inferenceFromInference.map { weight in
            FusedConvolution(
                weight: try Tensor.concatenate([p[generator.posterior.weight], weight], alongAxis: 0),
                bias: try Tensor.concatenate([p[posteriorBias], zeroInferenceBias], alongAxis: 0),
                sizes: [2 * z, 4 * h])
        }
        self.inferenceConstant = inferenceConstants
        self.generatorConstant = generatorConstants
        self.latentWeight = latentWeights
        self.generatorState = generatorState
    }
}
