/// Pinhole intrinsics in pixels for the OpenCV camera axes (x right, y down, z forward).
///
/// A camera-space point (X, Y, Z) with Z > 0 lands on pixel (fx X / Z + cx, fy Y / Z + cy),
/// with (0, 0) at the top-left corner of the top-left pixel. Stored as four `Float32` values
/// in the order fx, fy, cx, cy.
public struct CameraIntrinsics: Codable, Hashable, Sendable {
    /// Focal length along x, pixels.
    public var fx: Float
    /// Focal length along y, pixels.
    public var fy: Float
    /// Principal point x, pixels.
    public var cx: Float
    /// Principal point y, pixels.
    public var cy: Float

    /// Creates intrinsics.
    public init(fx: Float, fy: Float, cx: Float, cy: Float) {
        self.fx = fx
        self.fy = fy
        self.cx = cx
        self.cy = cy
    }
}
