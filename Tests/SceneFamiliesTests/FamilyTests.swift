import Foundation
import Testing
import RayTracer
@testable import SceneFamilies

/// The shipped family specs, loaded from `Scenes/`.
enum Families {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenes")

    static func load(_ name: String) throws -> FamilySpec {
        try FamilySpec.load(contentsOf: directory.appendingPathComponent("\(name).json"))
    }
}

@Suite("Scene families")
struct FamilyTests {
    @Test("the shipped specs load with the GQN settings")
    func shippedSpecs() throws {
        let ring = try Families.load("rooms_ring_camera")
        #expect(ring.views == 10 && ring.imageSize == 64)
        guard case .rooms(let room, let objects) = ring.content else {
            Issue.record("rooms_ring_camera is not a rooms family")
            return
        }
        #expect(room.walls.count == 5 && room.floors.count == 3)
        #expect(room.width == 7 && room.depth == 7)
        #expect(objects.count == 1...3)
        #expect(Set(objects.shapes.map(\.kind)) == [.box, .sphere, .cylinder, .capsule, .cone, .icosahedron, .triangularPrism])
        let free = try Families.load("rooms_free_camera")
        guard case .free = free.camera else {
            Issue.record("rooms_free_camera does not use free cameras")
            return
        }
        let shepard = try Families.load("shepard_metzler")
        #expect(shepard.views == 15)
        guard case .shepardMetzler(let parts) = shepard.content else {
            Issue.record("shepard_metzler is not a Shepard-Metzler family")
            return
        }
        #expect(parts.parts == 7)
    }

    @Test("a scene is a pure function of (spec, seed, index)")
    func purity() throws {
        let family = SceneFamily(spec: try Families.load("rooms_ring_camera"))
        let a = family.sample(index: 17, seed: 3)
        let b = family.sample(index: 17, seed: 3)
        _ = family.sample(index: 5, seed: 3) // sampling other scenes in between changes nothing
        let c = family.sample(index: 17, seed: 3)
        #expect(a.scene == b.scene && a.scene == c.scene && a.cameras == c.cameras && a.groundTruth == c.groundTruth)
        #expect(a.seed == c.seed)
        #expect(family.sample(index: 18, seed: 3).groundTruth != a.groundTruth)
        #expect(family.sample(index: 17, seed: 4).groundTruth != a.groundTruth)
    }

    @Test("objects lie inside the room, on the floor, and do not overlap")
    func placement() throws {
        for name in ["rooms_ring_camera", "rooms_free_camera"] {
            let spec = try Families.load(name)
            guard case .rooms(let room, let objects) = spec.content else { continue }
            let family = SceneFamily(spec: spec)
            var counts = [Int](repeating: 0, count: 4)
            for index in 0..<300 {
                let truth = family.sample(index: index, seed: 11).groundTruth
                counts[truth.objects.count] += 1
                for (i, object) in truth.objects.enumerated() {
                    let radius = SceneFamily.footprintRadius(object.size)
                    #expect(abs(object.position.x) + radius <= room.width / 2 - objects.wallMargin + 1e-4)
                    #expect(abs(object.position.y) + radius <= room.depth / 2 - objects.wallMargin + 1e-4)
                    #expect(object.position.z > 0 && object.position.z < room.height)
                    for other in truth.objects[(i + 1)...] {
                        let distance = (SIMD2(object.position.x, object.position.y) - SIMD2(other.position.x, other.position.y))
                        let gap = (distance * distance).sum().squareRoot() - radius - SceneFamily.footprintRadius(other.size)
                        #expect(gap >= objects.gap - 1e-4, "scene \(index): objects \(gap) apart")
                    }
                }
            }
            #expect(counts[0] == 0, "every scene has an object")
            #expect(counts[1] > 50 && counts[2] > 50 && counts[3] > 50, "1, 2 and 3 objects all occur: \(counts)")
        }
    }

    @Test("objects rest on the floor: their lowest point is at z = 0")
    func resting() throws {
        // Trace straight down next to... rather: trace upwards from below the floor level
        // is blocked by the floor, so check the geometry directly: a ray from far below
        // along +z through the centre hits the object's bottom at z = 0.
        for kind in [ShapeKind.box, .sphere, .cylinder, .capsule, .cone, .icosahedron, .triangularPrism] {
            let size: Vector3 = kind == .capsule ? [0.6, 0.6, 1.2] : [1, 0.8, 0.9]
            let uniform = kind == .sphere || kind == .icosahedron ? Vector3(repeating: 1) : size
            let z = SceneFamily.restingHeight(kind, size: uniform)
            let shape = Shape(kind: kind, position: [0, 0, z], size: uniform, material: Material(color: [1, 1, 1]))
            let scene = Scene(camera: Camera(position: [0, 0, -5], yaw: 0, pitch: .pi / 2, width: 1, height: 1),
                              shapes: [shape], lights: [], ambient: [1, 1, 1])
            let view = Renderer(scene: scene).render(settings: RenderSettings(samplesPerSide: 1, depth: true))
            // The camera at z = -5 looks straight up: depth to the lowest point is 5 m.
            let depth = try #require(view.depthMillimetres?.first)
            #expect(abs(Int(depth) - 5000) <= 2, "\(kind): bottom at \(Double(depth) / 1000 - 5)")
        }
    }

