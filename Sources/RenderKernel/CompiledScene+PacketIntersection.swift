import SceneModel

/// Ray-solid intersection in all lanes of a packet at once.
///
/// Each function here is its one-ray namesake in `CompiledScene+Intersection.swift` with the
/// branches turned into masks: every lane computes the one-ray code's floating-point
/// operations in the same order (dot products as `(x + y) + z`, `min(a, b)` as
/// `b < a ? b : a`, `max(a, b)` as `b >= a ? b : a`, `|z| <= h` as `z <= h && z >= -h`), so a
/// lane's hit distance and normal are bit-identical to tracing its ray alone. `PacketTests`
/// checks that for every solid kind.
extension CompiledScene.ShapeRecord {
    /// The bounding-sphere cull of ``intersect(origin:direction:tMax:planes:)`` in every lane:
    /// how far along each ray its closest approach to the centre lies, the squared distance
    /// there, and the lanes that pass (`!(distanceSquared > r^2)`, so NaN passes as in the
    /// one-ray code). Callers skip a solid no lane passes, and hand the rest to
    /// ``intersect(origins:directions:cull:tMax:active:planes:)``.
    @inline(__always)
    func cull(origins: RayPacket, directions: RayPacket) -> (along: Lanes, distanceSquared: Lanes, passes: LaneMask) {
        let toCenter = RayPacket(x: center.x - origins.x, y: center.y - origins.y, z: center.z - origins.z)
        let along = toCenter.dot(directions)
        let distanceSquared = toCenter.dot(toCenter) - along * along
        return (along, distanceSquared, .!(distanceSquared .> boundingRadiusSquared))
    }

    /// ``intersect(origin:direction:tMax:planes:)`` in the lanes `active` (which must lie
    /// within `cull.passes`): per lane the hit distance and world normal (meaningful where
    /// `hit` is set), and which lanes hit.
    @inline(__always)
    func intersect(origins: RayPacket, directions: RayPacket,
                   cull: (along: Lanes, distanceSquared: Lanes, passes: LaneMask), tMax: Lanes, active: LaneMask,
                   planes: UnsafeBufferPointer<SIMD4<Float>>) -> (t: Lanes, normal: RayPacket, hit: LaneMask) {
        let epsilon = Self.epsilon
        // The rest of the bounding-sphere test (exact for spheres).
        let (along, distanceSquared) = (cull.along, cull.distanceSquared)
        var alive = active
        let halfChord = (boundingRadiusSquared - distanceSquared).squareRoot()
        alive .&= .!(along - halfChord .>= tMax) .& .!(along + halfChord .<= epsilon)
        if kind == .sphere {
            let near = along - halfChord
            let t = (along + halfChord).replacing(with: near, where: near .> epsilon)
            alive .&= .!(t .>= tMax)
            let radius = parameters.x
            return (t, RayPacket(x: (origins.x + t * directions.x - center.x) / radius,
                                 y: (origins.y + t * directions.y - center.y) / radius,
                                 z: (origins.z + t * directions.z - center.z) / radius), alive)
        }
        let relative = RayPacket(x: origins.x - center.x, y: origins.y - center.y, z: origins.z - center.z)
        let o = RayPacket(x: relative.dot(orientation.xAxis), y: relative.dot(orientation.yAxis),
                          z: relative.dot(orientation.zAxis))
        let d = RayPacket(x: directions.dot(orientation.xAxis), y: directions.dot(orientation.yAxis),
                          z: directions.dot(orientation.zAxis))
        var best = tMax
        var normal = RayPacket(x: .zero, y: .zero, z: .zero)
        switch kind {
        case .box:
            intersectBox(o, d, alive: alive, best: &best, normal: &normal)
        case .cylinder:
            let (radius, halfHeight) = (parameters.x, parameters.y)
            intersectSide(o, d, radius: radius, halfLength: halfHeight, alive: alive, best: &best, normal: &normal)
            intersectCaps(o, d, radius: radius, halfHeight: halfHeight, bottomOnly: false, alive: alive,
                          best: &best, normal: &normal)
        case .cone:
            intersectCone(o, d, alive: alive, best: &best, normal: &normal)
            intersectCaps(o, d, radius: parameters.x, halfHeight: parameters.y, bottomOnly: true, alive: alive,
                          best: &best, normal: &normal)
        case .capsule:
            let (radius, halfLength) = (parameters.x, parameters.y)
            intersectSide(o, d, radius: radius, halfLength: halfLength, alive: alive, best: &best, normal: &normal)
            intersectHemisphere(o, d, radius: radius, centerZ: halfLength, alive: alive, best: &best, normal: &normal)
            intersectHemisphere(o, d, radius: radius, centerZ: -halfLength, alive: alive, best: &best, normal: &normal)
        case .icosahedron, .triangularPrism:
            intersectConvex(o, d, planes: planes, alive: alive, best: &best, normal: &normal)
        case .sphere, .plane, .rectangle:
            return (tMax, normal, LaneMask(repeating: false)) // spheres above; flats are not solids
        }
        // toWorld: xAxis * n.x + yAxis * n.y + zAxis * n.z, component by component.
        let (ax, ay, az) = (orientation.xAxis, orientation.yAxis, orientation.zAxis)
        let world = RayPacket(x: ax.x * normal.x + ay.x * normal.y + az.x * normal.z,
                              y: ax.y * normal.x + ay.y * normal.y + az.y * normal.z,
                              z: ax.z * normal.x + ay.z * normal.y + az.z * normal.z)
        return (best, world, alive .& (best .< tMax))
    }

