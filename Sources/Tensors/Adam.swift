import Foundation

/// The Adam optimiser (Kingma & Ba), updating a whole ``ParameterSet`` in one pass.
///
/// Matches PyTorch's `torch.optim.Adam` (no weight decay, no AMSGrad): the bias
/// corrections `1 - beta1^t` and `1 - beta2^t` are computed once per step and folded
/// into the step size and the denominator, never applied twice.
public struct Adam {
    /// The step size.
    public var learningRate: Float
    /// The decay rate of the first-moment estimate.
    public var beta1: Float
    /// The decay rate of the second-moment estimate.
    public var beta2: Float
    /// Added to the denominator for numerical stability.
    public var epsilon: Float
    /// The number of updates applied so far.
    public private(set) var step = 0
    /// The running first-moment estimate, one value per scalar of the ``ParameterSet``
    /// (empty before the first update).
    public private(set) var firstMoment: [Float] = []
    /// The running second-moment estimate, laid out like ``firstMoment``.
    public private(set) var secondMoment: [Float] = []

    /// Creates an optimiser with PyTorch's defaults.
    /// - Parameters:
    ///   - learningRate: The step size.
    ///   - beta1: The first-moment decay (0.9).
    ///   - beta2: The second-moment decay (0.999).
    ///   - epsilon: The denominator term (1e-8).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Applies one update using the gradients accumulated in `parameters`.
    ///
    /// The gradients are left as they are; call ``ParameterSet/zeroGradients()`` before
    /// the next backward pass.
    /// - Parameter parameters: The set to update (the same set at every step).
    /// - Complexity: O(number of scalars), vectorised and split across threads.
    public mutating func update(_ parameters: ParameterSet) {
        let count = parameters.scalarCount
        if firstMoment.count != count {
            firstMoment = Array(repeating: 0, count: count)
            secondMoment = Array(repeating: 0, count: count)
        }
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        let stepSize = learningRate / correction1
        let inverseRootCorrection2 = 1 / correction2.squareRoot()
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let values = parameters.values.pointer
        let gradients = parameters.gradients.pointer
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                guard let m = m.baseAddress, let v = v.baseAddress else { return }
                parallelChunks(count, grain: 65536) { range in
                    for i in range {
                        let g = gradients[i]
                        m[i] = b1 * m[i] + (1 - b1) * g
                        v[i] = b2 * v[i] + (1 - b2) * g * g
                        values[i] -= stepSize * m[i] / (v[i].squareRoot() * inverseRootCorrection2 + eps)
                    }
                }
            }
        }
    }

    /// Restores the state saved from ``step``, ``firstMoment`` and ``secondMoment`` (to resume training).
    /// - Parameters:
    ///   - step: The number of updates already applied (at least 0).
    ///   - firstMoment: The first-moment estimate, one value per scalar (or empty when `step` is 0).
    ///   - secondMoment: The second-moment estimate, the same length as `firstMoment`.
    /// - Throws: ``TensorError/invalidArgument(operation:expected:found:)`` when the lengths disagree.
    public mutating func restore(step: Int, firstMoment: [Float], secondMoment: [Float]) throws {
        guard step >= 0, firstMoment.count == secondMoment.count, step == 0 || !firstMoment.isEmpty else {
            throw TensorError.invalidArgument(
                operation: "Adam.restore", expected: "a step >= 0 and two moment arrays of equal length",
                found: "step \(step), lengths \(firstMoment.count) and \(secondMoment.count)")
        }
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}