    @Test("free cameras stay inside the room and outside every object")
    func freeCameras() throws {
        let spec = try Families.load("rooms_free_camera")
        guard case .rooms(let room, _) = spec.content, case .free(_, _, _, let margin, let clearance) = spec.camera else {
            Issue.record("unexpected spec")
            return
        }
        let family = SceneFamily(spec: spec)
        for index in 0..<200 {
            let sampled = family.sample(index: index, seed: 2)
            for camera in sampled.cameras {
                #expect(abs(camera.position.x) <= room.width / 2 - margin + 1e-4)
                #expect(abs(camera.position.y) <= room.depth / 2 - margin + 1e-4)
                #expect(camera.position.z > 0 && camera.position.z < room.height)
                #expect(!SceneFamily.isNearObject(camera.position, objects: sampled.groundTruth.objects, clearance: clearance),
                        "scene \(index): camera \(camera.position) inside an object's clearance")
            }
        }
    }

    @Test("ring cameras sit on the ring and look at the target")
    func ringCameras() throws {
        let spec = try Families.load("rooms_ring_camera")
        guard case .ring(let radius, let height, let target) = spec.camera else {
            Issue.record("unexpected spec")
            return
        }
        let sampled = SceneFamily(spec: spec).sample(index: 0, seed: 0)
        #expect(sampled.cameras.count == 10)
        for camera in sampled.cameras {
            let r = Double((camera.position.x * camera.position.x + camera.position.y * camera.position.y).squareRoot())
            #expect(r >= radius.lowerBound - 1e-4 && r <= radius.upperBound + 1e-4)
            #expect(height.contains(Double(camera.position.z)))
            let toTarget = (Vector3(0, 0, Float(target.lowerBound)) - camera.position).normalized
            #expect((camera.forward - toTarget).length < 1e-4)
        }
    }

    @Test("Shepard-Metzler chains: 7 unit cubes face to face, no cell twice")
    func shepardMetzler() throws {
        let spec = try Families.load("shepard_metzler")
        guard case .shepardMetzler(let parts) = spec.content else {
            Issue.record("shepard_metzler.json is not a Shepard-Metzler spec: \(spec.content)")
            return
        }
        let family = SceneFamily(spec: spec)
        for index in 0..<100 {
            let objects = family.sample(index: index, seed: 9).groundTruth.objects
            #expect(objects.count == parts.parts)
            let cells = objects.map { ($0.position / parts.cubeSize) }
            for i in 1..<cells.count {
                #expect(abs((cells[i] - cells[i - 1]).length - 1) < 1e-3, "consecutive cubes share a face")
            }
            let rounded = Set(cells.map { SIMD3<Int>(Int(($0.x * 2).rounded()), Int(($0.y * 2).rounded()), Int(($0.z * 2).rounded())) })
            #expect(rounded.count == cells.count)
        }
    }

    @Test("every object is visible in at least one view of most scenes")
    func visibility() throws {
        for (name, threshold) in [("rooms_ring_camera", 0.95), ("rooms_free_camera", 0.8), ("shepard_metzler", 0.95)] {
            let spec = try Families.load(name).overriding(imageSize: 32, samplesPerPixel: 1)
            let family = SceneFamily(spec: spec)
            let scenes = 60
            var fullyVisible = 0
            for index in 0..<scenes {
                let sampled = family.sample(index: index, seed: 5)
                let renderer = Renderer(scene: sampled.scene)
                var seen = Set<UInt8>()
                for camera in sampled.cameras {
                    let view = renderer.render(camera: camera, settings: RenderSettings(samplesPerSide: 1, instanceMask: true))
                    seen.formUnion(view.instanceMask ?? [])
                }
                if (1...sampled.groundTruth.objects.count).allSatisfy({ seen.contains(UInt8($0)) }) { fullyVisible += 1 }
            }
            let fraction = Double(fullyVisible) / Double(scenes)
            #expect(fraction >= threshold, "\(name): \(fullyVisible) of \(scenes) scenes show every object")
        }
    }

    @Test("bad specs name the JSON path")
    func badSpecs() throws {
        let url = Families.directory.appendingPathComponent("rooms_ring_camera.json")
        guard case .object(var root) = try JSONValue.parse(Data(contentsOf: url)) else {
            Issue.record("\(url.path) is not a JSON object")
            return
        }
        root["views"] = .string("ten")
        #expect(throws: SpecError(path: "$.views", expected: "an integer", found: "the string \"ten\"")) {
            try FamilySpec(json: .object(root))
        }
        root["views"] = .number(10)
        root["colour"] = .number(1)
        let unknownKey = #expect(throws: SpecError.self) { try FamilySpec(json: .object(root)) }
        #expect(unknownKey?.path == "$.colour")
        root["colour"] = nil
        guard case .object(var objects) = root["objects"] else {
            Issue.record("\(url.path): $.objects is not an object")
            return
        }
        objects["count"] = .array([.number(3), .number(1)])
        root["objects"] = .object(objects)
        do {
            _ = try FamilySpec(json: .object(root))
            Issue.record("an inverted range was accepted")
        } catch let error as SpecError {
            #expect(error.path == "$.objects.count")
        }
    }

    @Test("overrides change the spec and its recorded JSON")
    func overrides() throws {
        let spec = try Families.load("rooms_ring_camera").overriding(imageSize: 32, views: 4, samplesPerPixel: 9)
        #expect(spec.imageSize == 32 && spec.views == 4 && spec.samplesPerPixel == 9)
        #expect(try FamilySpec(json: spec.json) == spec)
        #expect(throws: SpecError.self) { try spec.overriding(samplesPerPixel: 8) }
    }
}
