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
    /// for a miss), the world normal and the shape index (-1 for a miss). Shape indices are
    /// floats (exact below 2^24): the standard library compares `SIMD8<Int32>` lanes one by
    /// one through memory, float lanes in one instruction.
    /// - Parameters:
    ///   - candidates: per pixel group, as for ``closestHit(origin:direction:candidates:originTerms:)``.
    ///   - flatCandidates: bit `i` clear means flat `i` cannot be on any of these rays (camera
    ///     rays outside its projected visible part); flats from the 64th on are always tested.
    ///   - originTerms: each flat's `originTerm(origin)`, or nil to compute them here.
    @inline(__always)
    func closestHits(origin: Vector3, directions: RayPacket, candidates: (UInt64, UInt64) = (.max, .max),
                     flatCandidates: UInt64 = .max, originTerms: UnsafeBufferPointer<Float>? = nil)
        -> (t: Lanes, normals: RayPacket, shapes: Lanes) {
        var best = Lanes(repeating: .infinity)
        var normals = RayPacket(x: .zero, y: .zero, z: .zero)
        var hitShapes = Lanes(repeating: -1)
        let origins = RayPacket(x: Lanes(repeating: origin.x), y: Lanes(repeating: origin.y),
                                z: Lanes(repeating: origin.z))
        // Solids are read in place (`solids[index]`), not copied: a record is 144 bytes.
        for index in 0..<solids.count {
            var eligible = directions.active
            if index < 64 {
                // A solid outside a pixel's projected bounds is not tested by its rays.
                let bit = UInt64(1) << UInt64(index)
                let (first, second) = (candidates.0 & bit != 0, candidates.1 & bit != 0)
                guard first || second else { continue }
                if !first { eligible .&= RayPacket.groupLanes(1) }
                if !second { eligible .&= RayPacket.groupLanes(0) }
            }
            let cull = solids[index].cull(origins: origins, directions: directions)
            let maybe = eligible .& cull.passes
            guard any(maybe) else { continue }
            let hit = solids[index].intersect(origins: origins, directions: directions, cull: cull, tMax: best,
                                              active: maybe, planes: planes)
            best.replace(with: hit.t, where: hit.hit)
            normals.x.replace(with: hit.normal.x, where: hit.hit)
            normals.y.replace(with: hit.normal.y, where: hit.hit)
            normals.z.replace(with: hit.normal.z, where: hit.hit)
            hitShapes.replace(with: Float(solids[index].index), where: hit.hit)
        }
        // Flats without branches: which lanes hit a wall is too irregular to predict, and
        // blending eight lanes costs less than a mispredicted jump.
        let active = directions.active
        for index in 0..<flats.count where index >= 64 || flatCandidates & (1 << UInt64(index)) != 0 {
            let flat = flats[index]
            let term = Lanes(repeating: originTerms?[index] ?? flat.originTerm(origin))
            let hit = flat.intersect(originTerms: term, origins: nil, sharedOrigin: origin, directions: directions,
                                     tMax: best, active: active)
            best.replace(with: hit.t, where: hit.mask)
            normals.x.replace(with: flat.normal.x, where: hit.mask)
            normals.y.replace(with: flat.normal.y, where: hit.mask)
            normals.z.replace(with: flat.normal.z, where: hit.mask)
            hitShapes.replace(with: Float(flat.shape), where: hit.mask)
        }
        return (best, normals, hitShapes)
    }

    /// Per lane, whether any surface lies on the ray from `origins` along `directions`
    /// strictly before `tMax`; inactive lanes come back false.
    @inline(__always)
    func occluded(origins: RayPacket, directions: RayPacket, tMax: Lanes, active: LaneMask) -> LaneMask {
        var blocked = LaneMask(repeating: false)
        for index in 0..<solids.count {
            let cull = solids[index].cull(origins: origins, directions: directions)
            let maybe = active .& .!blocked .& cull.passes
            guard any(maybe) else { continue }
            blocked .|= solids[index].intersect(origins: origins, directions: directions, cull: cull, tMax: tMax,
                                                active: maybe, planes: planes).hit
            if all(blocked .| .!active) { return blocked }
        }
        // Flats without branches, as in closestHits.
        for flat in flats {
            let terms = flat.offset - origins.dot(flat.normal)
            let hit = flat.intersect(originTerms: terms, origins: origins, sharedOrigin: .zero, directions: directions,
                                     tMax: tMax, active: active .& .!blocked)
            blocked .|= hit.mask
        }
        return blocked
    }

    /// Adds, lane by lane in order, the linear radiance arriving along camera rays that share
    /// `origin` to their pixels' sums in `pixels`: what
    /// ``radiance(origin:direction:candidates:originTerms:rng:)`` computes for each (direct
    /// lighting with shadow rays, Lambertian plus Blinn-Phong, plus ambient), with the nearest
    /// hits and then each light's shadow rays traced as packets.
    ///
    /// Shading runs on the lanes together too (a ``ShadingPacket``): every lane does the
    /// scalar code's operations in the scalar code's order, so the colours are bit-identical.
    /// Only what differs per lane stays per lane: area-light samples (drawn from the lane's
    /// pixel stream light by light, lane by lane) and the specular power. Textures are looked
    /// up in all lanes once per distinct surface the packet hit (usually one or two).
    @inline(__always)
    func accumulateRadiance(origin: Vector3, directions: RayPacket, candidates: (UInt64, UInt64) = (.max, .max),
                            flatCandidates: UInt64 = .max, originTerms: UnsafeBufferPointer<Float>? = nil,
                            pixels: inout PacketPixels) {
        let hits = closestHits(origin: origin, directions: directions, candidates: candidates,
                               flatCandidates: flatCandidates, originTerms: originTerms)
        let surfaced = directions.active .& (hits.shapes .>= 0)
        // Inactive lanes and misses shade as a harmless shape, masked out below.
        guard any(surfaced) else {
            pixels.add(background, lanes: directions.active)
            return
        }
        var shading = ShadingPacket(background: background)
        let t = hits.t.replacing(with: 0, where: .!surfaced)
        let point = RayPacket(x: origin.x + t * directions.x, y: origin.y + t * directions.y,
                              z: origin.z + t * directions.z)
        let facing = hits.normals.dot(directions) .> 0
        let normal = RayPacket(x: hits.normals.x.replacing(with: -hits.normals.x, where: facing),
                               y: hits.normals.y.replacing(with: -hits.normals.y, where: facing),
                               z: hits.normals.z.replacing(with: -hits.normals.z, where: facing))
        var anySpecular = false
        // Each distinct surface once: its material read once, its texture in all lanes.
        var pending = surfaced
        repeat {
            var lane = 0
            while !pending[lane] { lane += 1 }
            let shape = hits.shapes[lane]
            let same = pending .& (hits.shapes .== shape)
            let material = materials[shapes[Int(shape)].materialIndex]
            let albedo = surfaceColors(material, shape: Int(shape), points: point)
            shading.albedo.x.replace(with: albedo.x, where: same)
            shading.albedo.y.replace(with: albedo.y, where: same)
            shading.albedo.z.replace(with: albedo.z, where: same)
            shading.specular.replace(with: material.specular, where: same)
            shading.shininess.replace(with: material.shininess, where: same)
            anySpecular = anySpecular || material.specular > 0
            pending .&= .!same
        } while any(pending)
        shading.color = RayPacket(x: shading.color.x.replacing(with: ambient.x * shading.albedo.x, where: surfaced),
                                  y: shading.color.y.replacing(with: ambient.y * shading.albedo.y, where: surfaced),
                                  z: shading.color.z.replacing(with: ambient.z * shading.albedo.z, where: surfaced))
        let bias = Self.shadowBias
        let shadowOrigins = RayPacket(x: point.x + bias * normal.x, y: point.y + bias * normal.y,
                                      z: point.z + bias * normal.z)
        for light in lights {
            var toLight: RayPacket, irradiance: RayPacket, tMax: Lanes
            switch light.kind {
            case 0:
                // incidence(at:rng:) for a point light, in all lanes.
                let offset = RayPacket(x: light.vector.x - point.x, y: light.vector.y - point.y,
                                       z: light.vector.z - point.z)
                let distanceSquared = offset.dot(offset)
                let distance = distanceSquared.squareRoot()
                toLight = RayPacket(x: offset.x / distance, y: offset.y / distance, z: offset.z / distance)
                irradiance = RayPacket(x: light.radiance.x / distanceSquared, y: light.radiance.y / distanceSquared,
                                       z: light.radiance.z / distanceSquared)
                tMax = distance - bias
            case 1:
                toLight = RayPacket(x: Lanes(repeating: light.vector.x), y: Lanes(repeating: light.vector.y),
                                    z: Lanes(repeating: light.vector.z))
                irradiance = RayPacket(x: Lanes(repeating: light.radiance.x), y: Lanes(repeating: light.radiance.y),
                                       z: Lanes(repeating: light.radiance.z))
                tMax = Lanes(repeating: .infinity)
            default:
                // Area lights draw from each lane's pixel stream, lane by lane in order.
                toLight = RayPacket(x: .zero, y: .zero, z: .zero)
                irradiance = toLight
                tMax = .zero
                for lane in 0..<RayPacket.width where surfaced[lane] {
                    let incidence = pixels.withStream(ofLane: lane) { light.incidence(at: point[lane], rng: &$0) }
                    toLight[lane] = incidence.toLight
                    irradiance[lane] = incidence.irradiance
                    tMax[lane] = incidence.distance - bias
                }
            }
            let cosine = normal.dot(toLight)
            var lit = surfaced .& (cosine .> 0)
            guard any(lit) else { continue }
            lit .&= .!occluded(origins: shadowOrigins, directions: toLight, tMax: tMax, active: lit)
            guard any(lit) else { continue }
            shading.addLight(toLight: toLight, irradiance: irradiance, cosine: cosine, normal: normal,
                             directions: directions, lit: lit, anySpecular: anySpecular)
        }
        pixels.add(shading.color, lanes: directions.active)
    }
}

