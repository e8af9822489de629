import Foundation
import SceneModel

/// Packet tracing: the rays of a ``RayPacket`` against each shape together.
///
/// Flat shapes (the room's floor and walls, most of what camera and shadow rays test) are
/// intersected in all lanes at once; solids are culled by their bounding sphere in all lanes
/// at once, and only the lanes that pass take the exact per-shape test. Every lane computes
/// what the one-ray code computes, in the same order, so images are bit-identical to tracing
/// one ray at a time.
extension TraceContext {
    /// The nearest surfaces along rays that share `origin`: per lane the distance (infinity
    /// for a miss), the world normal and the shape index (-1 for a miss).
    /// - Parameters:
    ///   - candidates: as for ``closestHit(origin:direction:candidates:originTerms:)``.
    ///   - originTerms: each flat's `originTerm(origin)`, or nil to compute them here.
    @inline(__always)
    func closestHits(origin: Vector3, directions: RayPacket, candidates: UInt64 = .max,
                     originTerms: UnsafeBufferPointer<Float>? = nil)
        -> (t: SIMD4<Float>, normals: RayPacket, shapes: SIMD4<Int32>) {
        // Solid hits are kept per lane in memory and gathered into vectors once, after the
        // solids (see RayPacket.init(_:count:) on store forwarding).
        var (best, normals, hitShapes) = withUnsafeTemporaryAllocation(
            of: (t: Float, normal: Vector3, shape: Int32).self, capacity: 4
        ) { lanes in
            lanes.initialize(repeating: (.infinity, .zero, -1))
            // Solids are read in place (`solids[index]`), not copied: a record is 144 bytes.
            for index in 0..<solids.count where index >= 64 || candidates & (1 << UInt64(index)) != 0 {
                // The bounding-sphere cull of `intersect`, in all lanes; only lanes that pass it go on.
                let toCenter = solids[index].center - origin
                let along = directions.dot(toCenter)
                let distanceSquared = toCenter.dot(toCenter) - along * along
                let maybe = directions.active .& .!(distanceSquared .> solids[index].boundingRadiusSquared)
                guard any(maybe) else { continue }
                for lane in 0..<directions.count where maybe[lane] {
                    if let hit = solids[index].intersect(origin: origin, direction: directions[lane], tMax: lanes[lane].t,
                                                         planes: planes) {
                        lanes[lane] = (hit.t, hit.normal, Int32(solids[index].index))
                    }
                }
            }
            let (a, b, c, d) = (lanes[0], lanes[1], lanes[2], lanes[3])
            return (SIMD4(a.t, b.t, c.t, d.t),
                    RayPacket(x: SIMD4(a.normal.x, b.normal.x, c.normal.x, d.normal.x),
                              y: SIMD4(a.normal.y, b.normal.y, c.normal.y, d.normal.y),
                              z: SIMD4(a.normal.z, b.normal.z, c.normal.z, d.normal.z)),
                    SIMD4(a.shape, b.shape, c.shape, d.shape))
        }
        let active = directions.active
        for index in 0..<flats.count {
            let flat = flats[index]
            let term = SIMD4<Float>(repeating: originTerms?[index] ?? flat.originTerm(origin))
            let hit = flat.intersect(originTerms: term, origins: nil, sharedOrigin: origin, directions: directions,
                                     tMax: best, active: active)
            guard any(hit.mask) else { continue }
            best.replace(with: hit.t, where: hit.mask)
            normals.x.replace(with: flat.normal.x, where: hit.mask)
            normals.y.replace(with: flat.normal.y, where: hit.mask)
            normals.z.replace(with: flat.normal.z, where: hit.mask)
            hitShapes.replace(with: Int32(flat.shape), where: hit.mask)
        }
        return (best, normals, hitShapes)
    }

