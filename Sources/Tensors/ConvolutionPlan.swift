import CDNNL
import Foundation

/// Everything that identifies one convolution call to oneDNN: a plan is made once per
/// distinct shape (and thread count) and reused by every later call.
struct ConvolutionShape: Hashable, Sendable {
    /// Whether this is a transposed convolution (oneDNN's deconvolution).
    var transposed: Bool
    var batch: Int
    var inputChannels: Int
    var inputHeight: Int
    var inputWidth: Int
    var outputChannels: Int
    var outputHeight: Int
    var outputWidth: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var stride: Int
    var padding: Int
    var hasBias: Bool
    /// oneDNN partitions work for the thread count at creation, so it is part of the key.
    var threads: Int

    var inputDims: [Int] { [batch, inputChannels, inputHeight, inputWidth] }
    var outputDims: [Int] { [batch, outputChannels, outputHeight, outputWidth] }
    /// oneDNN orders weight dimensions (output channels, input channels, kh, kw) for both kinds.
    var weightDims: [Int] { [outputChannels, inputChannels, kernelHeight, kernelWidth] }
    /// The engine's weight layout: PyTorch's `[Cout, Cin, kh, kw]` (`oihw`) for a convolution,
    /// `[Cin, Cout, kh, kw]` (`iohw`) for a transposed one.
    var plainWeightTag: dnnl_format_tag_t { transposed ? dnnl_iohw : dnnl_oihw }
}

/// One convolution shape compiled by oneDNN: forward, backward-data and backward-weights
/// primitives, each with the blocked layouts it prefers (`format_tag_any`), and the
/// reorders between those layouts and the engine's plain NCHW tensors.
///
/// Activations are reordered at the edges of every call; that costs a few percent of the
/// convolution and buys oneDNN's direct JIT kernels, about twice the FLOP rate of
/// im2col + GEMM on the shapes of the GQN (see the Tensors DocC article).
final class ConvolutionPlan: @unchecked Sendable {
    let shape: ConvolutionShape
    private let runtime: DNNLRuntime
    private let forward: DNNLPrimitive
    private let backwardDataPrimitive: DNNLPrimitive
    private let backwardWeightsPrimitive: DNNLPrimitive
    /// Whether backward-data and backward-weights read the output gradient in one layout.
    private let sharesOutputGradientLayout: Bool
    private let biasLayout: dnnl_memory_desc_t
    private let forwardSource, forwardWeights, forwardDestination: LayoutBridge
    private let dataOutputGradient, dataWeights, dataInputGradient: LayoutBridge
    private let weightsSource, weightsOutputGradient, weightsGradient: LayoutBridge
    /// oneDNN work from two threads at once would run two OpenMP teams on the same cores
    /// and share scratch memory: every plan's calls are serialised on one lock.
    private static let lock = NSLock()
    private var lock: NSLock { ConvolutionPlan.lock }

    /// The implementation oneDNN chose for the forward pass, e.g. `jit:avx512_core`.
    var implementation: String { forward.implementation }
    /// The implementations of the forward, backward-data and backward-weights passes.
    var implementations: [String] { [forward, backwardDataPrimitive, backwardWeightsPrimitive].map(\.implementation) }

