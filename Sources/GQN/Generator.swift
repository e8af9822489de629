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
    func rollout(
        representation: Tensor, viewpoint: Tensor, image: Tensor?, mode: RolloutMode, noiseSeed: UInt64,
        gates: GateComputation, _ p: ParameterSource
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

        // Precomputed constant gate contributions (bias included) and the step-varying weights.
        struct SplitCore {
            let constant: Tensor
            let varyingWeight: Tensor
            let firstWeight: Tensor  // the weight of the core's first input only (step 1: every h is zero)
        }
        func split(_ core: Core, constantInput: Tensor) throws -> SplitCore {
            let w = p[core.gates.weight]
            let first = core.inputSizes[0]
            let constantChannels = core.inputSizes.dropFirst().reduce(0, +)
            let parts = try w.split(sizes: [first, constantChannels, h], alongAxis: 1)
            let constant = try constantInput.conv2d(parts[1], bias: core.gates.bias.map { p[$0] }, padding: core.gates.padding)
            return SplitCore(
                constant: constant, varyingWeight: try Tensor.concatenate([parts[0], parts[2]], alongAxis: 1),
                firstWeight: parts[0])
        }
        var inferenceSplit: [SplitCore] = []
        var generatorSplit: [SplitCore] = []
        if gates == .precomputed {
            if let inferenceConstant {
                inferenceSplit = try inferenceCores.map { try split($0, constantInput: inferenceConstant) }
            }
            generatorSplit = try generatorCores.map { try split($0, constantInput: generatorConstant) }
        }

        var hGenerator = zeros, cGenerator = zeros, hInference = zeros, cInference = zeros
        var canvas: Tensor?
        var kl: Tensor?
        for step in 0..<c.steps {
            let core = c.sharedCores ? 0 : step
            let isFirst = step == 0
            let (priorMean, priorDeviation) = try gaussian(try prior(hGenerator, p), z)
            let noise = Tensor.randomNormal(shape: grid(z), seed: mix(noiseSeed, UInt64(step)))
            let latent: Tensor
            switch mode {
            case .posterior:
                guard let inferenceConstant else {
                    throw GQNError.shapeMismatch(argument: "queryImages", expected: [batch, 3, c.imageSize, c.imageSize], found: [])
                }
                let gatesInference: Tensor
                switch gates {
                case .precomputed:
                    let split = inferenceSplit[core]
                    gatesInference =
                        isFirst
                        ? split.constant
                        : try Tensor.concatenate([hGenerator, hInference]).conv2d(
                            split.varyingWeight, padding: c.lstmKernel / 2) + split.constant
                case .naive:
                    gatesInference = try inferenceCores[core].gates(
                        try Tensor.concatenate([hGenerator, inferenceConstant, hInference]), p)
                }
                (hInference, cInference) = try Tensor.lstmCell(gates: gatesInference, cell: cInference)
                let (posteriorMean, posteriorDeviation) = try gaussian(try posterior(hInference, p), z)
                latent = try posteriorMean + posteriorDeviation * noise
                let stepKL = try Tensor.gaussianKLDivergence(
                    meanQ: posteriorMean, standardDeviationQ: posteriorDeviation, meanP: priorMean,
                    standardDeviationP: priorDeviation)
                kl = try kl.map { try $0 + stepKL } ?? stepKL
            case let .prior(useMean):
                latent = useMean ? priorMean : try priorMean + priorDeviation * noise
            }
            let gatesGenerator: Tensor
            switch gates {
            case .precomputed:
                let split = generatorSplit[core]
                gatesGenerator =
                    isFirst
                    ? try latent.conv2d(split.firstWeight, padding: c.lstmKernel / 2) + split.constant
                    : try Tensor.concatenate([latent, hGenerator]).conv2d(split.varyingWeight, padding: c.lstmKernel / 2)
                        + split.constant
            case .naive:
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

/// SplitMix64's finaliser applied to a pair: distinct (seed, index) pairs give unrelated seeds.
func mix(_ seed: UInt64, _ index: UInt64) -> UInt64 {
    func finalise(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
    return finalise(seed ^ finalise(index &+ 0x5851_F42D_4C95_7F2D))
}