    /// `min(a, b)` of the standard library (`b < a ? b : a`), lane by lane.
    @inline(__always)
    private static func smaller(_ a: Lanes, _ b: Lanes) -> Lanes { a.replacing(with: b, where: b .< a) }

    /// `max(a, b)` of the standard library (`b >= a ? b : a`), lane by lane.
    @inline(__always)
    private static func larger(_ a: Lanes, _ b: Lanes) -> Lanes { a.replacing(with: b, where: b .>= a) }

    /// `|value|` for comparisons (the sign of zero and NaNs do not matter there).
    @inline(__always)
    private static func magnitude(_ value: Lanes) -> Lanes { value.replacing(with: -value, where: value .< 0) }

    /// Sets `best` and `normal` in the lanes `update`.
    @inline(__always)
    private static func record(_ t: Lanes, _ x: Lanes, _ y: Lanes, _ z: Lanes, where update: LaneMask,
                               best: inout Lanes, normal: inout RayPacket) {
        best.replace(with: t, where: update)
        normal.x.replace(with: x, where: update)
        normal.y.replace(with: y, where: update)
        normal.z.replace(with: z, where: update)
    }

    /// The slab test of a box of half extents `parameters.xyz`.
    @inline(__always)
    private func intersectBox(_ o: RayPacket, _ d: RayPacket, alive: LaneMask, best: inout Lanes,
                              normal: inout RayPacket) {
        let epsilon = Self.epsilon
        let (hx, hy, hz) = (parameters.x, parameters.y, parameters.z)
        // Slabs a ray runs parallel to: inside them for all t, or never.
        let (px, py, pz) = (d.x .== 0, d.y .== 0, d.z .== 0)
        var live = alive
        live .&= .!(px .& ((o.x .> hx) .| (o.x .< -hx)))
        live .&= .!(py .& ((o.y .> hy) .| (o.y .< -hy)))
        live .&= .!(pz .& ((o.z .> hz) .| (o.z .< -hz)))
        let (ix, iy, iz) = (1 / d.x, 1 / d.y, 1 / d.z)
        let t1x = ((-hx - o.x) * ix).replacing(with: -.infinity, where: px)
        let t1y = ((-hy - o.y) * iy).replacing(with: -.infinity, where: py)
        let t1z = ((-hz - o.z) * iz).replacing(with: -.infinity, where: pz)
        let t2x = ((hx - o.x) * ix).replacing(with: .infinity, where: px)
        let t2y = ((hy - o.y) * iy).replacing(with: .infinity, where: py)
        let t2z = ((hz - o.z) * iz).replacing(with: .infinity, where: pz)
        let tNear = Self.larger(Self.larger(Self.smaller(t1x, t2x), Self.smaller(t1y, t2y)), Self.smaller(t1z, t2z))
        let tFar = Self.smaller(Self.smaller(Self.larger(t1x, t2x), Self.larger(t1y, t2y)), Self.larger(t1z, t2z))
        live .&= (tNear .<= tFar) .& (tFar .> epsilon)
        let t = tFar.replacing(with: tNear, where: tNear .> epsilon)
        live .&= t .< best
        let (sx, sy, sz) = ((o.x + t * d.x) / hx, (o.y + t * d.y) / hy, (o.z + t * d.z) / hz)
        let (ax, ay, az) = (Self.magnitude(sx), Self.magnitude(sy), Self.magnitude(sz))
        let xFace = (ax .>= ay) .& (ax .>= az)
        let yFace = .!xFace .& (ay .>= az)
        let zFace = .!xFace .& .!yFace
        func sign(_ value: Lanes, _ face: LaneMask) -> Lanes {
            Lanes(repeating: -1).replacing(with: 1, where: value .> 0).replacing(with: 0, where: .!face)
        }
        Self.record(t, sign(sx, xFace), sign(sy, yFace), sign(sz, zFace), where: live, best: &best, normal: &normal)
    }

