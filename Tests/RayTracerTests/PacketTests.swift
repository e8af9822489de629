import Foundation
import Testing
@testable import RayTracer
@testable import RenderKernel

/// Packet tracing must give, lane by lane, exactly what tracing one ray gives: the renderer
/// relies on it for images that do not depend on how samples are grouped.
@Suite("Packet tracing")
struct PacketTests {
    /// A room with one solid of every kind, turned this way and that, a point light and an
    /// area light (whose samples come from each pixel's stream).
    let scene: Scene = {
        let room = Room(floor: Material(color: [0.8, 0.8, 0.8], texture: .checker(secondColor: [0.3, 0.3, 0.3], scale: 0.5)),
                        walls: Material(color: [0.6, 0.3, 0.2]))
        let kinds: [ShapeKind] = [.box, .sphere, .cylinder, .cone, .capsule, .icosahedron, .triangularPrism]
        let solids = kinds.enumerated().map { index, kind in
            let angle = Float(index) * 2 * .pi / Float(kinds.count)
            return Shape(kind: kind, position: [2 * cos(angle), 2 * sin(angle), 0.6],
                         size: kind == .capsule ? [0.6, 0.6, 1.2] : [0.9, 0.8, 1.0],
                         orientation: Orientation(yaw: angle, pitch: 0.3 * Float(index % 3), roll: 0.2 * Float(index % 2)),
                         material: Material(color: [0.2, 0.5, 0.9], specular: 0.4), instanceID: UInt8(index + 1))
        }
        return Scene(camera: Camera(position: [0, -3, 1.5], lookingAt: [0, 0, 0.5], width: 8, height: 8),
                     shapes: room.shapes + solids,
                     lights: [Light(kind: .point(position: [0.3, 0.2, 2.8]), intensity: 6),
                              Light(kind: .area(center: [-1, 0.5, 2.9], edgeU: [0.8, 0, 0], edgeV: [0, 0.6, 0]),
                                    intensity: 4)])
    }()

    /// Deterministic pseudo-random numbers in [0, 1).
    struct Numbers {
        var rng = PCG32(seed: 99, stream: 3)
        mutating func next(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + rng.nextFloat() * (range.upperBound - range.lowerBound)
        }
        mutating func direction() -> Vector3 {
            Vector3(next(-1...1), next(-1...1), next(-0.8...0.6)).normalized
        }
        mutating func point() -> Vector3 { Vector3(next(-3.2...3.2), next(-3.2...3.2), next(0.05...2.9)) }
    }

    /// A packet whose two pixel groups hold `counts.0` and `counts.1` random rays.
    static func packet(counts: (Int, Int), numbers: inout Numbers) -> RayPacket {
        withUnsafeTemporaryAllocation(of: Vector3.self, capacity: RayPacket.width) { lanes in
            var active = LaneMask(repeating: false)
            for (group, count) in [counts.0, counts.1].enumerated() {
                for lane in group * RayPacket.groupWidth..<(group * RayPacket.groupWidth + count) {
                    lanes.initializeElement(at: lane, to: numbers.direction())
                    active[lane] = true
                }
            }
            return RayPacket(lanes, active: active)
        }
    }

