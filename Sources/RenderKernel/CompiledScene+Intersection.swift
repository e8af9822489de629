import SceneModel

/// Ray-shape intersection: exact analytic solutions in each shape's local frame.
///
/// Rays are `origin + t * direction` with a unit direction; a hit counts when
/// `epsilon < t < tMax`. Normals come back in world space, unit length, pointing out of
/// the solid (or along local +z for planes and rectangles); shading flips them to face the ray.
extension CompiledScene.ShapeRecord {
    /// Hits closer than this are ignored, so that shadow rays leaving a surface do not
    /// re-hit it.
    static let epsilon: Float = 1e-4

    /// The nearest hit with `epsilon < t < tMax`, or nil. Solids only: flat shapes go
    /// through ``CompiledScene/FlatRecord/intersect(origin:direction:tMax:)``.
    @inline(__always)
    func intersect(origin: Vector3, direction: Vector3, tMax: Float,
                   planes: UnsafeBufferPointer<SIMD4<Float>>) -> (t: Float, normal: Vector3)? {
        let epsilon = Self.epsilon
        // Bounding-sphere cull (exact test for spheres).
        let toCenter = center - origin
        let along = toCenter.dot(direction)
        let distanceSquared = toCenter.dot(toCenter) - along * along
        if distanceSquared > boundingRadiusSquared { return nil }
        let halfChord = (boundingRadiusSquared - distanceSquared).squareRoot()
        if along - halfChord >= tMax || along + halfChord <= epsilon { return nil }
        if kind == .sphere {
            let near = along - halfChord
            let t = near > epsilon ? near : along + halfChord
            if t >= tMax { return nil }
            return (t, (origin + t * direction - center) / parameters.x)
        }
        let o = orientation.toLocal(origin - center)
        let d = orientation.toLocal(direction)
        var best = tMax
        var normal = Vector3.zero
        switch kind {
        case .box:
            let half = Vector3(parameters.x, parameters.y, parameters.z)
            // Slabs a ray runs parallel to: inside them for all t, or never.
            let parallel = d .== 0
            if any(parallel .& ((o .> half) .| (o .< -half))) { return nil }
            let inverse = 1 / d
            var t1 = (-half - o) * inverse, t2 = (half - o) * inverse
            t1.replace(with: -.infinity, where: parallel)
            t2.replace(with: .infinity, where: parallel)
            let tNear = max(min(t1.x, t2.x), min(t1.y, t2.y), min(t1.z, t2.z))
            let tFar = min(max(t1.x, t2.x), max(t1.y, t2.y), max(t1.z, t2.z))
            guard tNear <= tFar, tFar > epsilon else { return nil }
            let t = tNear > epsilon ? tNear : tFar
            guard t < best else { return nil }
            best = t
            let p = (o + t * d) / half
            let a = Vector3(abs(p.x), abs(p.y), abs(p.z))
            if a.x >= a.y && a.x >= a.z { normal = [p.x > 0 ? 1 : -1, 0, 0] }
            else if a.y >= a.z { normal = [0, p.y > 0 ? 1 : -1, 0] }
            else { normal = [0, 0, p.z > 0 ? 1 : -1] }
        case .cylinder:
            let (radius, halfHeight) = (parameters.x, parameters.y)
            intersectSide(o, d, radius: radius, halfLength: halfHeight, best: &best, normal: &normal)
            intersectCaps(o, d, radius: radius, halfHeight: halfHeight, bottomOnly: false,
                          best: &best, normal: &normal)
        case .cone:
            intersectCone(o, d, best: &best, normal: &normal)
            intersectCaps(o, d, radius: parameters.x, halfHeight: parameters.y, bottomOnly: true,
                          best: &best, normal: &normal)
        case .capsule:
            let (radius, halfLength) = (parameters.x, parameters.y)
            intersectSide(o, d, radius: radius, halfLength: halfLength, best: &best, normal: &normal)
            intersectHemisphere(o, d, radius: radius, centerZ: halfLength, best: &best, normal: &normal)
            intersectHemisphere(o, d, radius: radius, centerZ: -halfLength, best: &best, normal: &normal)
        case .icosahedron, .triangularPrism:
            intersectConvex(o, d, planes: planes, best: &best, normal: &normal)
        case .sphere, .plane, .rectangle:
            return nil // handled above
        }
        guard best < tMax else { return nil }
        return (best, orientation.toWorld(normal))
    }

    /// The side of a z-axis cylinder of `radius` over |z| <= `halfLength`.
    @inline(__always)
    private func intersectSide(_ o: Vector3, _ d: Vector3, radius: Float, halfLength: Float,
                               best: inout Float, normal: inout Vector3) {
        let a = d.x * d.x + d.y * d.y
        guard a > 1e-12 else { return }
        let b = o.x * d.x + o.y * d.y
        let c = o.x * o.x + o.y * o.y - radius * radius
        let discriminant = b * b - a * c
        guard discriminant >= 0 else { return }
        let root = discriminant.squareRoot()
        let roots = SIMD2((-b - root) / a, (-b + root) / a)
        for index in 0..<2 {
            let t = roots[index]
            guard t > Self.epsilon && t < best else { continue }
            let z = o.z + t * d.z
            if abs(z) <= halfLength {
                best = t
                normal = Vector3(o.x + t * d.x, o.y + t * d.y, 0) / radius
                return
            }
        }
    }