extension TraceContext {
    /// ``surfaceColor(_:shape:point:)`` at a packet's points on one shape, lane by lane the same
    /// values: the local coordinates as `toLocal(point - center) * inverseScale`, each cell
    /// as the floor of the coordinate clamped to +-1e9, the parity of their sum.
    @inline(__always)
    func surfaceColors(_ material: CompiledScene.MaterialRecord, shape index: Int, points: RayPacket) -> RayPacket {
        guard material.pattern != 0 else {
            return RayPacket(x: Lanes(repeating: material.color.x), y: Lanes(repeating: material.color.y),
                             z: Lanes(repeating: material.color.z))
        }
        let center = shapes[index].center
        let axes = shapes[index].orientation
        let offset = RayPacket(x: points.x - center.x, y: points.y - center.y, z: points.z - center.z)
        let scale = material.inverseScale
        // Per axis, the lowest bit of the cell index floor(clamped coordinate), as 0 or 1 in a
        // float: f - 2 floor(f / 2) is exact for every integer-valued float (those from 2^24 on
        // are even and give 0), so no lane converts to an integer.
        func parityBits(_ axis: Vector3) -> Lanes {
            var local = offset.dot(axis) * scale
            local.replace(with: -1e9, where: local .< -1e9)
            local.replace(with: 1e9, where: local .> 1e9)
            let cell = local.rounded(.down)
            return cell - 2 * (cell * 0.5).rounded(.down)
        }
        let parity: Lanes
        switch material.pattern {
        case 1:
            let kind = shapes[index].kind
            let flat = kind == .plane || kind == .rectangle
            parity = parityBits(axes.xAxis) + parityBits(axes.yAxis) + (flat ? .zero : parityBits(axes.zAxis))
        case 2: parity = parityBits(axes.xAxis)
        default: parity = parityBits(axes.yAxis)
        }
        // The sum of the bits is even when it is 0 or 2.
        let even = (parity .== 0) .| (parity .== 2)
        let first = material.color, second = material.secondColor
        return RayPacket(x: Lanes(repeating: second.x).replacing(with: first.x, where: even),
                         y: Lanes(repeating: second.y).replacing(with: first.y, where: even),
                         z: Lanes(repeating: second.z).replacing(with: first.z, where: even))
    }
}