    @Test("nearest hits of packets of 1 to 8 rays, in either pixel group, equal one-ray hits bit for bit, for every shape kind")
    func nearestHits() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            var solidHits = 0
            var hitsPerShape = [Int: Int]()
            for trial in 0..<600 {
                let origin = numbers.point()
                // Prefixes of 1 to 8 lanes, then groups with gaps (the second pixel's rays alone too).
                var directions = RayPacket()
                if trial < 400 {
                    for _ in 0..<(trial % 8 + 1) { directions.append(numbers.direction()) }
                } else {
                    directions = Self.packet(counts: (trial % 5 == 0 ? 0 : trial % 4 + 1, trial % 5 == 0 ? 3 : trial % 5),
                                             numbers: &numbers)
                }
                let packet = context.closestHits(origin: origin, directions: directions)
                for lane in 0..<RayPacket.width where directions.active[lane] {
                    let one = context.closestHit(origin: origin, direction: directions[lane])
                    #expect(Int(packet.shapes[lane]) == (one?.shape ?? -1))
                    if let one {
                        #expect(packet.t[lane] == one.t && packet.normals[lane] == one.normal)
                        if one.shape >= 5 { solidHits += 1 }
                        hitsPerShape[one.shape, default: 0] += 1
                    }
                }
            }
            #expect(solidHits > 50, "the rays must meet the solids often enough to test them: \(solidHits)")
            // Every solid kind (shapes 5-11) met, so that each kind's packet test is compared.
            #expect((5..<12).allSatisfy { hitsPerShape[$0, default: 0] >= 3 }, "hits per shape: \(hitsPerShape)")
        }
    }

    @Test("each solid's packet test equals its one-ray test lane by lane, axis-parallel and grazing rays included")
    func solidPacketTest() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            for solid in context.solids {
                var hits = 0
                for trial in 0..<300 {
                    // Origins around the solid; directions at it with some jitter, every third
                    // packet with components snapped to zero (rays parallel to the slabs and caps).
                    var origins = RayPacket(), directions = RayPacket()
                    var tMax = Lanes(repeating: .infinity)
                    for lane in 0..<RayPacket.width {
                        let origin = solid.center + Vector3(numbers.next(-2...2), numbers.next(-2...2), numbers.next(-2...2))
                        var direction = (solid.center - origin + 0.4 * numbers.direction()).normalized
                        if trial % 3 == 0 {
                            let local = solid.orientation.toLocal(direction)
                            let snapped = Vector3(lane & 1 == 0 ? 0 : local.x, lane & 2 == 0 ? 0 : local.y, local.z)
                            direction = solid.orientation.toWorld(snapped == .zero ? [0, 0, 1] : snapped.normalized)
                        }
                        origins.append(origin)
                        directions.append(direction)
                        if lane % 4 == 3 { tMax[lane] = numbers.next(0.5...3) }
                    }
                    let active = Lanes(1, 1, 1, 0, 1, 1, 1, 1) .!= 0
                    let cull = solid.cull(origins: origins, directions: directions)
                    let packet = solid.intersect(origins: origins, directions: directions, cull: cull, tMax: tMax,
                                                 active: active .& cull.passes, planes: context.planes)
                    for lane in 0..<RayPacket.width {
                        let one = active[lane] ? solid.intersect(origin: origins[lane], direction: directions[lane],
                                                                 tMax: tMax[lane], planes: context.planes) : nil
                        #expect(packet.hit[lane] == (one != nil), "\(solid.kind) lane \(lane)")
                        if let one, packet.hit[lane] {
                            #expect(packet.t[lane] == one.t && packet.normal[lane] == one.normal, "\(solid.kind)")
                            hits += 1
                        }
                    }
                }
                #expect(hits > 300, "\(solid.kind): \(hits) hits")
            }
        }
    }

    @Test("each pixel group's rays test only its own candidate solids")
    func candidatesPerGroup() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            var excludedHits = 0
            for trial in 0..<400 {
                let origin = numbers.point()
                let directions = Self.packet(counts: (4, 4), numbers: &numbers)
                // Solid bits drawn per trial: some solids hidden from one group, some from the other.
                let candidates = (UInt64(truncatingIfNeeded: mixSeed(7, UInt64(trial))),
                                  UInt64(truncatingIfNeeded: mixSeed(8, UInt64(trial))))
                let packet = context.closestHits(origin: origin, directions: directions, candidates: candidates)
                for lane in 0..<RayPacket.width {
                    let own = lane < RayPacket.groupWidth ? candidates.0 : candidates.1
                    let one = context.closestHit(origin: origin, direction: directions[lane], candidates: own)
                    let all = context.closestHit(origin: origin, direction: directions[lane])
                    #expect(Int(packet.shapes[lane]) == (one?.shape ?? -1))
                    if one?.shape != all?.shape { excludedHits += 1 }
                }
            }
            #expect(excludedHits > 20, "the candidate sets must change some hits: \(excludedHits)")
        }
    }

    @Test("a packet's shadow rays are blocked exactly when a surface lies before their length")
    func shadowRays() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            var blockedCount = 0, clearCount = 0
            for _ in 0..<300 {
                var origins = RayPacket(), directions = RayPacket()
                var lengths = Lanes(repeating: 0)
                for lane in 0..<RayPacket.width {
                    let (from, to) = (numbers.point(), numbers.point())
                    origins.append(from)
                    directions.append((to - from).normalized)
                    lengths[lane] = (to - from).length
                }
                let active = Lanes(1, 1, 0, 1, 0, 1, 1, 1) .!= 0
                let blocked = context.occluded(origins: origins, directions: directions, tMax: lengths, active: active)
                for lane in 0..<RayPacket.width {
                    let nearest = context.closestHit(origin: origins[lane], direction: directions[lane])
                    let expected = active[lane] && nearest.map { $0.t < lengths[lane] } == true
                    #expect(blocked[lane] == expected)
                    if active[lane] { if expected { blockedCount += 1 } else { clearCount += 1 } }
                }
            }
            #expect(blockedCount > 50 && clearCount > 50, "blocked \(blockedCount), clear \(clearCount)")
        }
    }

    @Test("a two-pixel packet's radiance equals each pixel's one-ray radiances summed in order, from its own stream")
    func radiance() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            for trial in 0..<200 {
                let origin = numbers.point()
                let counts = (trial % 4 + 1, trial % 5)
                let directions = Self.packet(counts: counts, numbers: &numbers)
                let streams = (PCG32(seed: 1, stream: UInt64(trial)), PCG32(seed: 2, stream: UInt64(trial)))
                var pixels = PacketPixels(rngs: streams)
                context.accumulateRadiance(origin: origin, directions: directions, pixels: &pixels)
                var (first, second) = streams
                var (firstSum, secondSum) = (Vector3.zero, Vector3.zero)
                for lane in 0..<counts.0 {
                    firstSum += context.radiance(origin: origin, direction: directions[lane], rng: &first)
                }
                for lane in 0..<counts.1 {
                    secondSum += context.radiance(origin: origin, direction: directions[RayPacket.groupWidth + lane],
                                                  rng: &second)
                }
                #expect(pixels.sums.0 == firstSum && pixels.sums.1 == secondSum)
                #expect(pixels.rngs.0 == first && pixels.rngs.1 == second, "each pixel's stream read as far as alone")
            }
        }
    }
}
