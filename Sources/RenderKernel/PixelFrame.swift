import SceneModel

/// A camera reduced to what primary-ray generation needs.
struct PixelFrame: Sendable {
    let origin: Vector3
    let forward: Vector3
    let right: Vector3
    let down: Vector3
    let inverseFocal: SIMD2<Float>
    let principalPoint: SIMD2<Float>
    let width: Int

    init(camera: Camera) {
        let intrinsics = camera.intrinsics
        origin = camera.position
        forward = camera.forward
        right = camera.right
        down = camera.down
        inverseFocal = SIMD2(1 / intrinsics.fx, 1 / intrinsics.fy)
        principalPoint = SIMD2(intrinsics.cx, intrinsics.cy)
        width = camera.width
    }

    /// The pixels whose rays may meet a shape: a conservative rectangle around the
    /// projection of the cube that bounds its bounding sphere.
    struct Footprint: Sendable {
        var columns: ClosedRange<Int>
        var rows: ClosedRange<Int>
    }

    /// A solid's footprint; the whole image when the camera is inside or beside its bounds.
    func footprint(of shape: CompiledScene.ShapeRecord) -> Footprint {
        let everything = Footprint(columns: Int.min...Int.max, rows: Int.min...Int.max)
        let radius = shape.boundingRadiusSquared.squareRoot()
        var low = SIMD2<Float>(repeating: .infinity), high = SIMD2<Float>(repeating: -.infinity)
        for corner in 0..<8 {
            let offset = Vector3(corner & 1 == 0 ? -radius : radius, corner & 2 == 0 ? -radius : radius,
                                 corner & 4 == 0 ? -radius : radius)
            let relative = shape.center + offset - origin
            let depth = relative.dot(forward)
            guard depth > 1e-3 else { return everything }
            let pixel = SIMD2(relative.dot(right), relative.dot(down)) / depth / inverseFocal + principalPoint
            low = pointwiseMin(low, pixel)
            high = pointwiseMax(high, pixel)
        }
        guard low.x.isFinite, low.y.isFinite, high.x.isFinite, high.y.isFinite,
              abs(low.x) < 1e6, abs(low.y) < 1e6, abs(high.x) < 1e6, abs(high.y) < 1e6 else { return everything }
        // One pixel of slack on each side for jittered samples and rounding.
        return Footprint(columns: Int(low.x.rounded(.down)) - 1...Int(high.x.rounded(.up)) + 1,
                         rows: Int(low.y.rounded(.down)) - 1...Int(high.y.rounded(.up)) + 1)
    }

    /// The unit direction through continuous pixel coordinates `(u, v)`.
    @inline(__always)
    func direction(u: Float, v: Float) -> Vector3 {
        let offset = (SIMD2(u, v) - principalPoint) * inverseFocal
        return (forward + offset.x * right + offset.y * down).normalized
    }
}
