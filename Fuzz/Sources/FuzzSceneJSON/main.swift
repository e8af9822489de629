import Foundation
import FuzzSupport
import RayTracer

/// A scene file (`scenegen render`): JSON parsing, the schema checks, and compiling and
/// rendering the scene (a 4 x 4 view from its own camera, through whichever build of the
/// tracing loops the processor runs), which must not trap on any value the checks let through.
exit(FuzzSupport.run { input in
    guard let json = try? JSONValue.parse(Data(input), file: "input.json"),
        let document = try? SceneDocument(json: json, file: "input.json")
    else { return }
    let camera = document.scene.camera
    let small = Camera(position: camera.position, yaw: camera.yaw, pitch: camera.pitch, verticalFieldOfView: camera.verticalFieldOfView,
                       width: 4, height: 4)
    _ = Renderer(scene: document.scene).render(camera: small, settings: RenderSettings(samplesPerSide: 1))
})
