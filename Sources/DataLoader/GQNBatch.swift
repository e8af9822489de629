import Foundation
import ShardFormat

/// One batch for a Generative Query Network: context views with their viewpoints, and one
/// query view per scene. Every buffer is contiguous Float32; pixels are in [0, 1].
///
/// Shapes (row-major, NCHW):
/// - ``contextImages``: `[batchSize, contextCount, 3, height, width]`
/// - ``contextViewpoints``: `[batchSize, contextCount, 7]`
/// - ``queryImage``: `[batchSize, 3, height, width]`
/// - ``queryViewpoint``: `[batchSize, 7]`
///
/// A viewpoint is `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]` (``viewpoint(_:)``).
///
/// Two optional parts, present when the ``LoaderConfiguration`` asks for them (evaluation
/// and probes; training needs neither):
/// - ``queryMasks``: `[batchSize, height, width]` instance ids of each query view
///   (0 = room, k = object k - 1 of the scene's labels);
/// - ``labels``: `[batchSize]` each scene's ground truth (room, objects, lights).
public struct GQNBatch: Sendable, Equatable {
    /// Scenes in the batch, `B` (smaller than the configured size for an epoch's last batch,
    /// or when corrupt records were skipped).
    public var batchSize: Int
    /// Context views per scene in this batch, `K`.
    public var contextCount: Int
    /// Image height in pixels.
    public var height: Int
    /// Image width in pixels.
    public var width: Int
    /// `[B, K, 3, H, W]` pixel values in [0, 1].
    public var contextImages: [Float]
    /// `[B, K, 7]` viewpoints of the context views.
    public var contextViewpoints: [Float]
    /// `[B, 3, H, W]` pixel values in [0, 1].
    public var queryImage: [Float]
    /// `[B, 7]` viewpoints of the query views.
    public var queryViewpoint: [Float]
    /// `[B, H, W]` the query views' instance masks (0 = room, k = object k - 1), or nil when
    /// ``LoaderConfiguration/queryMasks`` is off.
    public var queryMasks: [UInt8]?
    /// `[B]` each scene's ground truth, or nil when ``LoaderConfiguration/labels`` is off.
    public var labels: [SceneLabels]?
    /// `[B]` the dataset scene index of each sample.
    public var sceneIndices: [UInt64]
    /// The epoch the batch belongs to.
    public var epoch: Int
    /// The batch's number within its epoch on this rank, from 0.
    public var batchNumber: Int

    /// The length of a viewpoint vector.
    public static let viewpointSize = 7

    /// Creates a batch; the buffers must have the documented sizes.
    public init(
        batchSize: Int, contextCount: Int, height: Int, width: Int, contextImages: [Float], contextViewpoints: [Float],
        queryImage: [Float], queryViewpoint: [Float], queryMasks: [UInt8]? = nil, labels: [SceneLabels]? = nil,
        sceneIndices: [UInt64], epoch: Int = 0, batchNumber: Int = 0
    ) {
        precondition(contextImages.count == batchSize * contextCount * 3 * height * width, "contextImages size")
        precondition(contextViewpoints.count == batchSize * contextCount * Self.viewpointSize, "contextViewpoints size")
        precondition(queryImage.count == batchSize * 3 * height * width, "queryImage size")
        precondition(queryViewpoint.count == batchSize * Self.viewpointSize, "queryViewpoint size")
        precondition(queryMasks.map { $0.count == batchSize * height * width } ?? true, "queryMasks size")
        precondition(labels.map { $0.count == batchSize } ?? true, "labels size")
        precondition(sceneIndices.count == batchSize, "sceneIndices size")
        self.batchSize = batchSize
        self.contextCount = contextCount
        self.height = height
        self.width = width
        self.contextImages = contextImages
        self.contextViewpoints = contextViewpoints
        self.queryImage = queryImage
        self.queryViewpoint = queryViewpoint
        self.queryMasks = queryMasks
        self.labels = labels
        self.sceneIndices = sceneIndices
        self.epoch = epoch
        self.batchNumber = batchNumber
    }

    /// Views decoded into this batch: `batchSize * (contextCount + 1)`.
    public var viewCount: Int { batchSize * (contextCount + 1) }

    /// The model's viewpoint vector of a pose: `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`
    /// (``viewpointSize`` numbers). The one place this layout is written.
    public static func viewpoint(_ pose: CameraPose) -> [Float] {
        [pose.x, pose.y, pose.z, cos(pose.yaw), sin(pose.yaw), cos(pose.pitch), sin(pose.pitch)]
    }

    /// The batch's first `scenes` scenes (all of it when `scenes >= batchSize`), every part cut alike.
    /// - Parameter scenes: How many scenes to keep, at least 0.
    public func prefix(_ scenes: Int) -> GQNBatch {
        let kept = Swift.min(Swift.max(0, scenes), batchSize)
        let image = 3 * height * width
        let k = contextCount
        let vp = Self.viewpointSize
        return GQNBatch(
            batchSize: kept, contextCount: k, height: height, width: width,
            contextImages: Array(contextImages.prefix(kept * k * image)),
            contextViewpoints: Array(contextViewpoints.prefix(kept * k * vp)),
            queryImage: Array(queryImage.prefix(kept * image)), queryViewpoint: Array(queryViewpoint.prefix(kept * vp)),
            queryMasks: queryMasks.map { Array($0.prefix(kept * height * width)) },
            labels: labels.map { Array($0.prefix(kept)) },
            sceneIndices: Array(sceneIndices.prefix(kept)), epoch: epoch, batchNumber: batchNumber)
    }
}