    init(_ shape: ConvolutionShape) throws {
        guard let runtime = DNNLRuntime.shared else {
            throw TensorError.invalidArgument(operation: "convolution", expected: "a oneDNN CPU engine", found: "none")
        }
        self.shape = shape
        self.runtime = runtime
        let plainSource = try DNNLRuntime.descriptor(shape.inputDims, dnnl_nchw)
        let plainDestination = try DNNLRuntime.descriptor(shape.outputDims, dnnl_nchw)
        let plainWeights = try DNNLRuntime.descriptor(shape.weightDims, shape.plainWeightTag)
        biasLayout = try DNNLRuntime.descriptor([shape.outputChannels], dnnl_x)
        var anySource = try DNNLRuntime.descriptor(shape.inputDims, dnnl_format_tag_any)
        var anyDestination = try DNNLRuntime.descriptor(shape.outputDims, dnnl_format_tag_any)
        var anyWeights = try DNNLRuntime.descriptor(shape.weightDims, dnnl_format_tag_any)
        var bias = biasLayout
        let strides: [Int64] = [Int64(shape.stride), Int64(shape.stride)]
        let padding: [Int64] = [Int64(shape.padding), Int64(shape.padding)]

        var forwardDescription = dnnl_convolution_desc_t()
        var dataDescription = dnnl_convolution_desc_t()
        var weightsDescription = dnnl_convolution_desc_t()
        // A transposed convolution is oneDNN's deconvolution: the same three descriptor
        // initialisers with the same signatures, under other names.
        let kind = shape.transposed ? "deconvolution" : "convolution"
        let algorithm = shape.transposed ? dnnl_deconvolution_direct : dnnl_convolution_direct
        let (forwardInit, dataInit, weightsInit) =
            shape.transposed
            ? (dnnl_deconvolution_forward_desc_init, dnnl_deconvolution_backward_data_desc_init,
                dnnl_deconvolution_backward_weights_desc_init)
            : (dnnl_convolution_forward_desc_init, dnnl_convolution_backward_data_desc_init,
                dnnl_convolution_backward_weights_desc_init)
        try withUnsafePointer(to: &bias) { biasPointer in
            let biasArgument = shape.hasBias ? biasPointer : nil
            try DNNLRuntime.check(
                forwardInit(
                    &forwardDescription, dnnl_forward_training, algorithm, &anySource, &anyWeights, biasArgument,
                    &anyDestination, strides, padding, padding),
                "\(kind)_forward_desc_init")
            try DNNLRuntime.check(
                dataInit(&dataDescription, algorithm, &anySource, &anyWeights, &anyDestination, strides, padding, padding),
                "\(kind)_backward_data_desc_init")
            try DNNLRuntime.check(
                weightsInit(
                    &weightsDescription, algorithm, &anySource, &anyWeights, biasArgument, &anyDestination, strides,
                    padding, padding),
                "\(kind)_backward_weights_desc_init")
        }
        forward = try DNNLPrimitive(operation: &forwardDescription, "convolution forward")
        let backwardData = try DNNLPrimitive(operation: &dataDescription, hint: forward.descriptor, "convolution backward data")
        let backwardWeights = try DNNLPrimitive(
            operation: &weightsDescription, hint: forward.descriptor, "convolution backward weights")
        backwardDataPrimitive = backwardData
        backwardWeightsPrimitive = backwardWeights

        func bridge(
            _ primitive: DNNLPrimitive, _ query: dnnl_query_t, _ plain: dnnl_memory_desc_t, output: Bool, _ role: StaticString
        ) throws -> LayoutBridge {
            guard let chosen = primitive.layout(query) else {
                throw TensorError.invalidArgument(operation: "convolution", expected: "a layout from oneDNN", found: "none")
            }
            return try LayoutBridge(plain: plain, chosen: chosen, isOutput: output, role: role)
        }
        forwardSource = try bridge(forward, dnnl_query_src_md, plainSource, output: false, "reorder: forward input")
        forwardWeights = try bridge(forward, dnnl_query_weights_md, plainWeights, output: false, "reorder: forward weights")
        forwardDestination = try bridge(forward, dnnl_query_dst_md, plainDestination, output: true, "reorder: forward output")
        dataOutputGradient = try bridge(backwardData, dnnl_query_diff_dst_md, plainDestination, output: false, "reorder: backward-data output gradient")
        dataWeights = try bridge(backwardData, dnnl_query_weights_md, plainWeights, output: false, "reorder: backward-data weights")
        dataInputGradient = try bridge(backwardData, dnnl_query_diff_src_md, plainSource, output: true, "reorder: backward-data input gradient")
        weightsSource = try bridge(backwardWeights, dnnl_query_src_md, plainSource, output: false, "reorder: backward-weights input")
        weightsOutputGradient = try bridge(backwardWeights, dnnl_query_diff_dst_md, plainDestination, output: false, "reorder: backward-weights output gradient")
        weightsGradient = try bridge(backwardWeights, dnnl_query_diff_weights_md, plainWeights, output: true, "reorder: backward-weights weight gradient")
        var (dataLayout, weightsLayout) = (dataOutputGradient.chosen, weightsOutputGradient.chosen)
        sharesOutputGradientLayout = dnnl_memory_desc_equal(&dataLayout, &weightsLayout) != 0
    }

