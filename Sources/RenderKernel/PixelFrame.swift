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
    /// projection of the cube that bounds its bounding sphere, or of a flat's visible part.
    struct Footprint: Sendable {
        var columns: ClosedRange<Int>
        var rows: ClosedRange<Int>

        /// Every pixel (and any beyond the image).
        static let everywhere = Footprint(columns: Int.min...Int.max, rows: Int.min...Int.max)
        /// No pixel: the shape lies wholly behind the camera.
        static let nowhere = Footprint(columns: Int.max...Int.max, rows: Int.max...Int.max)
    }

    /// A solid's footprint; the whole image when the camera is inside or beside its bounds.
    func footprint(of shape: CompiledScene.ShapeRecord) -> Footprint {
        let everything = Footprint.everywhere
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

    /// A rectangle's footprint: the rectangle is clipped to the half-space in front of the
    /// camera (Sutherland-Hodgman, at a depth of 1e-9: a camera ray's hit with `t > epsilon`
    /// lies deeper, even at the edge of a 179-degree view of aspect 10, where the ray's depth
    /// is 8.7e-4 of its length) and its corners projected, in double precision; the rectangle
    /// around them gets one pixel of slack on each side. A rectangle wholly behind the camera
    /// is ``Footprint/nowhere``; an unbounded plane is ``Footprint/everywhere``.
    func footprint(of flat: CompiledScene.FlatRecord) -> Footprint {
        guard flat.halfX.isFinite, flat.halfY.isFinite else { return .everywhere }
        func double(_ v: Vector3) -> SIMD3<Double> { SIMD3(Double(v.x), Double(v.y), Double(v.z)) }
        let (center, xAxis, yAxis) = (double(flat.center), double(flat.xAxis), double(flat.yAxis))
        let (halfX, halfY) = (Double(flat.halfX), Double(flat.halfY))
        let (eye, right, down, forward) = (double(origin), double(self.right), double(self.down), double(self.forward))
        // Corners in camera space: (right, down, depth), in order around the rectangle.
        let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map { sx, sy -> SIMD3<Double> in
            let relative = center + sx * halfX * xAxis + sy * halfY * yAxis - eye
            return SIMD3((relative * right).sum(), (relative * down).sum(), (relative * forward).sum())
        }
        let nearest = 1e-9
        var clipped: [SIMD3<Double>] = []
        for index in 0..<4 {
            let (a, b) = (corners[index], corners[(index + 1) % 4])
            if a.z >= nearest { clipped.append(a) }
            if (a.z >= nearest) != (b.z >= nearest) {
                let s = (nearest - a.z) / (b.z - a.z)
                clipped.append(a + s * (b - a))
            }
        }
        guard !clipped.isEmpty else { return .nowhere }
        let focal = SIMD2(1 / Double(inverseFocal.x), 1 / Double(inverseFocal.y))
        let principal = SIMD2(Double(principalPoint.x), Double(principalPoint.y))
        var low = SIMD2<Double>(repeating: .infinity), high = SIMD2<Double>(repeating: -.infinity)
        for point in clipped {
            let pixel = SIMD2(point.x, point.y) / max(point.z, nearest) * focal + principal
            low = pointwiseMin(low, pixel)
            high = pointwiseMax(high, pixel)
        }
        // Far outside the image is as good as infinitely far (and converts to Int).
        let limit = SIMD2<Double>(repeating: 1e9)
        low = pointwiseMax(pointwiseMin(low, limit), -limit)
        high = pointwiseMax(pointwiseMin(high, limit), -limit)
        return Footprint(columns: Int(low.x.rounded(.down)) - 1...Int(high.x.rounded(.up)) + 1,
                         rows: Int(low.y.rounded(.down)) - 1...Int(high.y.rounded(.up)) + 1)
    }

    /// The unit direction through continuous pixel coordinates `(u, v)`.
    @inline(__always)
    func direction(u: Float, v: Float) -> Vector3 {
        let offset = (SIMD2(u, v) - principalPoint) * inverseFocal
        return (forward + offset.x * right + offset.y * down).normalized
    }

    /// The unit directions of four jittered samples of each of the pixels `(x, y)` and
    /// `(x + 1, y)` (the second only when `pixels` is 2), in the grid cells `cells` (columns,
    /// rows; the same four cells in both groups of lanes) of side `1 / inverseSide`. Each
    /// pixel's jitter comes from its own stream, in the order ``direction(u:v:)`` one sample
    /// at a time would draw it (u, then v, sample by sample), and each lane is computed as
    /// that function computes it, operation for operation. With one pixel, the second group's
    /// lanes repeat the first's and are inactive.
    @inline(__always)
    func directions(x: Int, y: Int, cells: (x: Lanes, y: Lanes), inverseSide: Float, pixels: Int,
                    rngs: inout (PCG32, PCG32)) -> RayPacket {
        let first = Self.jitter(&rngs.0)
        let second = pixels == 2 ? Self.jitter(&rngs.1) : first
        let column = Lanes(lowHalf: SIMD4(repeating: Float(x)), highHalf: SIMD4(repeating: Float(x + 1)))
        let u = column + (cells.x + Lanes(lowHalf: first.u, highHalf: second.u)) * inverseSide
        let v = Float(y) + (cells.y + Lanes(lowHalf: first.v, highHalf: second.v)) * inverseSide
        let offsetX = (u - principalPoint.x) * inverseFocal.x
        let offsetY = (v - principalPoint.y) * inverseFocal.y
        let unnormalised = RayPacket(x: forward.x + offsetX * right.x + offsetY * down.x,
                                     y: forward.y + offsetX * right.y + offsetY * down.y,
                                     z: forward.z + offsetX * right.z + offsetY * down.z)
        let inverseLength = 1 / unnormalised.dot(unnormalised).squareRoot()
        return RayPacket(x: unnormalised.x * inverseLength, y: unnormalised.y * inverseLength,
                         z: unnormalised.z * inverseLength,
                         active: pixels == 2 ? LaneMask(repeating: true) : RayPacket.groupLanes(0))
    }

    /// The jitter of four samples drawn from one pixel's stream: u, then v, sample by sample.
    @inline(__always)
    static func jitter(_ rng: inout PCG32) -> (u: SIMD4<Float>, v: SIMD4<Float>) {
        let r0 = rng.nextFloat(), r1 = rng.nextFloat(), r2 = rng.nextFloat(), r3 = rng.nextFloat()
        let r4 = rng.nextFloat(), r5 = rng.nextFloat(), r6 = rng.nextFloat(), r7 = rng.nextFloat()
        return (SIMD4(r0, r2, r4, r6), SIMD4(r1, r3, r5, r7))
    }
}
