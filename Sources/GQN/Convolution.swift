import Tensors

/// The tensors a forward pass reads its parameters from: tracked on a tape for training,
/// or the set's plain values for inference.
struct ParameterSource {
    let set: ParameterSet
    let tracked: TrackedParameters?

    subscript(parameter: ParameterSet.Parameter) -> Tensor {
        tracked?[parameter] ?? set.tensor(parameter)
    }
}

/// One convolution layer of the model: its parameters and geometry.
struct Convolution {
    let weight: ParameterSet.Parameter
    let bias: ParameterSet.Parameter?
    let inputChannels: Int
    let outputChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let transposed: Bool

    /// Adds the layer's parameters to `set` with PyTorch's default initialisation.
    /// - Parameters:
    ///   - name: The layer's name; the parameters are `name.weight` and `name.bias`.
    ///   - transposed: A transposed convolution (weight `[Cin, Cout, k, k]`, fan-in `Cout k k`).
    init(
        _ name: String, in set: ParameterSet, _ inputChannels: Int, _ outputChannels: Int, kernel: Int,
        stride: Int = 1, padding: Int = 0, bias: Bool = true, transposed: Bool = false
    ) throws {
        let fanIn = (transposed ? outputChannels : inputChannels) * kernel * kernel
        let shape =
            transposed
            ? [inputChannels, outputChannels, kernel, kernel] : [outputChannels, inputChannels, kernel, kernel]
        weight = try set.add("\(name).weight", shape: shape, initializer: .pytorchDefault(fanIn: fanIn))
        self.bias =
            bias ? try set.add("\(name).bias", shape: [outputChannels], initializer: .pytorchDefault(fanIn: fanIn)) : nil
        (self.inputChannels, self.outputChannels, self.kernel) = (inputChannels, outputChannels, kernel)
        (self.stride, self.padding, self.transposed) = (stride, padding, transposed)
    }

    /// Applies the layer.
    func callAsFunction(_ x: Tensor, _ parameters: ParameterSource) throws -> Tensor {
        let b = bias.map { parameters[$0] }
        return transposed
            ? try x.transposedConv2d(parameters[weight], bias: b, stride: stride, padding: padding)
            : try x.conv2d(parameters[weight], bias: b, stride: stride, padding: padding)
    }

    /// Forward multiply-adds times two for one call on `images` inputs of side `size`.
    func forwardFlops(images: Int, inputSize size: Int) -> Double {
        let pixels = transposed ? size * size : { let o = (size + 2 * padding - kernel) / stride + 1; return o * o }()
        return 2 * Double(images) * Double(inputChannels * outputChannels * kernel * kernel) * Double(pixels)
    }
}