    /// `y = conv(x, w) + b`, all in the engine's plain layouts; `y` is overwritten.
    func forward(
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
        output y: UnsafeMutablePointer<Float>
    ) {
        lock.lock()
        defer { lock.unlock() }
        ComputeThreads.prepareCurrentThread()
        forwardSource.withInput(runtime, x) { source in
            forwardWeights.withInput(runtime, w) { weights in
                forwardDestination.withOutput(runtime, into: y, accumulate: false) { destination in
                    var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                        (cdnnl_arg_src, forwardSource.chosen, UnsafeMutableRawPointer(source)),
                        (cdnnl_arg_weights, forwardWeights.chosen, UnsafeMutableRawPointer(weights)),
                        (cdnnl_arg_dst, forwardDestination.chosen, UnsafeMutableRawPointer(destination)),
                    ]
                    if let b { arguments.append((cdnnl_arg_bias, biasLayout, UnsafeMutableRawPointer(mutating: b))) }
                    runtime.execute(forward.primitive, arguments)
                }
            }
        }
    }

    /// The backward pass: the weight gradient `gw (+)= conv_backward_weights(x, gy)` (and,
    /// for a plan with a bias, `gb += sum of gy` over images and pixels) when `weightGradient`
    /// is given, and the input gradient `gx (+)= conv_backward_data(gy, w)` when
    /// `inputGradient` is. The output gradient is reordered once when both passes want the
    /// same layout (they usually do).
    func backward(
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, outputGradient gy: UnsafePointer<Float>,
        inputGradient: (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)?,
        weightGradient: (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)?, biasGradient gb: UnsafeMutablePointer<Float>?
    ) {
        lock.lock()
        defer { lock.unlock() }
        ComputeThreads.prepareCurrentThread()
        guard let weightGradient else {
            if let inputGradient {
                dataOutputGradient.withInput(runtime, gy) { backwardData(w, $0, inputGradient.pointer, inputGradient.accumulate) }
            }
            return
        }
        weightsOutputGradient.withInput(runtime, gy) { outputGradient in
            backwardWeights(x, outputGradient, weightGradient.pointer, weightGradient.accumulate, gb)
            guard let inputGradient else { return }
            if sharesOutputGradientLayout {
                backwardData(w, outputGradient, inputGradient.pointer, inputGradient.accumulate)
            } else {
                dataOutputGradient.withInput(runtime, gy) { backwardData(w, $0, inputGradient.pointer, inputGradient.accumulate) }
            }
        }
    }

    /// Backward-data with the output gradient already in the primitive's layout.
    private func backwardData(
        _ w: UnsafePointer<Float>, _ outputGradient: UnsafeMutablePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
        _ accumulate: Bool
    ) {
        dataWeights.withInput(runtime, w) { weights in
            dataInputGradient.withOutput(runtime, into: gx, accumulate: accumulate) { inputGradient in
                runtime.execute(
                    backwardDataPrimitive.primitive,
                    [
                        (cdnnl_arg_diff_dst, dataOutputGradient.chosen, UnsafeMutableRawPointer(outputGradient)),
                        (cdnnl_arg_weights, dataWeights.chosen, UnsafeMutableRawPointer(weights)),
                        (cdnnl_arg_diff_src, dataInputGradient.chosen, UnsafeMutableRawPointer(inputGradient)),
                    ])
            }
        }
    }

    /// Backward-weights with the output gradient already in the primitive's layout.
    private func backwardWeights(
        _ x: UnsafePointer<Float>, _ outputGradient: UnsafeMutablePointer<Float>, _ gw: UnsafeMutablePointer<Float>,
        _ accumulate: Bool, _ gb: UnsafeMutablePointer<Float>?
    ) {
        let biasGradient = shape.hasBias ? TensorStorage(uninitializedCount: shape.outputChannels) : nil
        weightsSource.withInput(runtime, x) { source in
            weightsGradient.withOutput(runtime, into: gw, accumulate: accumulate) { weightGradient in
                var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = [
                    (cdnnl_arg_src, weightsSource.chosen, UnsafeMutableRawPointer(source)),
                    (cdnnl_arg_diff_dst, weightsOutputGradient.chosen, UnsafeMutableRawPointer(outputGradient)),
                    (cdnnl_arg_diff_weights, weightsGradient.chosen, UnsafeMutableRawPointer(weightGradient)),
                ]
                if let biasGradient {
                    arguments.append((cdnnl_arg_diff_bias, biasLayout, UnsafeMutableRawPointer(biasGradient.pointer)))
                }
                runtime.execute(backwardWeightsPrimitive.primitive, arguments)
            }
        }
        if let biasGradient, let gb {
            for c in 0..<shape.outputChannels { gb[c] += biasGradient.pointer[c] }
        }
    }
}
