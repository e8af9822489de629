/// The elementwise binary operations, with the broadcasts GQN uses.
enum BinaryOperation {
    case add, subtract, multiply

    /// The operation's name for ``OperationProfiler``.
    var profileName: StaticString {
        switch self {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        }
    }
}

/// How two operand shapes combine: the larger operand's shape, and how many
/// consecutive elements of it each element of the smaller operand covers.
struct BroadcastPlan {
    let shape: [Int]
    /// Elements of the output per element of `lhs` (1 when `lhs` has the output's shape).
    let lhsInner: Int
    /// Elements of the output per element of `rhs`.
    let rhsInner: Int

    /// Broadcasting matches a smaller operand against the leading dimensions of the
    /// larger one: `[B, C, 1, 1]` or `[B, C]` over `[B, C, H, W]`, and scalars over anything.
    init(_ lhs: [Int], _ rhs: [Int], operation: String) throws {
        func trimmed(_ shape: [Int]) -> [Int] {
            var shape = shape
            while shape.last == 1 { shape.removeLast() }
            return shape
        }
        let lhsCount = lhs.reduce(1, *)
        let rhsCount = rhs.reduce(1, *)
        if lhs == rhs {
            self.shape = lhs
            (lhsInner, rhsInner) = (1, 1)
        } else if lhsCount >= rhsCount, lhs.starts(with: trimmed(rhs)), rhsCount > 0 {
            self.shape = lhs
            (lhsInner, rhsInner) = (1, lhsCount / rhsCount)
        } else if rhsCount > lhsCount, rhs.starts(with: trimmed(lhs)), lhsCount > 0 {
            self.shape = rhs
            (lhsInner, rhsInner) = (rhsCount / lhsCount, 1)
        } else {
            throw TensorError.shapeMismatch(
                operation: operation, expected: "\(lhs) or a shape broadcastable with it (leading dimensions)",
                found: "\(rhs)")
        }
    }
}

extension Tensor {
    /// Adds two tensors elementwise, broadcasting the smaller over the larger's leading dimensions.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not broadcast.
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.add, lhs, rhs) }

    /// Subtracts `rhs` from `lhs` elementwise, with the same broadcasting as `+`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not broadcast.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.subtract, lhs, rhs) }

    /// Multiplies two tensors elementwise, with the same broadcasting as `+`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes do not broadcast.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try binary(.multiply, lhs, rhs) }

    static func binary(_ operation: BinaryOperation, _ lhs: Tensor, _ rhs: Tensor) throws -> Tensor {
        let name = "\(operation)"
        try Tape.checkSameTape([lhs, rhs], operation: name)
        let plan = try BroadcastPlan(lhs.shape, rhs.shape, operation: name)
        let (a, b) = (lhs.detached, rhs.detached)
        let y = Tensor(uninitializedShape: plan.shape)
        let count = y.count
        let (ap, bp, yp) = (a.pointer, b.pointer, y.pointer)
        let (aInner, bInner) = (plan.lhsInner, plan.rhsInner)
        parallelChunks(count, grain: elementwiseGrain) { range in
            binaryForward(operation, ap, aInner, bp, bInner, yp, range)
        }
        // Only a product's backward reads the operands; a sum must not keep them alive (the
        // GQN's canvas is a chain of sums whose terms would otherwise all stay in memory).
        let saved = operation == .multiply ? (a, b) : nil
        return Tape.record(operation.profileName, [lhs, rhs], output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            if saved == nil && aInner == 1 && bInner == 1 {
                // Same shapes: the left operand takes the output gradient's buffer itself when
                // it has none yet; the right one gets a copy (or its negation).
                if !context.passOutputGradient(toInput: 0), let ga = context.inputGradient(0) { add(ga, gy, count) }
                if let gb = context.inputGradientForOverwrite(1) {
                    storeScaled(gy, scale: operation == .subtract ? -1 : 1, into: gb.pointer, accumulate: gb.beta != 0, count)
                }
                return
            }
            if let ga = context.inputGradient(0) {
                let factor: UnsafePointer<Float>? = saved.map { UnsafePointer($0.1.pointer) }
                reduceGradient(gy, factor: factor, factorInner: bInner, into: ga, inner: aInner, count: count, sign: 1)
            }
            if let gb = context.inputGradient(1) {
                let factor: UnsafePointer<Float>? = saved.map { UnsafePointer($0.0.pointer) }
                reduceGradient(
                    gy, factor: factor, factorInner: aInner, into: gb, inner: bInner, count: count,
                    sign: operation == .subtract ? -1 : 1)
            }
        }
    }

    /// Repeats the tensor over trailing dimensions: `[B, C]` or `[B, C, 1, 1]` to `[B, C, H, W]`.
    /// - Parameter shape: The target shape; the tensor's shape (without trailing 1s) must be its prefix.
    /// - Returns: The broadcast tensor.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when it does not broadcast.
    public func expanded(to shape: [Int]) throws -> Tensor {
        let plan = try BroadcastPlan(shape, self.shape, operation: "expanded(to:)")
        guard plan.shape == shape else {
            throw TensorError.shapeMismatch(operation: "expanded(to:)", expected: "a shape smaller than \(self.shape)", found: "\(shape)")
        }
        let x = detached
        let y = Tensor(uninitializedShape: shape)
        let count = y.count
        let inner = plan.rhsInner
        let (xp, yp) = (x.pointer, y.pointer)
        parallelChunks(count / inner, grain: max(1, elementwiseGrain / inner)) { blocks in
            for block in blocks { (yp + block * inner).update(repeating: xp[block], count: inner) }
        }
        return Tape.record("expanded", [self], output: y) { context in
            guard let gy = context.outputGradient(0), let gx = context.inputGradient(0) else { return }
            reduceGradient(gy, factor: nil, factorInner: 1, into: gx, inner: inner, count: count, sign: 1)
        }
    }
}

