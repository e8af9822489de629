import Foundation

/// A rotation from a shape's local frame to the world: the world directions of the local
/// x, y and z axes (an orthonormal, right-handed frame).
public struct Orientation: Sendable, Equatable {
    /// The local x axis in world space.
    public var xAxis: Vector3
    /// The local y axis in world space.
    public var yAxis: Vector3
    /// The local z axis in world space.
    public var zAxis: Vector3

    /// The identity: local axes equal world axes.
    public static let identity = Orientation(xAxis: [1, 0, 0], yAxis: [0, 1, 0], zAxis: [0, 0, 1])

    /// An orientation from its axes. The caller guarantees they are orthonormal and right-handed.
    public init(xAxis: Vector3, yAxis: Vector3, zAxis: Vector3) {
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.zAxis = zAxis
    }

    /// Rotation by `roll` about x, then `pitch` about y, then `yaw` about z (radians), i.e.
    /// `R = Rz(yaw) * Ry(pitch) * Rx(roll)`. Yaw alone turns a shape about the vertical.
    public init(yaw: Float, pitch: Float = 0, roll: Float = 0) {
        let (cy, sy) = (cos(yaw), sin(yaw))
        let (cp, sp) = (cos(pitch), sin(pitch))
        let (cr, sr) = (cos(roll), sin(roll))
        // Columns of Rz * Ry * Rx.
        xAxis = Vector3(cy * cp, sy * cp, -sp)
        yAxis = Vector3(cy * sp * sr - sy * cr, sy * sp * sr + cy * cr, cp * sr)
        zAxis = Vector3(cy * sp * cr + sy * sr, sy * sp * cr - cy * sr, cp * cr)
    }

    /// The world direction of a local direction.
    @inlinable @inline(__always)
    public func toWorld(_ local: Vector3) -> Vector3 {
        xAxis * local.x + yAxis * local.y + zAxis * local.z
    }

    /// The local direction of a world direction (the inverse rotation).
    @inlinable @inline(__always)
    public func toLocal(_ world: Vector3) -> Vector3 {
        Vector3(world.dot(xAxis), world.dot(yAxis), world.dot(zAxis))
    }
}
