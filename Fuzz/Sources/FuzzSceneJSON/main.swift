import Foundation
import FuzzSupport
@testable import RayTracer

/// A scene file (`scenegen render`): JSON parsing, the schema checks, and compiling the scene
/// for the renderer, which must not trap on any value the checks let through.
exit(FuzzSupport.run { input in
    let bytes = input
    guard let json = try? JSONValue.parse(Data(bytes), file: "input.json"),
        let document = try? SceneDocument(json: json, file: "input.json")
    else { return }
    let compiled = CompiledScene(scene: document.scene)
    var random = PCG32(seed: 1, stream: 2)
    _ = compiled.withTraceContext { context in
        context.radiance(origin: document.scene.camera.position, direction: [0, 0, -1], rng: &random)
    }
})