    /// The discs closing a z-axis cylinder or cone at z = +-halfHeight.
    @inline(__always)
    private func intersectCaps(_ o: Vector3, _ d: Vector3, radius: Float, halfHeight: Float, bottomOnly: Bool,
                               best: inout Float, normal: inout Vector3) {
        guard d.z != 0 else { return }
        let radiusSquared = radius * radius
        for cap in 0..<(bottomOnly ? 1 : 2) {
            let side: Float = cap == 0 ? -1 : 1
            let t = (side * halfHeight - o.z) / d.z
            guard t > Self.epsilon, t < best else { continue }
            let x = o.x + t * d.x, y = o.y + t * d.y
            if x * x + y * y <= radiusSquared {
                best = t
                normal = [0, 0, side]
            }
        }
    }

    /// The slanted side of a cone with its apex at z = +h and base radius r at z = -h.
    @inline(__always)
    private func intersectCone(_ o: Vector3, _ d: Vector3, best: inout Float, normal: inout Vector3) {
        let (halfHeight, slope) = (parameters.y, parameters.z)
        let slopeSquared = slope * slope
        // Radius at height z is slope * (h - z); with w = h - z the side is x^2 + y^2 = slope^2 w^2.
        let w0 = halfHeight - o.z
        let a = d.x * d.x + d.y * d.y - slopeSquared * d.z * d.z
        let b = o.x * d.x + o.y * d.y + slopeSquared * w0 * d.z
        let c = o.x * o.x + o.y * o.y - slopeSquared * w0 * w0
        var candidates: SIMD2<Float>
        if abs(a) < 1e-9 {
            guard abs(b) > 1e-12 else { return }
            let t = -c / (2 * b)
            candidates = SIMD2(t, t)
        } else {
            let discriminant = b * b - a * c
            guard discriminant >= 0 else { return }
            let root = discriminant.squareRoot()
            let t0 = (-b - root) / a, t1 = (-b + root) / a
            candidates = SIMD2(min(t0, t1), max(t0, t1))
        }
        let roots = candidates
        for index in 0..<2 {
            let t = roots[index]
            guard t > Self.epsilon && t < best else { continue }
            let p = o + t * d
            if p.z >= -halfHeight && p.z <= halfHeight {
                let radial = (p.x * p.x + p.y * p.y).squareRoot()
                best = t
                // At the apex itself the normal is undefined; point it up.
                normal = radial > 0 ? Vector3(p.x / radial, p.y / radial, slope).normalized : [0, 0, 1]
                return
            }
        }
    }

    /// The half of a sphere centred at (0, 0, centerZ) that lies beyond the capsule's
    /// cylindrical part (above it for a positive centre, below for a negative one).
    @inline(__always)
    private func intersectHemisphere(_ o: Vector3, _ d: Vector3, radius: Float, centerZ: Float,
                                     best: inout Float, normal: inout Vector3) {
        let relative = o - Vector3(0, 0, centerZ)
        let b = relative.dot(d)
        let c = relative.dot(relative) - radius * radius
        let discriminant = b * b - c
        guard discriminant >= 0 else { return }
        let root = discriminant.squareRoot()
        let roots = SIMD2(-b - root, -b + root)
        for index in 0..<2 {
            let t = roots[index]
            guard t > Self.epsilon && t < best else { continue }
            let p = relative + t * d
            if (centerZ >= 0 && p.z >= 0) || (centerZ < 0 && p.z <= 0) {
                best = t
                normal = p / radius
                return
            }
        }
    }

    /// A convex polyhedron given as the intersection of half-spaces `n . p <= offset`.
    @inline(__always)
    private func intersectConvex(_ o: Vector3, _ d: Vector3, planes: UnsafeBufferPointer<SIMD4<Float>>,
                                 best: inout Float, normal: inout Vector3) {
        var tEnter = -Float.infinity, tExit = Float.infinity
        var enterNormal = Vector3.zero, exitNormal = Vector3.zero
        for index in planeStart..<(planeStart + planeCount) {
            let plane = planes[index]
            let n = Vector3(plane.x, plane.y, plane.z)
            let denominator = n.dot(d)
            let distance = plane.w - n.dot(o)
            if denominator == 0 {
                if distance < 0 { return }
                continue
            }
            let t = distance / denominator
            if denominator < 0 {
                if t > tEnter { tEnter = t; enterNormal = n }
            } else if t < tExit {
                tExit = t
                exitNormal = n
            }
            if tEnter > tExit { return }
        }
        if tEnter > Self.epsilon {
            if tEnter < best { best = tEnter; normal = enterNormal }
        } else if tExit > Self.epsilon && tExit < best {
            best = tExit
            normal = exitNormal
        }
    }
}

extension CompiledScene.FlatRecord {
    /// The hit distance with `epsilon < t < tMax`, or nil. The plane distance comes first,
    /// in world space: most rays (and almost all shadow rays in a room) stop there.
    @inline(__always)
    func intersect(origin: Vector3, direction: Vector3, tMax: Float) -> Float? {
        intersect(originTerm: originTerm(origin), origin: origin, direction: direction, tMax: tMax)
    }

    /// `offset - normal . origin`: the part of the plane test that rays sharing an origin
    /// (a view's camera rays) share.
    @inline(__always)
    func originTerm(_ origin: Vector3) -> Float { offset - normal.dot(origin) }

    /// ``intersect(origin:direction:tMax:)`` with the origin's term already computed.
    @inline(__always)
    func intersect(originTerm: Float, origin: Vector3, direction: Vector3, tMax: Float) -> Float? {
        let denominator = normal.dot(direction)
        guard denominator != 0 else { return nil }
        let t = originTerm / denominator
        guard t > CompiledScene.ShapeRecord.epsilon, t < tMax else { return nil }
        let local = origin + t * direction - center
        guard abs(local.dot(xAxis)) <= halfX, abs(local.dot(yAxis)) <= halfY else { return nil }
        return t
    }
}
