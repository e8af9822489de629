/// The memory behind one or more tensors: a contiguous Float32 buffer from ``BufferPool``.
///
/// A class because identity is the point: views (reshapes, parameter slices) share one
/// buffer, and the buffer goes back to the pool when the last view is gone.
public final class TensorStorage {
    /// The first element.
    let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    let count: Int

    /// Takes an uninitialised buffer of `count` elements from the pool.
    init(uninitializedCount count: Int) {
        self.pointer = BufferPool.take(count)
        self.count = count
    }

    /// Takes a buffer of `count` elements from the pool and fills it with `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: value, count: count)
    }

    deinit {
        BufferPool.give(pointer, count: count)
    }
}
