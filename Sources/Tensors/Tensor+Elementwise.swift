#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elements per thread below which splitting elementwise work is not worth it.
let elementwiseGrain = 32_768

/// The unary functions the engine differentiates; a closed set so each gets its own loop.
enum UnaryFunction {
    case relu, sigmoid, tanh, softplus, exp, log, square
    case scale(Float)
    case shift(Float)

    /// `y[i] = f(x[i])` over `range`.
    @inline(__always)
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        switch self {
        case .relu: for i in range { y[i] = Swift.max(x[i], 0) }
        case .sigmoid: for i in range { y[i] = stableSigmoid(x[i]) }
        case .tanh: for i in range { y[i] = tanhf(x[i]) }
        case .softplus: for i in range { y[i] = Swift.max(x[i], 0) + log1pf(expf(-Swift.abs(x[i]))) }
        case .exp: for i in range { y[i] = expf(x[i]) }
        case .log: for i in range { y[i] = logf(x[i]) }
        case .square: for i in range { y[i] = x[i] * x[i] }
        case let .scale(a): for i in range { y[i] = x[i] * a }
        case let .shift(a): for i in range { y[i] = x[i] + a }
        }
    }

    /// `gx[i] += gy[i] * f'(x[i])` over `range`, using the saved output `y` where cheaper.
    @inline(__always)
    func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
        _ gx: UnsafeMutablePointer<Float>, _ range: Range<Int>
    ) {
        switch self {
        case .relu: for i in range { gx[i] += x[i] > 0 ? gy[i] : 0 }
        case .sigmoid: for i in range { gx[i] += gy[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in range { gx[i] += gy[i] * (1 - y[i] * y[i]) }
        case .softplus: for i in range { gx[i] += gy[i] * stableSigmoid(x[i]) }
        case .exp: for i in range { gx[i] += gy[i] * y[i] }
        case .log: for i in range { gx[i] += gy[i] / x[i] }
        case .square: for i in range { gx[i] += gy[i] * 2 * x[i] }
        case let .scale(a): for i in range { gx[i] += gy[i] * a }
        case .shift: for i in range { gx[i] += gy[i] }
        }
    }
}

/// The logistic function without overflow for large negative inputs.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

extension Tensor {
    /// Applies a differentiable unary function elementwise.
    func applying(_ function: UnaryFunction) -> Tensor {
        let x = detached
        let y = Tensor(uninitializedShape: shape)
        let count = self.count
        let (xp, yp) = (x.pointer, y.pointer)
        parallelChunks(count, grain: elementwiseGrain) { range in function.forward(xp, yp, range) }
        return Tape.record([self], output: y) { context in
            guard let gy = context.outputGradient(0), let gx = context.inputGradient(0) else { return }
            let (xp, yp) = (x.pointer, y.pointer)
            parallelChunks(count, grain: elementwiseGrain) { range in function.backward(xp, yp, gy, gx, range) }
        }
    }

    /// `max(x, 0)` elementwise.
    public func relu() -> Tensor { applying(.relu) }
    /// The logistic function `1 / (1 + exp(-x))` elementwise.
    public func sigmoid() -> Tensor { applying(.sigmoid) }
    /// The hyperbolic tangent elementwise.
    public func tanh() -> Tensor { applying(.tanh) }
    /// `log(1 + exp(x))` elementwise, computed without overflow.
    public func softplus() -> Tensor { applying(.softplus) }
    /// `exp(x)` elementwise.
    public func exp() -> Tensor { applying(.exp) }
    /// The natural logarithm elementwise (inputs must be positive).
    public func log() -> Tensor { applying(.log) }
    /// `x * x` elementwise.
    public func squared() -> Tensor { applying(.square) }

    /// Multiplies every element by a constant.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.applying(.scale(rhs)) }
    /// Multiplies every element by a constant.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.applying(.scale(lhs)) }
    /// Adds a constant to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.applying(.shift(rhs)) }
    /// Subtracts a constant from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.applying(.shift(-rhs)) }
    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.applying(.scale(-1)) }
}
