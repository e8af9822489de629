import Foundation
import Testing
@testable import RayTracer

/// Each shape against analytic hit distances and normals, including grazing rays, rays
/// that start inside, and misses.
@Suite("Ray-shape intersection")
struct IntersectionTests {
    @Test("sphere: head-on, from inside, grazing, miss")
    func sphere() throws {
        let sphere = Shape(kind: .sphere, position: [1, 2, 3], size: [2, 2, 2], material: white)
        let hit = try #require(trace([sphere], from: [1, 2, -2], towards: [0, 0, 1]))
        #expect(close(hit.t, 4))
        #expect(close(hit.normal, [0, 0, -1]))
        let inside = try #require(trace([sphere], from: [1, 2, 3], towards: [1, 0, 0]))
        #expect(close(inside.t, 1))
        #expect(close(inside.normal, [1, 0, 0]))
        let graze = try #require(trace([sphere], from: [2, 2, -2], towards: [0, 0, 1]))
        #expect(close(graze.t, 5, tolerance: 1e-3))
        #expect(trace([sphere], from: [2.01, 2, -2], towards: [0, 0, 1]) == nil)
        #expect(trace([sphere], from: [1, 2, 5], towards: [0, 0, 1]) == nil, "sphere behind the ray")
    }

    @Test("box: faces, rotation by yaw, from inside, edge graze, miss")
    func box() throws {
        let box = Shape(kind: .box, position: .zero, size: [2, 4, 6], material: white)
        let hit = try #require(trace([box], from: [-5, 0, 0], towards: [1, 0, 0]))
        #expect(close(hit.t, 4))
        #expect(close(hit.normal, [-1, 0, 0]))
        let top = try #require(trace([box], from: [0.5, 1, 10], towards: [0, 0, -1]))
        #expect(close(top.t, 7))
        #expect(close(top.normal, [0, 0, 1]))
        // Yawed by 90 degrees, its 4-unit side now faces the x axis.
        var turned = box
        turned.orientation = Orientation(yaw: .pi / 2)
        let rotated = try #require(trace([turned], from: [-5, 0, 0], towards: [1, 0, 0]))
        #expect(close(rotated.t, 3))
        #expect(close(rotated.normal, [-1, 0, 0]))
        let inside = try #require(trace([box], from: .zero, towards: [0, 0, 1]))
        #expect(close(inside.t, 3))
        #expect(close(inside.normal, [0, 0, 1]))
        let edge = try #require(trace([box], from: [-5, 2, 0], towards: [1, 0, 0]), "a ray along a face edge still hits")
        #expect(close(edge.t, 4))
        #expect(trace([box], from: [-5, 2.01, 0], towards: [1, 0, 0]) == nil)
    }

    @Test("cylinder: side, cap, rim graze, from inside, miss above")
    func cylinder() throws {
        let cylinder = Shape(kind: .cylinder, position: .zero, size: [2, 2, 2], material: white)
        let side = try #require(trace([cylinder], from: [-5, 0, 0.5], towards: [1, 0, 0]))
        #expect(close(side.t, 4))
        #expect(close(side.normal, [-1, 0, 0]))
        let cap = try #require(trace([cylinder], from: [0.3, 0.3, 5], towards: [0, 0, -1]))
        #expect(close(cap.t, 4))
        #expect(close(cap.normal, [0, 0, 1]))
        let graze = try #require(trace([cylinder], from: [-5, 1, 0], towards: [1, 0, 0]))
        #expect(close(graze.t, 5, tolerance: 1e-3))
        let inside = try #require(trace([cylinder], from: .zero, towards: [0, 1, 0]))
        #expect(close(inside.t, 1))
        #expect(close(inside.normal, [0, 1, 0]))
        #expect(trace([cylinder], from: [-5, 0, 1.1], towards: [1, 0, 0]) == nil)
        #expect(trace([cylinder], from: [1.1, 0, 5], towards: [0, 0, -1]) == nil)
    }

    @Test("cone: slanted side, base, apex, miss")
    func cone() throws {
        // Base radius 1 at z = -1, apex at z = +1: radius (1 - z) / 2.
        let cone = Shape(kind: .cone, position: .zero, size: [2, 2, 2], material: white)
        let side = try #require(trace([cone], from: [-5, 0, 0], towards: [1, 0, 0]))
        #expect(close(side.t, 4.5))
        #expect(close(side.normal, Vector3(-1, 0, 0.5).normalized))
        let fromAbove = try #require(trace([cone], from: [0.25, 0, 5], towards: [0, 0, -1]))
        #expect(close(fromAbove.t, 4.5))
        #expect(close(fromAbove.normal, Vector3(1, 0, 0.5).normalized))
        let base = try #require(trace([cone], from: [0.2, 0.1, -5], towards: [0, 0, 1]))
        #expect(close(base.t, 4))
        #expect(close(base.normal, [0, 0, -1]))
        let apex = try #require(trace([cone], from: [0, 0, 5], towards: [0, 0, -1]))
        #expect(close(apex.t, 4, tolerance: 1e-3))
        #expect(trace([cone], from: [-5, 0.2, 0.9], towards: [1, 0, 0]) == nil, "radius is only 0.05 at z = 0.9")
        let low = try #require(trace([cone], from: [0.6, 0, 5], towards: [0, 0, -1]))
        #expect(close(low.t, 5.2))
    }

