/// Elements per thread below which splitting elementwise work is not worth it.
let elementwiseGrain = 32_768

/// The unary functions the engine differentiates; a closed set so each gets its own loop.
enum UnaryFunction {
    case relu, sigmoid, tanh, softplus, exp, log, square
    case scale(Float)
    case shift(Float)

    /// Whether ``backward(_:_:_:_:_:)`` reads the input `x`.
    var backwardReadsInput: Bool {
        switch self {
        case .softplus, .log, .square: return true
        case .relu, .sigmoid, .tanh, .exp, .scale, .shift: return false
        }
    }

    /// Whether ``backward(_:_:_:_:_:)`` reads the saved output `y`.
    var backwardReadsOutput: Bool {
        switch self {
        case .relu, .sigmoid, .tanh, .exp: return true
        case .softplus, .log, .square, .scale, .shift: return false
        }
    }

    /// The function's name for ``OperationProfiler``.
    var profileName: StaticString {
        switch self {
        case .relu: return "relu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softplus: return "softplus"
        case .exp: return "exp"
        case .log: return "log"
        case .square: return "square"
        case .scale: return "scale"
        case .shift: return "shift"
        }
    }

    /// `y[i] = f(x[i])` over `range`.
    @inline(__always)
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        switch self {
        case .relu: for i in range { y[i] = Swift.max(x[i], 0) }
        case .sigmoid: vectorized(x, y, range, fill: 0, VectorMath.sigmoid)
        case .tanh: vectorized(x, y, range, fill: 0, VectorMath.tanh)
        case .softplus: vectorized(x, y, range, fill: 0, VectorMath.softplus)
        case .exp: vectorized(x, y, range, fill: 0, VectorMath.exp)
        case .log: vectorized(x, y, range, fill: 1, VectorMath.log)
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
        case .relu: for i in range { gx[i] += y[i] > 0 ? gy[i] : 0 }  // y > 0 exactly where x > 0
        case .sigmoid: for i in range { gx[i] += gy[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in range { gx[i] += gy[i] * (1 - y[i] * y[i]) }
        case .softplus:
            VectorMath.forEachChunk(range) { i, n in
                let g = VectorMath.load(gx + i, n) + VectorMath.load(gy + i, n) * VectorMath.sigmoid(VectorMath.load(x + i, n))
                VectorMath.store(g, gx + i, n)
            }
        case .exp: for i in range { gx[i] += gy[i] * y[i] }
        case .log: for i in range { gx[i] += gy[i] / x[i] }
        case .square: for i in range { gx[i] += gy[i] * 2 * x[i] }
        case let .scale(a): for i in range { gx[i] += gy[i] * a }
        case .shift: for i in range { gx[i] += gy[i] }
        }
    }
}

/// `y = f(x)` over `range`, eight elements at a time (the tail padded with `fill`).
@inline(__always)
func vectorized(
    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>, fill: Float,
    _ f: (VectorMath.Lanes) -> VectorMath.Lanes
) {
    VectorMath.forEachChunk(range) { i, n in VectorMath.store(f(VectorMath.load(x + i, n, fill: fill)), y + i, n) }
}

extension Tensor {
    /// Applies a differentiable unary function elementwise.
    func applying(_ function: UnaryFunction) -> Tensor {
        let x = detached
        let y = Tensor(uninitializedShape: shape)
        let count = self.count
        let (xp, yp) = (x.pointer, y.pointer)
        parallelChunks(count, grain: elementwiseGrain) { range in function.forward(xp, yp, range) }
        // Keep only what the derivative reads: the input, the output, or neither.
        let savedInput = function.backwardReadsInput ? x : nil
        let savedOutput = function.backwardReadsOutput ? y.detached : nil
        return Tape.record(function.profileName, [self], output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            if case .relu = function, let savedOutput {
                // The common case gets its own loop: written, not accumulated, into a new buffer.
                guard let (gx, beta) = context.inputGradientForOverwrite(0) else { return }
                reluBackward(savedOutput.pointer, gy, gx, accumulate: beta != 0, count)
                return
            }
            guard let gx = context.inputGradient(0) else { return }
            let xp = UnsafePointer(savedInput?.pointer ?? gx)
            let yp = UnsafePointer(savedOutput?.pointer ?? gx)
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

/// `gx (+)= gy` where `y > 0`, else `gx (+)= 0`: ReLU's backward from its saved output.
private func reluBackward(
    _ y: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, accumulate: Bool, _ count: Int
) {
    parallelChunks(count, grain: elementwiseGrain) { range in
        VectorMath.forEachChunk(range) { i, n in
            let g = VectorMath.load(gy + i, n).replacing(with: 0, where: VectorMath.load(y + i, n) .<= 0)
            VectorMath.store(accumulate ? VectorMath.load(gx + i, n) + g : g, gx + i, n)
        }
    }
}
