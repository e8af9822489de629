import Dispatch

/// Records operations on tracked tensors and runs their backward passes in reverse.
///
/// Usage: watch the leaves (parameters, or inputs whose gradient you want), compute,
/// then call ``backward(from:seed:)`` once. Each operation's backward closure sits
/// next to its forward code in the `Tensor+*.swift` files. Gradients of intermediate
/// tensors are freed as soon as their producer's backward has run, and the saved
/// activations are released when the backward pass finishes, so the buffers go back
/// to ``BufferPool`` for the next step.
///
/// A tape is used from one thread at a time.
public final class Tape {
    /// One recorded operation.
    struct Node {
        /// The operation's name, for ``OperationProfiler``.
        let operation: StaticString
        let inputs: [Int]
        let outputs: [Int]
        let backward: (BackwardContext) -> Void
    }

    /// Where a tensor's gradient lives.
    struct Gradient {
        let storage: TensorStorage
        let offset: Int
        /// External gradients (parameters) accumulate into caller-owned memory and are never freed.
        let isExternal: Bool
        var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }
    }

    private(set) var nodes: [Node] = []
    private var gradients: [Gradient?] = []
    private var counts: [Int] = []
    private var isLeaf: [Bool] = []
    private var externalGradients: [Int: Gradient] = [:]
    private var finished = false

    /// Creates an empty tape.
    public init() { OperationProfiler.mark() }

    /// The number of recorded operations.
    public var operationCount: Int { nodes.count }

    /// Starts tracking `tensor` as a leaf whose gradient the tape keeps.
    /// - Parameter tensor: The values to differentiate with respect to.
    /// - Returns: The same values, tracked on this tape; read its gradient with ``gradient(of:)``.
    public func watch(_ tensor: Tensor) -> Tensor {
        let id = newID(count: tensor.count, leaf: true)
        return Tensor(shape: tensor.shape, storage: tensor.storage, offset: tensor.offset, tape: self, id: id)
    }

    /// Tracks a parameter whose gradient accumulates into external memory.
    func watch(_ tensor: Tensor, gradientStorage: TensorStorage, gradientOffset: Int) -> Tensor {
        let id = newID(count: tensor.count, leaf: true)
        externalGradients[id] = Gradient(storage: gradientStorage, offset: gradientOffset, isExternal: true)
        return Tensor(shape: tensor.shape, storage: tensor.storage, offset: tensor.offset, tape: self, id: id)
    }

    /// The gradient accumulated for a watched leaf by ``backward(from:seed:)``.
    /// - Parameter tensor: A tensor returned by ``watch(_:)`` on this tape.
    /// - Returns: The gradient (same shape), or `nil` if no gradient reached it.
    public func gradient(of tensor: Tensor) -> Tensor? {
        guard tensor.tape === self, tensor.id >= 0, tensor.id < gradients.count,
            let gradient = gradients[tensor.id] ?? externalGradients[tensor.id]
        else { return nil }
        return Tensor(shape: tensor.shape, storage: gradient.storage, offset: gradient.offset)
    }

    /// Runs every recorded backward pass in reverse order, starting from `output`.
    ///
    /// After this call the tape holds only the leaves' gradients; record on a new tape
    /// for the next step.
    /// - Parameters:
    ///   - output: A tensor recorded on this tape (a scalar loss unless `seed` is given).
    ///   - seed: The gradient of the final objective with respect to `output`;
    ///     defaults to ones.
    /// - Throws: ``TensorError`` if `output` is not on this tape, the tape already ran,
    ///   or `seed` has the wrong shape.
    /// - Complexity: About twice the forward pass.
    public func backward(from output: Tensor, seed: Tensor? = nil) throws {
        guard !finished else {
            throw TensorError.invalidArgument(
                operation: "Tape.backward", expected: "a tape that has not run backward yet",
                found: "a finished tape")
        }
        guard output.tape === self, output.id >= 0 else { throw TensorError.differentTapes(operation: "Tape.backward") }
        let gradient = TensorStorage(uninitializedCount: output.count)
        if let seed {
            guard seed.count == output.count else {
                throw TensorError.shapeMismatch(
                    operation: "Tape.backward(seed:)", expected: "\(output.shape)", found: "\(seed.shape)")
            }
            gradient.pointer.update(from: seed.pointer, count: output.count)
        } else {
            gradient.pointer.update(repeating: 1, count: output.count)
        }
        if let external = externalGradients[output.id] {
            add(external.pointer, gradient.pointer, output.count)
        }
        gradients[output.id] = Gradient(storage: gradient, offset: 0, isExternal: false)
        let profiling = OperationProfiler.isEnabled
        for index in nodes.indices.reversed() {
            let node = nodes[index]
            guard node.outputs.contains(where: { gradients[$0] != nil }) else { continue }
            if profiling {
                let start = DispatchTime.now().uptimeNanoseconds
                node.backward(BackwardContext(tape: self, node: index))
                OperationProfiler.recordBackward(
                    node.operation, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            } else {
                node.backward(BackwardContext(tape: self, node: index))
            }
            for output in node.outputs where !isLeaf[output] { gradients[output] = nil }
        }
        nodes.removeAll()
        for (id, external) in externalGradients where gradients[id] == nil { gradients[id] = external }
        finished = true
    }

    // MARK: Recording

    private func newID(count: Int, leaf: Bool) -> Int {
        gradients.append(nil)
        counts.append(count)
        isLeaf.append(leaf)
        return gradients.count - 1
    }

    /// Records an operation with one output.
    /// - Parameters:
    ///   - operation: The operation's name (for ``OperationProfiler``).
    ///   - inputs: The operation's tensor inputs (tracked or not).
    ///   - output: The untracked result of the forward computation.
    ///   - backward: Reads `outputGradient(0)` and accumulates into the inputs' gradients.
    /// - Returns: `output`, tracked if any input is tracked.
    static func record(
        _ operation: StaticString, _ inputs: [Tensor], output: Tensor, backward: @escaping (BackwardContext) -> Void
    ) -> Tensor {
        record(operation, inputs, outputs: [output], backward: backward)[0]
    }

    /// Records an operation with several outputs (see ``record(_:output:backward:)``).
    static func record(
        _ operation: StaticString, _ inputs: [Tensor], outputs: [Tensor], backward: @escaping (BackwardContext) -> Void
    ) -> [Tensor] {
        if OperationProfiler.isEnabled { OperationProfiler.recordForward(operation) }
        var tape: Tape?
        for input in inputs where input.isTracked {
            tape = input.tape
            break
        }
        guard let tape, !tape.finished else { return outputs }
        let inputIDs = inputs.map { $0.tape === tape ? $0.id : -1 }
        let tracked = outputs.map { output in
            Tensor(
                shape: output.shape, storage: output.storage, offset: output.offset, tape: tape,
                id: tape.newID(count: output.count, leaf: false))
        }
        tape.nodes.append(Node(operation: operation, inputs: inputIDs, outputs: tracked.map(\.id), backward: backward))
        return tracked
    }

    /// Checks that tracked inputs all belong to one tape.
    static func checkSameTape(_ inputs: [Tensor], operation: String) throws {
        var tape: Tape?
        for input in inputs where input.isTracked {
            if let tape, tape !== input.tape { throw TensorError.differentTapes(operation: operation) }
            tape = input.tape
        }
    }

    // MARK: Gradient access for backward closures

    fileprivate func outputGradient(node: Int, output: Int) -> UnsafeMutablePointer<Float>? {
        gradients[nodes[node].outputs[output]]?.pointer
    }

    fileprivate func passOutputGradient(node: Int, output: Int, toInput input: Int) -> Bool {
        let outputID = nodes[node].outputs[output]
        let inputID = nodes[node].inputs[input]
        guard inputID >= 0, gradients[inputID] == nil, externalGradients[inputID] == nil, !isLeaf[outputID],
            let gradient = gradients[outputID], !gradient.isExternal, counts[inputID] == counts[outputID]
        else { return false }
        gradients[inputID] = gradient
        return true
    }

    fileprivate func inputGradient(node: Int, input: Int, zeroFresh: Bool) -> (UnsafeMutablePointer<Float>, fresh: Bool)? {
        let id = nodes[node].inputs[input]
        guard id >= 0 else { return nil }
        if let existing = gradients[id] { return (existing.pointer, false) }
        if let external = externalGradients[id] {
            gradients[id] = external
            return (external.pointer, false)
        }
        let storage = TensorStorage(uninitializedCount: counts[id])
        if zeroFresh { storage.pointer.update(repeating: 0, count: counts[id]) }
        gradients[id] = Gradient(storage: storage, offset: 0, isExternal: false)
        return (storage.pointer, !zeroFresh)
    }
}