    /// The side of a z-axis cylinder of `radius` over |z| <= `halfLength`.
    @inline(__always)
    private func intersectSide(_ o: RayPacket, _ d: RayPacket, radius: Float, halfLength: Float, alive: LaneMask,
                               best: inout Lanes, normal: inout RayPacket) {
        let a = d.x * d.x + d.y * d.y
        let b = o.x * d.x + o.y * d.y
        let c = o.x * o.x + o.y * o.y - radius * radius
        let discriminant = b * b - a * c
        var pending = alive .& (a .> 1e-12) .& (discriminant .>= 0)
        let root = discriminant.squareRoot()
        // The nearer root first; a lane that hits there does not try the other.
        func consider(_ t: Lanes) {
            let z = o.z + t * d.z
            let hit = pending .& (t .> Self.epsilon) .& (t .< best) .& (z .<= halfLength) .& (z .>= -halfLength)
            Self.record(t, (o.x + t * d.x) / radius, (o.y + t * d.y) / radius, Lanes(repeating: 0) / radius,
                        where: hit, best: &best, normal: &normal)
            pending .&= .!hit
        }
        consider((-b - root) / a)
        consider((-b + root) / a)
    }

    /// The discs closing a z-axis cylinder or cone at z = +-halfHeight.
    @inline(__always)
    private func intersectCaps(_ o: RayPacket, _ d: RayPacket, radius: Float, halfHeight: Float, bottomOnly: Bool,
                               alive: LaneMask, best: inout Lanes, normal: inout RayPacket) {
        let live = alive .& (d.z .!= 0)
        let radiusSquared = radius * radius
        for cap in 0..<(bottomOnly ? 1 : 2) {
            let side: Float = cap == 0 ? -1 : 1
            let t = (side * halfHeight - o.z) / d.z
            let x = o.x + t * d.x, y = o.y + t * d.y
            let hit = live .& (t .> Self.epsilon) .& (t .< best) .& (x * x + y * y .<= radiusSquared)
            Self.record(t, .zero, .zero, Lanes(repeating: side), where: hit, best: &best, normal: &normal)
        }
    }

    /// The slanted side of a cone with its apex at z = +h and base radius r at z = -h.
    @inline(__always)
    private func intersectCone(_ o: RayPacket, _ d: RayPacket, alive: LaneMask, best: inout Lanes,
                               normal: inout RayPacket) {
        let (halfHeight, slope) = (parameters.y, parameters.z)
        let slopeSquared = slope * slope
        let w0 = halfHeight - o.z
        let a = d.x * d.x + d.y * d.y - slopeSquared * d.z * d.z
        let b = o.x * d.x + o.y * d.y + slopeSquared * w0 * d.z
        let c = o.x * o.x + o.y * o.y - slopeSquared * w0 * w0
        // |a| < 1e-9: one root of the linear equation; otherwise the quadratic's two, in order.
        let linear = (a .< 1e-9) .& (a .> -1e-9)
        let single = -c / (2 * b)
        let discriminant = b * b - a * c
        let root = discriminant.squareRoot()
        let t0 = (-b - root) / a, t1 = (-b + root) / a
        let first = Self.smaller(t0, t1).replacing(with: single, where: linear)
        let second = Self.larger(t0, t1).replacing(with: single, where: linear)
        var pending = alive .& ((linear .& ((b .> 1e-12) .| (b .< -1e-12))) .| (.!linear .& (discriminant .>= 0)))
        func consider(_ t: Lanes) {
            let (px, py, pz) = (o.x + t * d.x, o.y + t * d.y, o.z + t * d.z)
            let hit = pending .& (t .> Self.epsilon) .& (t .< best) .& (pz .>= -halfHeight) .& (pz .<= halfHeight)
            let radial = (px * px + py * py).squareRoot()
            // Vector3(p.x / radial, p.y / radial, slope).normalized; at the apex itself, up.
            let (nx, ny) = (px / radial, py / radial)
            let inverseLength = 1 / (nx * nx + ny * ny + slope * slope).squareRoot()
            let apex = .!(radial .> 0)
            Self.record(t, (nx * inverseLength).replacing(with: 0, where: apex),
                        (ny * inverseLength).replacing(with: 0, where: apex),
                        (slope * inverseLength).replacing(with: 1, where: apex),
                        where: hit, best: &best, normal: &normal)
            pending .&= .!hit
        }
        consider(first)
        consider(second)
    }

