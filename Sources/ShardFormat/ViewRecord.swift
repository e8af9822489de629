/// One rendered view of a scene: its images and where the camera was.
public struct ViewRecord: Codable, Hashable, Sendable {
    /// The colour image: a PNG stream or raw RGB8 bytes, as the schema's
    /// ``DatasetSchema/imageEncoding`` says. Never decoded by this module.
    public var image: [UInt8]
    /// The GQN 5-tuple pose.
    public var pose: CameraPose
    /// Camera-to-world transform, row-major: element `4 * row + column`. Camera axes are
    /// OpenCV's (x right, y down, z forward); the last row is (0, 0, 0, 1).
    public var cameraToWorld: SIMD16<Float>
    /// Pinhole intrinsics in pixels.
    public var intrinsics: CameraIntrinsics
    /// Depth along the camera's z axis as a 16-bit grey PNG in millimetres; present exactly
    /// when the schema's ``DatasetSchema/hasDepth`` is true.
    public var depth: [UInt8]?
    /// Instance mask as an 8-bit grey PNG (0 = background, k = object k - 1 of the scene's
    /// labels); present exactly when the schema's ``DatasetSchema/hasMasks`` is true.
    public var mask: [UInt8]?

    /// Creates a view.
    /// - Parameters:
    ///   - image: Encoded colour image bytes.
    ///   - pose: The GQN 5-tuple pose.
    ///   - cameraToWorld: Row-major 4x4 camera-to-world matrix (OpenCV camera axes).
    ///   - intrinsics: Pinhole intrinsics in pixels.
    ///   - depth: Depth PNG bytes, or nil.
    ///   - mask: Instance-mask PNG bytes, or nil.
    public init(
        image: [UInt8], pose: CameraPose, cameraToWorld: SIMD16<Float>, intrinsics: CameraIntrinsics,
        depth: [UInt8]? = nil, mask: [UInt8]? = nil
    ) {
        self.image = image
        self.pose = pose
        self.cameraToWorld = cameraToWorld
        self.intrinsics = intrinsics
        self.depth = depth
        self.mask = mask
    }
}
