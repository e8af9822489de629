import Foundation
import Testing
@testable import RayTracer
@testable import RenderKernel

/// Packet tracing must give, lane by lane, exactly what tracing one ray gives: the renderer
/// relies on it for images that do not depend on how samples are grouped.
@Suite("Packet tracing")
struct PacketTests {
    /// A room with one solid of every kind, turned this way and that, and a point light.
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
                     shapes: room.shapes + solids, lights: [Light(kind: .point(position: [0.3, 0.2, 2.8]), intensity: 6)])
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

    @Test("nearest hits of packets of 1 to 4 rays equal one-ray hits, bit for bit, for every shape kind")
    func nearestHits() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            var solidHits = 0
            for trial in 0..<400 {
                let origin = numbers.point()
                var directions = RayPacket()
                let count = trial % 4 + 1
                for _ in 0..<count { directions.append(numbers.direction()) }
                let packet = context.closestHits(origin: origin, directions: directions)
                for lane in 0..<count {
                    let one = context.closestHit(origin: origin, direction: directions[lane])
                    #expect(Int(packet.shapes[lane]) == (one?.shape ?? -1))
                    if let one {
                        #expect(packet.t[lane] == one.t && packet.normals[lane] == one.normal)
                        if one.shape >= 5 { solidHits += 1 }
                    }
                }
            }
            #expect(solidHits > 50, "the rays must meet the solids often enough to test them: \(solidHits)")
        }
    }

    @Test("a packet's shadow rays are blocked exactly when a surface lies before their length")
    func shadowRays() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            var blockedCount = 0, clearCount = 0
            for _ in 0..<300 {
                var origins = RayPacket(), directions = RayPacket()
                var lengths = SIMD4<Float>(repeating: 0)
                for lane in 0..<4 {
                    let (from, to) = (numbers.point(), numbers.point())
                    origins.append(from)
                    directions.append((to - from).normalized)
                    lengths[lane] = (to - from).length
                }
                let active = SIMD4<Int32>(1, 1, 0, 1) .!= 0
                let blocked = context.occluded(origins: origins, directions: directions, tMax: lengths, active: active)
                for lane in 0..<4 {
                    let nearest = context.closestHit(origin: origins[lane], direction: directions[lane])
                    let expected = active[lane] && nearest.map { $0.t < lengths[lane] } == true
                    #expect(blocked[lane] == expected)
                    if active[lane] { if expected { blockedCount += 1 } else { clearCount += 1 } }
                }
            }
            #expect(blockedCount > 50 && clearCount > 50, "blocked \(blockedCount), clear \(clearCount)")
        }
    }

    @Test("a four-sample packet's radiance equals the one-ray radiances summed in order")
    func radiance() {
        var numbers = Numbers()
        CompiledScene(scene: scene).withTraceContext { context in
            for _ in 0..<200 {
                let origin = numbers.point()
                var directions = RayPacket()
                for _ in 0..<4 { directions.append(numbers.direction()) }
                var rng = PCG32(seed: 1, stream: 1)
                var packetSum = Vector3.zero
                context.accumulateRadiance(origin: origin, directions: directions, rng: &rng, into: &packetSum)
                var oneSum = Vector3.zero
                for lane in 0..<4 { oneSum += context.radiance(origin: origin, direction: directions[lane], rng: &rng) }
                #expect(packetSum == oneSum)
            }
        }
    }
}