    /// Per lane, whether any surface lies on the ray from `origins` along `directions`
    /// strictly before `tMax`; inactive lanes come back false.
    @inline(__always)
    func occluded(origins: RayPacket, directions: RayPacket, tMax: SIMD4<Float>,
                  active: SIMDMask<SIMD4<Int32>>) -> SIMDMask<SIMD4<Int32>> {
        var blocked = SIMDMask<SIMD4<Int32>>(repeating: false)
        for index in 0..<solids.count {
            let center = solids[index].center
            let toCenter = RayPacket(x: center.x - origins.x, y: center.y - origins.y, z: center.z - origins.z)
            let along = toCenter.dot(directions)
            let distanceSquared = toCenter.dot(toCenter) - along * along
            let maybe = active .& .!blocked .& .!(distanceSquared .> solids[index].boundingRadiusSquared)
            guard any(maybe) else { continue }
            for lane in 0..<4 where maybe[lane] {
                if solids[index].intersect(origin: origins[lane], direction: directions[lane], tMax: tMax[lane],
                                           planes: planes) != nil {
                    blocked[lane] = true
                }
            }
            if all(blocked .| .!active) { return blocked }
        }
        for flat in flats {
            let terms = flat.offset - origins.dot(flat.normal)
            let hit = flat.intersect(originTerms: terms, origins: origins, sharedOrigin: .zero, directions: directions,
                                     tMax: tMax, active: active .& .!blocked)
            blocked .|= hit.mask
            if all(blocked .| .!active) { return blocked }
        }
        return blocked
    }

    /// Adds, lane by lane in order, the linear radiance arriving along camera rays that share
    /// `origin` to `sum`: what ``radiance(origin:direction:candidates:originTerms:rng:)``
    /// computes for each (direct lighting with shadow rays, Lambertian plus Blinn-Phong, plus
    /// ambient), with the nearest hits and then each light's shadow rays traced as packets.
    /// Area lights draw from `rng` light by light, lane by lane.
    @inline(__always)
    func accumulateRadiance(origin: Vector3, directions: RayPacket, candidates: UInt64 = .max,
                            originTerms: UnsafeBufferPointer<Float>? = nil, rng: inout PCG32, into sum: inout Vector3) {
        let hits = closestHits(origin: origin, directions: directions, candidates: candidates, originTerms: originTerms)
        withUnsafeTemporaryAllocation(of: SurfaceSample.self, capacity: 4) { samples in
            for lane in 0..<4 {
                let shapeIndex = lane < directions.count ? Int(hits.shapes[lane]) : -1
                guard shapeIndex >= 0 else {
                    samples.initializeElement(at: lane, to: SurfaceSample(background: background))
                    continue
                }
                let direction = directions[lane]
                let shape = shapes[shapeIndex]
                let material = materials[shape.materialIndex]
                let point = origin + hits.t[lane] * direction
                var normal = hits.normals[lane]
                if normal.dot(direction) > 0 { normal = -normal }
                let albedo = surfaceColor(material, shape: shape, point: point)
                samples.initializeElement(at: lane, to: SurfaceSample(
                    direction: direction, point: point, normal: normal, albedo: albedo, color: ambient * albedo,
                    shadowOrigin: point + Self.shadowBias * normal, specular: material.specular,
                    shininess: material.shininess))
            }
            for light in lights {
                var anyLit = false
                for lane in 0..<directions.count where samples[lane].surfaced {
                    let (toLight, distance, irradiance) = light.incidence(at: samples[lane].point, rng: &rng)
                    let cosine = samples[lane].normal.dot(toLight)
                    samples[lane].toLight = toLight
                    samples[lane].irradiance = irradiance
                    samples[lane].cosine = cosine
                    samples[lane].shadowLength = distance - Self.shadowBias
                    samples[lane].lit = cosine > 0
                    anyLit = anyLit || cosine > 0
                }
                guard anyLit else { continue }
                // Gathered at fixed lanes, field by field (see RayPacket.init(_:count:)).
                let tMax = SIMD4(samples[0].shadowLength, samples[1].shadowLength, samples[2].shadowLength,
                                 samples[3].shadowLength)
                var lit = SIMD4<Int32>(samples[0].lit ? 1 : 0, samples[1].lit ? 1 : 0, samples[2].lit ? 1 : 0,
                                       samples[3].lit ? 1 : 0) .!= 0
                let origins = RayPacket(
                    x: SIMD4(samples[0].shadowOrigin.x, samples[1].shadowOrigin.x, samples[2].shadowOrigin.x,
                             samples[3].shadowOrigin.x),
                    y: SIMD4(samples[0].shadowOrigin.y, samples[1].shadowOrigin.y, samples[2].shadowOrigin.y,
                             samples[3].shadowOrigin.y),
                    z: SIMD4(samples[0].shadowOrigin.z, samples[1].shadowOrigin.z, samples[2].shadowOrigin.z,
                             samples[3].shadowOrigin.z))
                let toLights = RayPacket(
                    x: SIMD4(samples[0].toLight.x, samples[1].toLight.x, samples[2].toLight.x, samples[3].toLight.x),
                    y: SIMD4(samples[0].toLight.y, samples[1].toLight.y, samples[2].toLight.y, samples[3].toLight.y),
                    z: SIMD4(samples[0].toLight.z, samples[1].toLight.z, samples[2].toLight.z, samples[3].toLight.z))
                lit .&= .!occluded(origins: origins, directions: toLights, tMax: tMax, active: lit)
                for lane in 0..<directions.count where lit[lane] {
                    samples[lane].addLight()
                }
            }
            for lane in 0..<directions.count { sum += samples[lane].color }
            samples.deinitialize()
        }
    }
}

