@testable import RayTracer
@testable import RenderKernel

/// A plain white material for geometric tests.
let white = Material(color: [1, 1, 1])

/// The nearest hit of a ray against a scene made of just these shapes.
func trace(_ shapes: [Shape], from origin: Vector3, towards direction: Vector3) -> (t: Float, normal: Vector3, shape: Int)? {
    let scene = Scene(camera: Camera(position: .zero, yaw: 0, pitch: 0, width: 1, height: 1), shapes: shapes, lights: [])
    return CompiledScene(scene: scene).withTraceContext { context in
        context.closestHit(origin: origin, direction: direction.normalized)
    }
}

/// Whether two vectors agree to within `tolerance` in every component.
func close(_ a: Vector3, _ b: Vector3, tolerance: Float = 1e-4) -> Bool {
    let difference = a - b
    return pointwiseMax(difference, -difference).max() <= tolerance
}

/// Whether two floats agree to within `tolerance`.
func close(_ a: Float, _ b: Float, tolerance: Float = 1e-4) -> Bool {
    abs(a - b) <= tolerance
}
