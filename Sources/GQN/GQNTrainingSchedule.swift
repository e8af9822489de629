import Foundation

/// A value annealed linearly from `initial` to `final` over `steps` training steps, then held.
///
/// `value(at: t) = max(final + (initial - final) * (1 - t / steps), final)` for a
/// decreasing schedule (torch-gqn's formula; `min` for an increasing one), so step 0
/// gives `initial`, step `steps` gives `final`, and later steps stay at `final`.
public struct LinearAnnealing: Sendable, Hashable, Codable, CustomStringConvertible {
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

    /// `initial -> final`, and the training step that first uses `final`, counted from 1 as
    /// metrics.jsonl counts them (the step with index `t = steps`).
    public var description: String { "\(initial) -> \(final) (reached at step \(steps + 1))" }
}

/// The pixel-sigma and learning-rate schedules and the Adam constants, with the paper's defaults.
///
/// - Pixel standard deviation: `sigma_t = max(0.7 + (2.0 - 0.7)(1 - t / 200_000), 0.7)`.
/// - Learning rate: `mu_t = max(5e-5 + (5e-4 - 5e-5)(1 - t / 1_600_000), 5e-5)`.
/// - Adam: beta1 0.9, beta2 0.999, epsilon 1e-8, bias correction applied exactly once
///   (inside ``/Tensors/Adam``, folded into the step size and denominator; the annealed
///   rate is handed to it as is, never pre-corrected).
///
/// `t` counts completed training steps, so the first step uses the initial values.
///
/// ``paper`` is every configuration's default; ``short(annealSteps:)`` is the same schedule
/// compressed to a run's own length, for runs of hours rather than weeks (see ``Preset``).
public struct GQNTrainingSchedule: Sendable, Hashable, Codable, CustomStringConvertible {
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

    /// The paper's schedule with its time axis compressed so that the learning rate reaches
    /// 5e-5 at step `annealSteps`, and sigma reaches 0.7 after one eighth of that.
    ///
    /// One factor scales both of the paper's lengths (1.6M steps for the learning rate, 200k
    /// for sigma, whose ratio 8 is kept), and nothing else changes: the end values, the linear
    /// shape and Adam's constants are the paper's. Why this shape rather than another:
    ///
    /// - The paper's lengths are out of reach on a CPU: a 30-minute `tiny` run takes about
    ///   11,000 steps, so under ``paper`` it trains throughout at a sigma between 2.0 and 1.93
    ///   and a learning rate near 5e-4. At sigma 2 a pixel error costs about an eighth of what
    ///   it costs at 0.7 (the NLL weighs errors by `1 / sigma^2`), so object detail is nearly
    ///   free to lose against the KL: the blurred, object-less predictions such runs give.
    ///   And the learning rate never decays, so the run never gets the low-rate end phase.
    /// - Annealing sigma over the whole run instead would end the run just as sigma reaches
    ///   0.7, with the average step at sigma 1.35. The paper reaches 0.7 after an eighth of its
    ///   learning-rate decay and trains the other seven eighths at it; compressed, so does a
    ///   short run, at the sigma that evaluation and the NLL floor refer to.
    /// - Under Adam the step size does not depend on the gradient's scale, so reaching a low
    ///   sigma sooner does not enlarge the updates; sigma only sets how the NLL weighs against
    ///   the KL. The learning rate decays linearly from step 1, as in the paper: no hold phase
    ///   was added, since nothing measured here says one helps.
    ///
    /// - Parameter annealSteps: The step, counted from 1 as metrics.jsonl counts them, that
    ///   first trains at the final learning rate: the run's length for a run annealed over
    ///   itself. Steps after it hold the final values; values below 1 count as 1 (final values
    ///   from the first step).
    /// - Returns: Sigma 2.0 -> 0.7 over `round((annealSteps - 1) / 8)` steps, the learning rate
    ///   5e-4 -> 5e-5 over `annealSteps - 1` steps (``LinearAnnealing/steps`` is the 0-based
    ///   index of the first step at the final value).
    public static func short(annealSteps: Int) -> GQNTrainingSchedule {
        let learningRateSteps = Swift.max(1, annealSteps) - 1
        let ratio = Double(paper.pixelStandardDeviation.steps) / Double(paper.learningRate.steps)
        var schedule = paper
        schedule.learningRate.steps = learningRateSteps
        schedule.pixelStandardDeviation.steps = Int((Double(learningRateSteps) * ratio).rounded())
        return schedule
    }

    /// The pixel standard deviation for training step `step` (0-based).
    public func pixelStandardDeviation(at step: Int) -> Float { Float(pixelStandardDeviation.value(at: step)) }

    /// The learning rate for training step `step` (0-based).
    public func learningRate(at step: Int) -> Float { Float(learningRate.value(at: step)) }

    /// Both annealings, each with the step that first uses its final value.
    public var description: String { "sigma \(pixelStandardDeviation), learning rate \(learningRate)" }

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
