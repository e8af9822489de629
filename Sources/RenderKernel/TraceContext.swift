import Foundation
import SceneModel

/// The compiled scene seen through unsafe buffer pointers, valid inside
/// ``CompiledScene/withTraceContext(_:)``: what every per-ray loop works on, so that
/// tracing does no reference counting.
struct TraceContext {
    let shapes: UnsafeBufferPointer<CompiledScene.ShapeRecord>
    let flats: UnsafeBufferPointer<CompiledScene.FlatRecord>
    let solids: UnsafeBufferPointer<CompiledScene.ShapeRecord>
    let planes: UnsafeBufferPointer<SIMD4<Float>>
    let materials: UnsafeBufferPointer<CompiledScene.MaterialRecord>
    let lights: UnsafeBufferPointer<CompiledScene.LightRecord>
    let ambient: Vector3
    let background: Vector3

    /// Offset along the surface normal for shadow-ray origins, against self-intersection.
    static let shadowBias: Float = 1e-3

    /// The nearest surface along a ray: distance, world normal and shape index.
    /// - Parameter candidates: bit `i` clear means solid `i` cannot be on this ray (camera
    ///   rays outside its projected bounds); solids from the 64th on are always tested.
    /// - Parameter originTerms: when rays share this origin (a view's camera rays), each
    ///   flat's `originTerm(origin)`, computed once per view.
    @inline(__always)
    func closestHit(origin: Vector3, direction: Vector3, candidates: UInt64 = .max,
                    originTerms: UnsafeBufferPointer<Float>? = nil) -> (t: Float, normal: Vector3, shape: Int)? {
        var best = Float.infinity
        var bestNormal = Vector3.zero
        var bestShape = -1
        for (index, solid) in solids.enumerated() where index >= 64 || candidates & (1 << UInt64(index)) != 0 {
            if let hit = solid.intersect(origin: origin, direction: direction, tMax: best, planes: planes) {
                best = hit.t
                bestNormal = hit.normal
                bestShape = solid.index
            }
        }
        var bestFlat = -1
        for index in 0..<flats.count {
            let flat = flats[index]
            let term = originTerms?[index] ?? flat.originTerm(origin)
            if let t = flat.intersect(originTerm: term, origin: origin, direction: direction, tMax: best) {
                best = t
                bestFlat = index
            }
        }
        if bestFlat >= 0 {
            bestNormal = flats[bestFlat].normal
            bestShape = flats[bestFlat].shape
        }
        return bestShape < 0 ? nil : (best, bestNormal, bestShape)
    }

    /// Linear radiance arriving along a camera ray: direct lighting with shadow rays,
    /// Lambertian plus Blinn-Phong, plus ambient. `candidates` as for ``closestHit(origin:direction:candidates:originTerms:)``.
    /// One ray is a packet of one lane: see ``accumulateRadiance(origin:directions:candidates:flatCandidates:originTerms:pixels:)``.
    @inline(__always)
    func radiance(origin: Vector3, direction: Vector3, candidates: UInt64 = .max,
                  originTerms: UnsafeBufferPointer<Float>? = nil, rng: inout PCG32) -> Vector3 {
        var directions = RayPacket()
        directions.append(direction)
        var pixels = PacketPixels(rngs: (rng, rng))
        accumulateRadiance(origin: origin, directions: directions, candidates: (candidates, candidates),
                           originTerms: originTerms, pixels: &pixels)
        rng = pixels.rngs.0
        return pixels.sums.0
    }

    /// The material's colour at a surface point, with its texture pattern applied.
    @inline(__always)
    func surfaceColor(_ material: CompiledScene.MaterialRecord, shape: CompiledScene.ShapeRecord,
                      point: Vector3) -> Vector3 {
        guard material.pattern != 0 else { return material.color }
        let local = shape.orientation.toLocal(point - shape.center) * material.inverseScale
        let flat = shape.kind == .plane || shape.kind == .rectangle
        let parity: Int
        switch material.pattern {
        case 1: parity = Self.cell(local.x) + Self.cell(local.y) + (flat ? 0 : Self.cell(local.z))
        case 2: parity = Self.cell(local.x)
        default: parity = Self.cell(local.y)
        }
        return parity & 1 == 0 ? material.color : material.secondColor
    }
}

extension TraceContext {
    /// `floor(v)` as an integer, without a libm call (coordinates here are small).
    @inline(__always)
    static func cell(_ v: Float) -> Int {
        let clamped = min(max(v, -1e9), 1e9)
        let truncated = Int(clamped)
        return clamped < Float(truncated) ? truncated - 1 : truncated
    }
}

extension CompiledScene {
    /// Runs `body` with pointer views of the compiled arrays.
    func withTraceContext<R>(_ body: (TraceContext) throws -> R) rethrows -> R {
        try shapes.withUnsafeBufferPointer { shapes in
            try flats.withUnsafeBufferPointer { flats in
                try solids.withUnsafeBufferPointer { solids in
                    try planes.withUnsafeBufferPointer { planes in
                        try materials.withUnsafeBufferPointer { materials in
                            try lights.withUnsafeBufferPointer { lights in
                                try body(TraceContext(shapes: shapes, flats: flats, solids: solids, planes: planes,
                                                      materials: materials, lights: lights,
                                                      ambient: ambient, background: background))
                            }
                        }
                    }
                }
            }
        }
    }
}
