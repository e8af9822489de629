/// Ground truth for one object: what it is, what colour, where, how big and how turned.
public struct ObjectLabel: Codable, Hashable, Sendable {
    /// Shape name as the scene family spells it, for example `"sphere"` or `"cone"`.
    public var shape: String
    /// Colour name as the scene family assigns it (a palette entry, or a hue word such as
    /// `"red"` or `"cyan"`), for counting colours without thresholds.
    public var colorName: String
    /// Base colour as red, green, blue, nominally in [0, 1] (the scene family's colour values).
    public var color: SIMD3<Float>
    /// Centre position in world units (z up, floor at z = 0).
    public var position: SIMD3<Float>
    /// Extent along the object's own x, y and z axes, world units.
    public var size: SIMD3<Float>
    /// Rotation about the z axis, radians. Yaw, pitch and roll are the scene family's Euler
    /// angles, stored as given.
    public var yaw: Float
    /// Rotation about the y axis, radians.
    public var pitch: Float
    /// Rotation about the x axis, radians.
    public var roll: Float

    /// Creates an object label.
    public init(
        shape: String, colorName: String, color: SIMD3<Float>, position: SIMD3<Float>, size: SIMD3<Float>,
        yaw: Float, pitch: Float, roll: Float
    ) {
        self.shape = shape
        self.colorName = colorName
        self.color = color
        self.position = position
        self.size = size
        self.yaw = yaw
        self.pitch = pitch
        self.roll = roll
    }
}
