/// Pinhole camera intrinsics in pixels.
public struct Intrinsics: Sendable, Equatable, Codable {
    /// Horizontal focal length in pixels.
    public var fx: Float
    /// Vertical focal length in pixels.
    public var fy: Float
    /// Principal point, x (pixels from the left edge).
    public var cx: Float
    /// Principal point, y (pixels from the top edge).
    public var cy: Float

    /// Creates intrinsics from focal lengths and principal point.
    public init(fx: Float, fy: Float, cx: Float, cy: Float) {
        self.fx = fx
        self.fy = fy
        self.cx = cx
        self.cy = cy
    }
}