/// `y = a op b` over `range`, where each element of `a` covers `aInner` outputs and each of `b` covers `bInner`.
@inline(__always)
private func binaryForward(
    _ operation: BinaryOperation, _ a: UnsafePointer<Float>, _ aInner: Int, _ b: UnsafePointer<Float>, _ bInner: Int,
    _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>
) {
    if aInner == 1 && bInner == 1 {
        switch operation {
        case .add: for i in range { y[i] = a[i] + b[i] }
        case .subtract: for i in range { y[i] = a[i] - b[i] }
        case .multiply: for i in range { y[i] = a[i] * b[i] }
        }
        return
    }
    // One operand is broadcast: walk the output in runs that share one broadcast element.
    let inner = max(aInner, bInner)
    let broadcastIsB = bInner > 1
    var i = range.lowerBound
    while i < range.upperBound {
        let block = i / inner
        let end = Swift.min(range.upperBound, (block + 1) * inner)
        if broadcastIsB {
            let s = b[block]
            switch operation {
            case .add: for j in i..<end { y[j] = a[j] + s }
            case .subtract: for j in i..<end { y[j] = a[j] - s }
            case .multiply: for j in i..<end { y[j] = a[j] * s }
            }
        } else {
            let s = a[block]
            switch operation {
            case .add: for j in i..<end { y[j] = s + b[j] }
            case .subtract: for j in i..<end { y[j] = s - b[j] }
            case .multiply: for j in i..<end { y[j] = s * b[j] }
            }
        }
        i = end
    }
}

/// Accumulates an operand's gradient: `g[k] += sign * sum_j gy[k*inner + j] * factor(...)`.
///
/// `inner == 1` means the operand has the output's shape; `factor` (for multiplication)
/// is the other operand, each element of which covers `factorInner` outputs. Each
/// thread owns a contiguous range of `g`, and each sum runs in a fixed order.
private func reduceGradient(
    _ gy: UnsafePointer<Float>, factor: UnsafePointer<Float>?, factorInner: Int,
    into g: UnsafeMutablePointer<Float>, inner: Int, count: Int, sign: Float
) {
    let blocks = count / inner
    parallelChunks(blocks, grain: max(1, elementwiseGrain / inner)) { range in
        if inner == 1 {
            if let factor {
                if factorInner == 1 {
                    for i in range { g[i] += sign * gy[i] * factor[i] }
                } else {
                    for i in range { g[i] += sign * gy[i] * factor[i / factorInner] }
                }
            } else if sign == 1 {
                for i in range { g[i] += gy[i] }
            } else {
                for i in range { g[i] -= gy[i] }
            }
            return
        }
        for k in range {
            var total: Float = 0
            let base = k * inner
            if let factor {
                // The factor is full-size here (only one operand of a product is broadcast).
                for j in base..<(base + inner) { total += gy[j] * factor[j] }
            } else {
                for j in base..<(base + inner) { total += gy[j] }
            }
            g[k] += sign * total
        }
    }
}

/// `destination (+)= scale * source` for `count` elements, vectorised and split across threads.
func storeScaled(
    _ source: UnsafePointer<Float>, scale: Float, into destination: UnsafeMutablePointer<Float>, accumulate: Bool, _ count: Int
) {
    parallelChunks(count, grain: 16384) { range in
        VectorMath.forEachChunk(range) { i, n in
            let value = VectorMath.load(source + i, n) * scale
            VectorMath.store(accumulate ? VectorMath.load(destination + i, n) + value : value, destination + i, n)
        }
    }
}
