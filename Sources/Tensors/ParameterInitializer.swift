/// How a parameter's initial values are drawn.
public enum ParameterInitializer: Sendable, Equatable {
    /// All zeros.
    case zeros
    /// Every element equal to the value.
    case constant(Float)
    /// Uniform in `[-bound, bound)`.
    case uniform(bound: Float)
    /// Normal with mean 0 and the given standard deviation.
    case normal(standardDeviation: Float)

    /// PyTorch's default for `Conv2d` / `ConvTranspose2d` / `Linear` weights and biases:
    /// `kaiming_uniform_(a: sqrt(5))`, which is uniform in `±1 / sqrt(fanIn)`.
    /// - Parameter fanIn: `Cin * kh * kw` for a convolution, `Cout * kh * kw` for a transposed one.
    /// - Returns: The matching uniform initialiser.
    public static func pytorchDefault(fanIn: Int) -> ParameterInitializer {
        .uniform(bound: 1 / Float(Swift.max(1, fanIn)).squareRoot())
    }

    /// Writes `count` initial values drawn from `stream`.
    func fill(_ destination: UnsafeMutablePointer<Float>, count: Int, stream: RandomStream) {
        switch self {
        case .zeros: destination.update(repeating: 0, count: count)
        case let .constant(value): destination.update(repeating: value, count: count)
        case let .uniform(bound): stream.fillUniform(destination, count: count, lower: -bound, upper: bound)
        case let .normal(standardDeviation):
            stream.fillNormal(destination, count: count, mean: 0, standardDeviation: standardDeviation)
        }
    }
}