    /// The half of a sphere centred at (0, 0, centerZ) that lies beyond the capsule's
    /// cylindrical part (above it for a positive centre, below for a negative one).
    @inline(__always)
    private func intersectHemisphere(_ o: RayPacket, _ d: RayPacket, radius: Float, centerZ: Float, alive: LaneMask,
                                     best: inout Lanes, normal: inout RayPacket) {
        let relative = RayPacket(x: o.x - 0, y: o.y - 0, z: o.z - centerZ)
        let b = relative.dot(d)
        let c = relative.dot(relative) - radius * radius
        let discriminant = b * b - c
        var pending = alive .& (discriminant .>= 0)
        let root = discriminant.squareRoot()
        func consider(_ t: Lanes) {
            let (px, py, pz) = (relative.x + t * d.x, relative.y + t * d.y, relative.z + t * d.z)
            let beyond = centerZ >= 0 ? pz .>= 0 : pz .<= 0
            let hit = pending .& (t .> Self.epsilon) .& (t .< best) .& beyond
            Self.record(t, px / radius, py / radius, pz / radius, where: hit, best: &best, normal: &normal)
            pending .&= .!hit
        }
        consider(-b - root)
        consider(-b + root)
    }

    /// A convex polyhedron given as the intersection of half-spaces `n . p <= offset`.
    @inline(__always)
    private func intersectConvex(_ o: RayPacket, _ d: RayPacket, planes: UnsafeBufferPointer<SIMD4<Float>>,
                                 alive: LaneMask, best: inout Lanes, normal: inout RayPacket) {
        var tEnter = Lanes(repeating: -.infinity), tExit = Lanes(repeating: .infinity)
        var enter = RayPacket(x: .zero, y: .zero, z: .zero), exit = enter
        var live = alive
        for index in planeStart..<(planeStart + planeCount) {
            let plane = planes[index]
            let n = Vector3(plane.x, plane.y, plane.z)
            let denominator = d.dot(n)
            let distance = plane.w - o.dot(n)
            let parallel = denominator .== 0
            live .&= .!(parallel .& (distance .< 0))
            let t = distance / denominator
            let entering = live .& .!parallel .& (denominator .< 0) .& (t .> tEnter)
            let leaving = live .& .!parallel .& .!(denominator .< 0) .& (t .< tExit)
            tEnter.replace(with: t, where: entering)
            enter.x.replace(with: n.x, where: entering)
            enter.y.replace(with: n.y, where: entering)
            enter.z.replace(with: n.z, where: entering)
            tExit.replace(with: t, where: leaving)
            exit.x.replace(with: n.x, where: leaving)
            exit.y.replace(with: n.y, where: leaving)
            exit.z.replace(with: n.z, where: leaving)
            live .&= .!(.!parallel .& (tEnter .> tExit))
        }
        let entered = tEnter .> Self.epsilon
        let enterHit = live .& entered .& (tEnter .< best)
        Self.record(tEnter, enter.x, enter.y, enter.z, where: enterHit, best: &best, normal: &normal)
        let exitHit = live .& .!entered .& (tExit .> Self.epsilon) .& (tExit .< best)
        Self.record(tExit, exit.x, exit.y, exit.z, where: exitHit, best: &best, normal: &normal)
    }
}
