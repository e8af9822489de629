import Foundation

/// A value annealed linearly from `initial` to `final` over `steps` training steps, then held.
///
/// `value(at: t) = max(final + (initial - final) * (1 - t / steps), final)` for a
/// decreasing schedule (torch-gqn's formula; `min` for an increasing one), so step 0
/// gives `initial`, step `steps` gives `final`, and later steps stay at `final`.
public struct LinearAnnealing: Sendable, Hashable, Codable {
    /// The value at step 0.
    public var initial: Double
    /// The value from step `steps` on.
    public var final: Double
    /// The number of steps the annealing takes.
    public var steps: Int

    /// Creates a schedule.
    public init(initial: Double, final: Double, steps: Int) {
        self.initial = initial
        self.final = final
        self.steps = steps
    }

    /// The annealed value after `step` completed training steps.
    /// - Parameter step: The number of steps taken so far (0 for the first step).
    /// - Returns: The value, computed in Double so that late steps do not lose precision.
    public func value(at step: Int) -> Double {
        let progress = steps > 0 ? Double(Swift.max(0, step)) / Double(steps) : 1
        let value = final + (initial - final) * (1 - progress)
        return initial >= final ? Swift.max(value, final) : Swift.min(value, final)
    }
}

/// The pixel-sigma and learning-rate schedules and the Adam constants, with the paper's defaults.
///
/// - Pixel standard deviation: `sigma_t = max(0.7 + (2.0 - 0.7)(1 - t / 200_000), 0.7)`.
/// - Learning rate: `mu_t = max(5e-5 + (5e-4 - 5e-5)(1 - t / 1_600_000), 5e-5)`.
/// - Adam: beta1 0.9, beta2 0.999, epsilon 1e-8, bias correction applied exactly once
///   (inside ``Tensors/Adam``, folded into the step size and denominator; the annealed
///   rate is handed to it as is, never pre-corrected).
///
/// `t` counts completed training steps, so the first step uses the initial values.
public struct GQNTrainingSchedule: Sendable, Hashable, Codable {
    /// The pixel standard deviation of the likelihood.
    public var pixelStandardDeviation: LinearAnnealing
    /// Adam's learning rate.
    public var learningRate: LinearAnnealing
    /// Adam's first-moment decay.
    public var beta1: Double
    /// Adam's second-moment decay.
    public var beta2: Double
    /// Adam's denominator term.
    public var epsilon: Double

    /// Creates a schedule.
    public init(
        pixelStandardDeviation: LinearAnnealing, learningRate: LinearAnnealing, beta1: Double = 0.9,
        beta2: Double = 0.999, epsilon: Double = 1e-8
    ) {
        self.pixelStandardDeviation = pixelStandardDeviation
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Eslami et al. 2018: sigma 2.0 -> 0.7 over 200k steps, learning rate 5e-4 -> 5e-5 over 1.6M steps.
    public static let paper = GQNTrainingSchedule(
        pixelStandardDeviation: LinearAnnealing(initial: 2.0, final: 0.7, steps: 200_000),
        learningRate: LinearAnnealing(initial: 5e-4, final: 5e-5, steps: 1_600_000))

    /// The pixel standard deviation for training step `step` (0-based).
    public func pixelStandardDeviation(at step: Int) -> Float { Float(pixelStandardDeviation.value(at: step)) }

    /// The learning rate for training step `step` (0-based).
    public func learningRate(at step: Int) -> Float { Float(learningRate.value(at: step)) }

    /// Checks that the constants make sense.
    /// - Throws: ``GQNError/invalidConfiguration(_:)`` naming the offending constant.
    public func validate() throws {
        guard pixelStandardDeviation.final > 0, pixelStandardDeviation.initial > 0 else {
            throw GQNError.invalidConfiguration("expected positive pixel standard deviations, found \(pixelStandardDeviation)")
        }
        guard learningRate.initial >= 0, learningRate.final >= 0 else {
            throw GQNError.invalidConfiguration("expected non-negative learning rates, found \(learningRate)")
        }
        guard pixelStandardDeviation.steps >= 0, learningRate.steps >= 0 else {
            throw GQNError.invalidConfiguration("expected non-negative annealing lengths")
        }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0 else {
            throw GQNError.invalidConfiguration(
                "expected Adam betas in [0, 1) and epsilon > 0, found \(beta1), \(beta2), \(epsilon)")
        }
    }

    /// The smallest possible negative log-likelihood per image at pixel sigma `sigma`:
    /// a perfect mean still costs `0.5 ln(2 pi sigma^2)` nats per value.
    /// - Parameters:
    ///   - values: The number of values per image (`3 * H * W`).
    ///   - sigma: The pixel standard deviation.
    /// - Returns: The floor in nats per image (1,727 for 32x32x3 at 0.7, 6,909 for 64x64x3).
    public static func negativeLogLikelihoodFloor(values: Int, sigma: Double) -> Double {
        0.5 * Double(values) * log(2 * Double.pi * sigma * sigma)
    }
}