/// One camera sample's surface point while its packet's shadow rays are traced: what
/// shading needs before and after the occlusion test.
struct SurfaceSample {
    var direction: Vector3
    var point: Vector3
    var normal: Vector3
    var albedo: Vector3
    /// The radiance gathered so far: background, or ambient plus the unoccluded lights.
    var color: Vector3
    var shadowOrigin: Vector3
    var specular: Float
    var shininess: Float
    /// Whether the camera ray hit a surface.
    var surfaced: Bool
    /// The current light's direction, irradiance and cosine at the point, the length of the
    /// shadow ray towards it, and whether the point faces it.
    var toLight = Vector3.zero
    var irradiance = Vector3.zero
    var cosine: Float = 0
    var shadowLength: Float = 0
    var lit = false

    /// A sample whose camera ray hit a surface.
    @inline(__always)
    init(direction: Vector3, point: Vector3, normal: Vector3, albedo: Vector3, color: Vector3, shadowOrigin: Vector3,
         specular: Float, shininess: Float) {
        self.direction = direction
        self.point = point
        self.normal = normal
        self.albedo = albedo
        self.color = color
        self.shadowOrigin = shadowOrigin
        self.specular = specular
        self.shininess = shininess
        surfaced = true
    }

    /// A sample whose camera ray left the scene (or an inactive lane).
    @inline(__always)
    init(background: Vector3) {
        self.init(direction: .zero, point: .zero, normal: .zero, albedo: .zero, color: background, shadowOrigin: .zero,
                  specular: 0, shininess: 0)
        surfaced = false
    }

    /// Adds the current light's Lambertian and Blinn-Phong terms (the light is not occluded).
    @inline(__always)
    mutating func addLight() {
        color += albedo * irradiance * cosine
        if specular > 0 {
            let halfway = (toLight - direction).normalized
            let alignment = max(normal.dot(halfway), 0)
            color += irradiance * (specular * pow(alignment, shininess))
        }
    }
}

extension CompiledScene.FlatRecord {
    /// ``intersect(originTerm:origin:direction:tMax:)`` in every lane: the hit distances and
    /// which lanes hit (among `active`). `origins` nil means every lane starts at `sharedOrigin`.
    @inline(__always)
    func intersect(originTerms: SIMD4<Float>, origins: RayPacket?, sharedOrigin: Vector3, directions: RayPacket,
                   tMax: SIMD4<Float>, active: SIMDMask<SIMD4<Int32>>) -> (t: SIMD4<Float>, mask: SIMDMask<SIMD4<Int32>>) {
        let denominator = directions.dot(normal)
        let t = originTerms / denominator
        var mask = active .& (denominator .!= 0) .& (t .> CompiledScene.ShapeRecord.epsilon) .& (t .< tMax)
        guard any(mask) else { return (t, mask) }
        let local: RayPacket
        if let origins {
            local = RayPacket(x: origins.x + t * directions.x - center.x, y: origins.y + t * directions.y - center.y,
                              z: origins.z + t * directions.z - center.z)
        } else {
            local = RayPacket(x: sharedOrigin.x + t * directions.x - center.x,
                              y: sharedOrigin.y + t * directions.y - center.y,
                              z: sharedOrigin.z + t * directions.z - center.z)
        }
        // |u| <= half written as two comparisons (no SIMD abs in the standard library); NaN fails both ways.
        let u = local.dot(xAxis), v = local.dot(yAxis)
        mask .&= (u .<= halfX) .& (u .>= -halfX) .& (v .<= halfY) .& (v .>= -halfY)
        return (t, mask)
    }
}
