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

    /// The unit directions of four jittered samples of pixel `(x, y)` in the grid cells
    /// `cells` (columns, rows) of side `1 / inverseSide`, drawing the jitter from `rng` in the
    /// order ``direction(u:v:)`` one sample at a time would (u, then v, sample by sample), and
    /// computing each lane as it does, operation for operation.
    @inline(__always)
    func directions(x: Int, y: Int, cells: (x: SIMD4<Float>, y: SIMD4<Float>), inverseSide: Float,
                    rng: inout PCG32) -> RayPacket {
        let r0 = rng.nextFloat(), r1 = rng.nextFloat(), r2 = rng.nextFloat(), r3 = rng.nextFloat()
        let r4 = rng.nextFloat(), r5 = rng.nextFloat(), r6 = rng.nextFloat(), r7 = rng.nextFloat()
        let u = Float(x) + (cells.x + SIMD4(r0, r2, r4, r6)) * inverseSide
        let v = Float(y) + (cells.y + SIMD4(r1, r3, r5, r7)) * inverseSide
        let offsetX = (u - principalPoint.x) * inverseFocal.x
        let offsetY = (v - principalPoint.y) * inverseFocal.y
        let unnormalised = RayPacket(x: forward.x + offsetX * right.x + offsetY * down.x,
                                     y: forward.y + offsetX * right.y + offsetY * down.y,
                                     z: forward.z + offsetX * right.z + offsetY * down.z)
        let inverseLength = 1 / unnormalised.dot(unnormalised).squareRoot()
        return RayPacket(x: unnormalised.x * inverseLength, y: unnormalised.y * inverseLength,
                         z: unnormalised.z * inverseLength)
    }
}
