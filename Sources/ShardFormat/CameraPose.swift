/// A view's camera as the GQN 5-tuple: position and heading, no roll.
///
/// World frame: right-handed, z up, floor at z = 0. `yaw` turns about +z starting from +x;
/// `pitch` is up from the horizontal. Angles in radians. Stored as five `Float32` values in
/// the order x, y, z, yaw, pitch.
public struct CameraPose: Codable, Hashable, Sendable {
    /// Camera position, x.
    public var x: Float
    /// Camera position, y.
    public var y: Float
    /// Camera position, z (height above the floor).
    public var z: Float
    /// Heading about +z from +x, radians.
    public var yaw: Float
    /// Elevation up from the horizontal, radians.
    public var pitch: Float

    /// Creates a pose.
    public init(x: Float, y: Float, z: Float, yaw: Float, pitch: Float) {
        self.x = x
        self.y = y
        self.z = z
        self.yaw = yaw
        self.pitch = pitch
    }
}
