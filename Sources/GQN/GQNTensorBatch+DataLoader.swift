import DataLoader
import Tensors

extension GQNTensorBatch {
    /// Wraps a batch from the streaming loader as tensors, copying its buffers once.
    ///
    /// The loader's buffers are already NCHW Float32 in [0, 1] and viewpoints are
    /// `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`, so the values are copied as they are.
    /// - Parameter batch: A batch from ``/DataLoader/GQNLoader/next()``.
    /// - Throws: ``/Tensors/TensorError`` when a buffer's length does not match its shape
    ///   (the loader's initializer already checks this).
    public init(_ batch: GQNBatch) throws {
        let (b, k, h, w) = (batch.batchSize, batch.contextCount, batch.height, batch.width)
        let vp = GQNBatch.viewpointSize
        self.init(
            contextImages: try Tensor(shape: [b, k, 3, h, w], scalars: batch.contextImages),
            contextViewpoints: try Tensor(shape: [b, k, vp], scalars: batch.contextViewpoints),
            queryImages: try Tensor(shape: [b, 3, h, w], scalars: batch.queryImage),
            queryViewpoints: try Tensor(shape: [b, vp], scalars: batch.queryViewpoint))
    }
}