    @Test("capsule: cylindrical side, hemispherical caps, from inside")
    func capsule() throws {
        // Radius 0.5, total height 2: cap centres at z = +-0.5.
        let capsule = Shape(kind: .capsule, position: .zero, size: [1, 1, 2], material: white)
        let side = try #require(trace([capsule], from: [-5, 0, 0], towards: [1, 0, 0]))
        #expect(close(side.t, 4.5))
        #expect(close(side.normal, [-1, 0, 0]))
        let top = try #require(trace([capsule], from: [0, 0, 5], towards: [0, 0, -1]))
        #expect(close(top.t, 4))
        #expect(close(top.normal, [0, 0, 1]))
        let offTop = try #require(trace([capsule], from: [0.3, 0, 5], towards: [0, 0, -1]))
        #expect(close(offTop.t, 4.1))
        #expect(close(offTop.normal, [0.6, 0, 0.8]))
        let bottom = try #require(trace([capsule], from: [0, 0.3, -5], towards: [0, 0, 1]))
        #expect(close(bottom.t, 4.1))
        #expect(close(bottom.normal, [0, 0.6, -0.8]))
        let inside = try #require(trace([capsule], from: .zero, towards: [0, 0, 1]))
        #expect(close(inside.t, 1))
        #expect(trace([capsule], from: [0.51, 0, 5], towards: [0, 0, -1]) == nil)
    }

    @Test("icosahedron: a face at the inradius, circumradius bound, miss")
    func icosahedron() throws {
        let radius: Float = 1.5
        let icosahedron = Shape(kind: .icosahedron, position: [0, 0, 1], size: Vector3(repeating: 2 * radius), material: white)
        let phi: Float = (1 + Float(5).squareRoot()) / 2
        // The face through (0, 1, phi), (0, -1, phi), (phi, 0, 1).
        let faceNormal = (Vector3(0, 1, phi) + Vector3(0, -1, phi) + Vector3(phi, 0, 1)).normalized
        let inradius = radius * 0.794_654_47
        let origin = Vector3(0, 0, 1) + 5 * faceNormal + 0.05 * Vector3(0, 1, 0)
        let hit = try #require(trace([icosahedron], from: origin, towards: -faceNormal))
        #expect(close(hit.t, 5 - inradius, tolerance: 1e-3))
        #expect(close(hit.normal, faceNormal))
        let inside = try #require(trace([icosahedron], from: [0, 0, 1], towards: faceNormal))
        #expect(close(inside.t, inradius, tolerance: 1e-3))
        #expect(trace([icosahedron], from: [radius + 0.01, 0, -5], towards: [0, 0, 1]) == nil)
    }

    @Test("triangular prism: slanted face, end face, base, miss")
    func prism() throws {
        // Base 2 (x), depth 1 (y), height 2 (z): slanted sides from (+-1, -1) to (0, 1) in x-z.
        let prism = Shape(kind: .triangularPrism, position: .zero, size: [2, 1, 2], material: white)
        let slanted = try #require(trace([prism], from: [-5, 0, 0], towards: [1, 0, 0]))
        #expect(close(slanted.t, 4.5))
        #expect(close(slanted.normal, Vector3(-2, 0, 1).normalized))
        let end = try #require(trace([prism], from: [0, -5, 0], towards: [0, 1, 0]))
        #expect(close(end.t, 4.5))
        #expect(close(end.normal, [0, -1, 0]))
        let base = try #require(trace([prism], from: [0.3, 0, -5], towards: [0, 0, 1]))
        #expect(close(base.t, 4))
        #expect(close(base.normal, [0, 0, -1]))
        #expect(trace([prism], from: [-5, 0.6, 0], towards: [1, 0, 0]) == nil)
        #expect(trace([prism], from: [0.9, 0, 5], towards: [0, 0, -1]).map { close($0.t, 5.8) } == true)
    }

    @Test("rectangle and plane: both sides, bounds, parallel rays")
    func flat() throws {
        let rectangle = Shape.rectangle(center: [0, 0, 1], edgeU: [2, 0, 0], edgeV: [0, 1, 0], material: white)
        let above = try #require(trace([rectangle], from: [0.9, 0.4, 4], towards: [0, 0, -1]))
        #expect(close(above.t, 3))
        #expect(close(above.normal, [0, 0, 1]))
        let below = try #require(trace([rectangle], from: [0, 0, -1], towards: [0, 0, 1]))
        #expect(close(below.t, 2))
        #expect(trace([rectangle], from: [1.1, 0, 4], towards: [0, 0, -1]) == nil)
        #expect(trace([rectangle], from: [-5, 0, 1], towards: [1, 0, 0]) == nil, "a ray in the plane")
        let plane = Shape.plane(point: [0, 0, 0], normal: [0, 0, 1], material: white)
        let far = try #require(trace([plane], from: [100, -40, 2], towards: [1, 0, -1]))
        #expect(close(far.t, 2 * Float(2).squareRoot()))
        #expect(trace([plane], from: [0, 0, 2], towards: [1, 0, 1]) == nil)
    }

    @Test("closest of several shapes wins")
    func nearest() throws {
        let near = Shape(kind: .sphere, position: [3, 0, 0], size: [1, 1, 1], material: white)
        let far = Shape(kind: .box, position: [6, 0, 0], size: [1, 1, 1], material: white)
        let hit = try #require(trace([far, near], from: .zero, towards: [1, 0, 0]))
        #expect(hit.shape == 1)
        #expect(close(hit.t, 2.5))
    }
}
