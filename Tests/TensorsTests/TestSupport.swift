import Testing
@testable import Tensors

/// The parent of every Tensors suite: serialised, so the buffer-pool and thread-count
/// tests see only their own work, and the suites do not fight over the two cores.
@Suite(.serialized) struct TensorsTests {}

/// Deterministic test values in `[-1, 1)`, away from zero by at least `margin`.
func testValues(_ shape: [Int], seed: UInt64, margin: Float = 0, positive: Bool = false) -> Tensor {
    let raw = Tensor.randomUniform(shape: shape, lower: -1, upper: 1, seed: seed).scalars
    let values = raw.map { value -> Float in
        var v = value
        if positive { v = Swift.abs(v) + 0.2 }
        if margin > 0 && Swift.abs(v) < margin { v = v < 0 ? v - margin : v + margin }
        return v
    }
    return try! Tensor(shape: shape, scalars: values)
}

/// The relative error `|a - b| / max(|a|, |b|, tiny)` in the Euclidean norm.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, normA = 0.0, normB = 0.0
    for (x, y) in zip(a, b) {
        difference += Double(x - y) * Double(x - y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return difference.squareRoot() / Swift.max(normA.squareRoot(), normB.squareRoot(), 1e-12)
}

/// Compares the tape's gradients of `f` with central finite differences.
///
/// The objective is `sum(f(inputs) * r)` with fixed random weights `r`, evaluated in
/// Double so the differences are not swamped by Float32 rounding.
/// - Returns: The relative error for each input.
func gradientErrors(
    _ inputs: [Tensor], epsilon: Float = 1e-2, _ f: ([Tensor]) throws -> Tensor
) throws -> [Double] {
    let probe = try f(inputs)
    let weights = Tensor.randomNormal(shape: probe.shape, seed: 99).scalars
    func objective(_ values: [Tensor]) throws -> Double {
        let output = try f(values).scalars
        var total = 0.0
        for (o, w) in zip(output, weights) { total += Double(o) * Double(w) }
        return total
    }
    let tape = Tape()
    let tracked = inputs.map { tape.watch($0) }
    let output = try f(tracked)
    try tape.backward(from: output, seed: try Tensor(shape: output.shape, scalars: weights))
    var errors: [Double] = []
    for (index, input) in inputs.enumerated() {
        let analytic = tape.gradient(of: tracked[index])?.scalars ?? Array(repeating: 0, count: input.count)
        var numeric: [Float] = []
        for element in 0..<input.count {
            var values = input.scalars
            let original = values[element]
            values[element] = original + epsilon
            var perturbed = inputs
            perturbed[index] = try Tensor(shape: input.shape, scalars: values)
            let plus = try objective(perturbed)
            values[element] = original - epsilon
            perturbed[index] = try Tensor(shape: input.shape, scalars: values)
            let minus = try objective(perturbed)
            numeric.append(Float((plus - minus) / (2 * Double(epsilon))))
        }
        errors.append(relativeError(analytic, numeric))
    }
    return errors
}

/// Expects every relative gradient error to be below `tolerance`.
func expectGradientsMatch(
    _ inputs: [Tensor], tolerance: Double = 1e-2, epsilon: Float = 1e-2,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) throws -> Tensor
) throws {
    let errors = try gradientErrors(inputs, epsilon: epsilon, f)
    for (index, error) in errors.enumerated() {
        #expect(error < tolerance, "input \(index): relative gradient error \(error)", sourceLocation: sourceLocation)
    }
}

/// Tests that set process-wide state (the compute thread count, the buffer pool's counters, a
/// simulated full disk) and compare results bit for bit: tests running alongside would see that
/// state and disturb those results, so they run only in a serial run (`swift test --no-parallel`,
/// as Tools/test.sh runs the suite), and refuse with this message in a parallel one.
struct SerialRunRequired: Error, CustomStringConvertible {
    var description: String {
        "this suite sets process-wide state (thread count, allocation counters, simulated disk space) and must not run "
            + "alongside other tests: run `swift test --no-parallel` (Tools/test.sh does)"
    }

    /// Throws unless the test process was started for a serial run.
    static func check() throws {
        guard CommandLine.arguments.contains("--no-parallel") else { throw SerialRunRequired() }
    }
}