/// The surface points of a packet's camera samples while their shadow rays are traced, one
/// `SIMD8` per coordinate: what shading needs before and after each occlusion test.
struct ShadingPacket {
    var albedo = RayPacket(x: .zero, y: .zero, z: .zero)
    /// The radiance gathered so far: background, or ambient plus the unoccluded lights.
    var color: RayPacket
    var specular = Lanes.zero
    var shininess = Lanes.zero

    /// Every lane starts as `background` (a camera ray that leaves the scene).
    @inline(__always)
    init(background: Vector3) {
        color = RayPacket(x: Lanes(repeating: background.x), y: Lanes(repeating: background.y),
                          z: Lanes(repeating: background.z))
    }

    /// Adds one light's Lambertian and Blinn-Phong terms in the `lit` lanes (those facing
    /// the light and not occluded), as the scalar code does: `albedo * irradiance * cosine`,
    /// then `irradiance * (specular * alignment^shininess)` where the material is specular.
    @inline(__always)
    mutating func addLight(toLight: RayPacket, irradiance: RayPacket, cosine: Lanes, normal: RayPacket,
                           directions: RayPacket, lit: LaneMask, anySpecular: Bool) {
        color.x.replace(with: color.x + albedo.x * irradiance.x * cosine, where: lit)
        color.y.replace(with: color.y + albedo.y * irradiance.y * cosine, where: lit)
        color.z.replace(with: color.z + albedo.z * irradiance.z * cosine, where: lit)
        guard anySpecular else { return }
        let shiny = lit .& (specular .> 0)
        guard any(shiny) else { return }
        // halfway = (toLight - direction).normalized, i.e. scaled by 1 / length.
        let half = RayPacket(x: toLight.x - directions.x, y: toLight.y - directions.y, z: toLight.z - directions.z)
        let inverseLength = 1 / half.dot(half).squareRoot()
        let halfway = RayPacket(x: half.x * inverseLength, y: half.y * inverseLength, z: half.z * inverseLength)
        let alignment = normal.dot(halfway)
        var strength = Lanes.zero
        for lane in 0..<RayPacket.width where shiny[lane] {
            strength[lane] = specular[lane] * pow(max(alignment[lane], 0), shininess[lane])
        }
        color.x.replace(with: color.x + irradiance.x * strength, where: shiny)
        color.y.replace(with: color.y + irradiance.y * strength, where: shiny)
        color.z.replace(with: color.z + irradiance.z * strength, where: shiny)
    }
}

extension CompiledScene.FlatRecord {
    /// ``intersect(originTerm:origin:direction:tMax:)`` in every lane: the hit distances and
    /// which lanes hit (among `active`). `origins` nil means every lane starts at `sharedOrigin`.
    /// No branch: the callers blend the hits in by the mask.
    @inline(__always)
    func intersect(originTerms: Lanes, origins: RayPacket?, sharedOrigin: Vector3, directions: RayPacket,
                   tMax: Lanes, active: LaneMask) -> (t: Lanes, mask: LaneMask) {
        let denominator = directions.dot(normal)
        let t = originTerms / denominator
        var mask = active .& (denominator .!= 0) .& (t .> CompiledScene.ShapeRecord.epsilon) .& (t .< tMax)
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
