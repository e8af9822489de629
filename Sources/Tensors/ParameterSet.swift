/// All trainable parameters of a model in one flat buffer, with a flat gradient buffer
/// beside it.
///
/// One buffer makes the optimiser a single vectorised pass, gradient zeroing a single
/// `memset`, and a checkpoint a single copy. Add every parameter before training: the
/// buffers grow (and move) while parameters are added.
public final class ParameterSet {
    /// A handle to one parameter of the set.
    public struct Parameter: Sendable, Hashable {
        /// The parameter's position in the set.
        public let index: Int
    }

    struct Entry {
        let name: String
        let shape: [Int]
        let offset: Int
        let count: Int
    }

    private(set) var entries: [Entry] = []
    private var indexByName: [String: Int] = [:]
    private(set) var values = TensorStorage(uninitializedCount: 0)
    private(set) var gradients = TensorStorage(uninitializedCount: 0)
    /// The number of scalars in use.
    public private(set) var scalarCount = 0
    private let stream: RandomStream

    /// Creates an empty set whose initial values derive from `seed`.
    /// - Parameter seed: Seeds every random initialiser; parameter `i` uses its own derived stream.
    public init(seed: UInt64) { stream = RandomStream(seed: seed) }

    /// The parameters' names, in the order they were added.
    public var names: [String] { entries.map(\.name) }

    /// The number of parameters (tensors, not scalars).
    public var count: Int { entries.count }

    /// Adds a parameter.
    /// - Parameters:
    ///   - name: A unique name such as `"tower.conv1.weight"` (the safetensors key).
    ///   - shape: The parameter's shape.
    ///   - initializer: How to draw its initial values.
    /// - Returns: A handle for ``tensor(_:)`` and ``TrackedParameters``.
    /// - Throws: ``TensorError/invalidArgument(operation:expected:found:)`` for a duplicate name or negative extent.
    /// - Complexity: Amortised O(size of the parameter).
    @discardableResult
    public func add(_ name: String, shape: [Int], initializer: ParameterInitializer) throws -> Parameter {
        guard indexByName[name] == nil else {
            throw TensorError.invalidArgument(operation: "ParameterSet.add", expected: "a new name", found: "duplicate \"\(name)\"")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(operation: "ParameterSet.add", expected: "non-negative extents", found: "\(shape)")
        }
        let count = shape.reduce(1, *)
        // Keep every parameter 16-float (64-byte) aligned inside the flat buffer.
        let offset = (scalarCount + 15) / 16 * 16
        reserve(offset + count)
        initializer.fill(values.pointer + offset, count: count, stream: stream.derived(UInt64(entries.count)))
        (gradients.pointer + offset).update(repeating: 0, count: count)
        (values.pointer + scalarCount).update(repeating: 0, count: offset - scalarCount)
        (gradients.pointer + scalarCount).update(repeating: 0, count: offset - scalarCount)
        indexByName[name] = entries.count
        entries.append(Entry(name: name, shape: shape, offset: offset, count: count))
        scalarCount = offset + count
        return Parameter(index: entries.count - 1)
    }

    private func reserve(_ needed: Int) {
        guard needed > values.count else { return }
        let capacity = Swift.max(needed, values.count * 2, 1024)
        let newValues = TensorStorage(uninitializedCount: capacity)
        let newGradients = TensorStorage(uninitializedCount: capacity)
        newValues.pointer.update(from: values.pointer, count: scalarCount)
        newGradients.pointer.update(from: gradients.pointer, count: scalarCount)
        (values, gradients) = (newValues, newGradients)
    }

    /// Looks a parameter up by name.
    /// - Parameter name: The name given to ``add(_:shape:initializer:)``.
    /// - Returns: Its handle, or `nil` when there is none.
    public func parameter(named name: String) -> Parameter? { indexByName[name].map(Parameter.init) }

    /// The name of a parameter.
    public func name(of parameter: Parameter) -> String { entries[parameter.index].name }

    /// The shape of a parameter.
    public func shape(of parameter: Parameter) -> [Int] { entries[parameter.index].shape }

    /// The current values of a parameter, as an untracked view into the flat buffer.
    /// - Parameter parameter: A handle from this set.
    /// - Returns: A view that sees later optimiser updates.
    public func tensor(_ parameter: Parameter) -> Tensor {
        let entry = entries[parameter.index]
        return Tensor(shape: entry.shape, storage: values, offset: entry.offset)
    }

    /// The accumulated gradient of a parameter, as a view into the flat gradient buffer.
    /// - Parameter parameter: A handle from this set.
    /// - Returns: A view that sees later backward passes.
    public func gradient(_ parameter: Parameter) -> Tensor {
        let entry = entries[parameter.index]
        return Tensor(shape: entry.shape, storage: gradients, offset: entry.offset)
    }

    /// Starts a step: every parameter tracked on `tape`, with gradients accumulating
    /// straight into this set's flat gradient buffer.
    /// - Parameter tape: The step's tape.
    /// - Returns: The tracked parameters, indexed by handle.
    public func track(on tape: Tape) -> TrackedParameters {
        TrackedParameters(
            tensors: entries.map { entry in
                tape.watch(
                    Tensor(shape: entry.shape, storage: values, offset: entry.offset),
                    gradientStorage: gradients, gradientOffset: entry.offset)
            })
    }

    /// Calls `body` with the flat gradient buffer, ``scalarCount`` floats (zeros between
    /// parameters), to combine gradients across processes in one operation.
    /// - Parameter body: May read and overwrite the gradients; must not keep the pointer.
    public func withUnsafeMutableGradients<Result>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableBufferPointer(start: gradients.pointer, count: scalarCount))
    }

    /// Calls `body` with the flat value buffer, ``scalarCount`` floats, to compare or send
    /// the parameters as one block.
    /// - Parameter body: Reads the values; must not keep the pointer.
    public func withUnsafeValues<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: values.pointer, count: scalarCount))
    }

    /// Sets every gradient to zero.
    /// - Complexity: O(``scalarCount``).
    public func zeroGradients() {
        gradients.pointer.update(repeating: 0, count: scalarCount)
    }

    /// Overwrites a parameter's values.
    /// - Parameters:
    ///   - parameter: A handle from this set.
    ///   - tensor: Values of the parameter's shape.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shape differs.
    public func assign(_ parameter: Parameter, from tensor: Tensor) throws {
        let entry = entries[parameter.index]
        guard tensor.shape == entry.shape else {
            throw TensorError.shapeMismatch(operation: "ParameterSet.assign(\(entry.name))", expected: "\(entry.shape)", found: "\(tensor.shape)")
        }
        (values.pointer + entry.offset).update(from: tensor.pointer, count: entry.count)
    }
}

/// The parameters of a ``ParameterSet`` tracked on one tape for one training step.
public struct TrackedParameters {
    let tensors: [Tensor]

    /// The tracked tensor of a parameter.
    public subscript(parameter: ParameterSet.Parameter) -> Tensor { tensors[parameter.index] }
}
