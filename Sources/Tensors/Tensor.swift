/// A dense, contiguous, row-major Float32 array with an optional place on a ``Tape``.
///
/// Tensors are values: operations return new tensors and never modify their inputs.
/// Image batches use the NCHW layout (`[batch, channels, height, width]`).
/// A tensor derived from a watched tensor is recorded on the same tape, so that
/// ``Tape/backward(from:seed:)`` can compute gradients with respect to it.
public struct Tensor {
    /// The extent of each dimension, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// The buffer holding the elements (shared by views such as reshapes).
    let storage: TensorStorage
    /// The index of the first element in `storage`.
    let offset: Int
    /// The tape that records operations on this tensor, if it is tracked.
    weak var tape: Tape?
    /// The tensor's identifier on `tape`, or -1 when untracked.
    let id: Int

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The first element (valid for as long as `storage` lives).
    var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    init(shape: [Int], storage: TensorStorage, offset: Int = 0, tape: Tape? = nil, id: Int = -1) {
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.tape = tape
        self.id = id
    }

    /// A tensor whose elements are not initialised yet (from the buffer pool).
    init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// Creates a tensor filled with one value.
    /// - Parameters:
    ///   - shape: The extent of each dimension (all must be non-negative).
    ///   - value: The value of every element.
    public init(shape: [Int], repeating value: Float = 0) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, storage: TensorStorage(count: max(0, count), repeating: value))
    }

    /// Creates a tensor from its elements in row-major order.
    /// - Parameters:
    ///   - shape: The extent of each dimension.
    ///   - scalars: The elements; there must be exactly `shape.reduce(1, *)` of them.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the counts differ.
    public init(shape: [Int], scalars: [Float]) throws {
        let count = shape.reduce(1, *)
        guard count == scalars.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(
                operation: "Tensor(shape:scalars:)", expected: "\(count) elements for \(shape)",
                found: "\(scalars.count) elements")
        }
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    /// Creates a tensor by letting `body` write every element.
    /// - Parameters:
    ///   - shape: The extent of each dimension.
    ///   - body: Writes all `shape.reduce(1, *)` elements of the buffer it receives.
    /// - Complexity: Whatever `body` costs; the buffer comes from the pool.
    public init(
        shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        self.init(uninitializedShape: shape)
        try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// The single element of a one-element tensor, or `nil` if it has more than one.
    public var scalar: Float? { count == 1 ? pointer.pointee : nil }

    /// Calls `body` with the tensor's elements.
    /// - Parameter body: Reads the elements; the pointer must not escape.
    /// - Returns: What `body` returns.
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: pointer, count: count))
        }
    }

    /// Whether operations on this tensor are being recorded for differentiation.
    public var isTracked: Bool { id >= 0 && tape != nil }

    /// The same values, no longer recorded on any tape (gradients stop here).
    public var detached: Tensor { Tensor(shape: shape, storage: storage, offset: offset) }

    /// A copy of the values in freshly owned, untracked storage.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = count <= 8 ? "\(scalars)" : "\(Array(scalars.prefix(8)))..."
        return "Tensor(shape: \(shape), \(preview)\(isTracked ? ", tracked" : ""))"
    }
}