/// What a backward closure sees: its outputs' gradients and its inputs' gradient buffers.
struct BackwardContext {
    unowned let tape: Tape
    let node: Int

    /// The gradient flowing into output `index`, or `nil` when nothing used that output.
    func outputGradient(_ index: Int) -> UnsafeMutablePointer<Float>? {
        tape.outputGradient(node: node, output: index)
    }

    /// The buffer to accumulate input `index`'s gradient into (zero-filled when new),
    /// or `nil` when that input is not tracked.
    func inputGradient(_ index: Int) -> UnsafeMutablePointer<Float>? {
        tape.inputGradient(node: node, input: index, zeroFresh: true)?.0
    }

    /// Hands the output gradient's buffer to input `index` as its gradient, when that input
    /// has no gradient yet (and is not a parameter): the gradient of an identity-like
    /// operand without a copy. The buffer then belongs to the input; the output's gradient
    /// is not read again after this node.
    /// - Returns: Whether the buffer was handed over (else accumulate as usual).
    func passOutputGradient(toInput index: Int, fromOutput output: Int = 0) -> Bool {
        tape.passOutputGradient(node: node, output: output, toInput: index)
    }

    /// Like ``inputGradient(_:)`` but leaves a new buffer uninitialised; `beta` is 0 for a
    /// new buffer (overwrite) and 1 for an existing one (accumulate), as in `sgemm`.
    func inputGradientForOverwrite(_ index: Int) -> (pointer: UnsafeMutablePointer<Float>, beta: Float)? {
        guard let (pointer, fresh) = tape.inputGradient(node: node, input: index, zeroFresh: false) else { return nil }
        return (pointer, fresh ? 0 : 1)
    }
}

/// `destination[i] += source[i]` for `count` elements, vectorised and split across threads.
func add(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    parallelChunks(count, grain: 16384) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let d = UnsafeMutableRawPointer(destination + i)
            let s = UnsafeRawPointer(source + i)
            d.storeBytes(of: d.loadUnaligned(as: SIMD8<Float>.self) + s.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            destination[i] += source[i]
            i += 1
        }
    }
}
