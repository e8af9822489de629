import Foundation

/// A pinhole camera: where it stands, where it looks, its vertical field of view and the
/// image it makes.
///
/// Orientation follows the GQN convention: `yaw` turns about +z starting from +x, `pitch`
/// tilts up from the horizontal, there is no roll. The camera frame follows OpenCV:
/// x right, y down, z forward. Pixel `(i, j)` (column, row) covers the square from `(i, j)`
/// to `(i + 1, j + 1)`, so its centre is at `(i + 0.5, j + 0.5)`, and a camera-frame point
/// `(X, Y, Z)` lands at `u = fx * X / Z + cx`, `v = fy * Y / Z + cy`.
public struct Camera: Sendable, Equatable {
    /// The centre of projection in world space.
    public var position: Vector3
    /// Heading in radians about +z, measured from +x.
    public var yaw: Float
    /// Elevation in radians above the horizontal (positive looks up).
    public var pitch: Float
    /// The vertical field of view in radians (default 50 degrees).
    public var verticalFieldOfView: Float
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int

    /// The default vertical field of view, 50 degrees (as assumed for the GQN datasets).
    public static let defaultFieldOfView: Float = 50 * .pi / 180

    /// A camera from its GQN pose.
    public init(position: Vector3, yaw: Float, pitch: Float,
                verticalFieldOfView: Float = Camera.defaultFieldOfView, width: Int, height: Int) {
        self.position = position
        self.yaw = yaw
        self.pitch = pitch
        self.verticalFieldOfView = verticalFieldOfView
        self.width = width
        self.height = height
    }

    /// A camera at `position` looking at `target`.
    /// - Precondition: `target != position`.
    public init(position: Vector3, lookingAt target: Vector3,
                verticalFieldOfView: Float = Camera.defaultFieldOfView, width: Int, height: Int) {
        let direction = target - position
        let horizontal = (direction.x * direction.x + direction.y * direction.y).squareRoot()
        self.init(position: position, yaw: atan2(direction.y, direction.x), pitch: atan2(direction.z, horizontal),
                  verticalFieldOfView: verticalFieldOfView, width: width, height: height)
    }

    /// The viewing direction (camera +z) in world space.
    public var forward: Vector3 {
        Vector3(cos(pitch) * cos(yaw), cos(pitch) * sin(yaw), sin(pitch))
    }

    /// The image's rightward direction (camera +x) in world space; always horizontal.
    public var right: Vector3 { Vector3(sin(yaw), -cos(yaw), 0) }

    /// The image's downward direction (camera +y) in world space.
    public var down: Vector3 { forward.cross(right) }

    /// The GQN 5-tuple `(x, y, z, yaw, pitch)`.
    public var pose: [Float] { [position.x, position.y, position.z, yaw, pitch] }

    /// The model's 7-D viewpoint vector `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`.
    public var viewpointVector: [Float] {
        [position.x, position.y, position.z, cos(yaw), sin(yaw), cos(pitch), sin(pitch)]
    }

    /// Pinhole intrinsics in pixels: focal lengths and principal point. Pixels are square.
    public var intrinsics: Intrinsics {
        let focal = Float(height) / 2 / tan(verticalFieldOfView / 2)
        return Intrinsics(fx: focal, fy: focal, cx: Float(width) / 2, cy: Float(height) / 2)
    }

    /// The 4x4 camera-to-world matrix, row-major, for OpenCV camera axes: its columns are
    /// the camera's x (right), y (down), z (forward) axes and its position.
    public var cameraToWorld: [Float] {
        let (r, d, f) = (right, down, forward)
        return [r.x, d.x, f.x, position.x,
                r.y, d.y, f.y, position.y,
                r.z, d.z, f.z, position.z,
                0, 0, 0, 1]
    }

    /// Where a world point lands on the image, in continuous pixel coordinates
    /// (`(0.5, 0.5)` is the centre of the top-left pixel), or `nil` behind the camera.
    public func project(_ point: Vector3) -> SIMD2<Float>? {
        let relative = point - position
        let depth = relative.dot(forward)
        guard depth > 0 else { return nil }
        let k = intrinsics
        return SIMD2(k.fx * relative.dot(right) / depth + k.cx, k.fy * relative.dot(down) / depth + k.cy)
    }
}
