/// Everything the renderer needs to make an image: a camera, shapes, lights and the
/// ambient and background terms.
///
/// A value type: a dataset generator builds one per scene and swaps the camera per view.
public struct Scene: Sendable, Equatable {
    /// The viewpoint and image size.
    public var camera: Camera
    /// Every surface, room first by convention.
    public var shapes: [Shape]
    /// Every light source.
    public var lights: [Light]
    /// Light reaching every surface regardless of occlusion (linear RGB), multiplied by the
    /// surface colour.
    public var ambient: Vector3
    /// The colour of rays that hit nothing (linear RGB).
    public var background: Vector3

    /// Creates a scene.
    public init(camera: Camera, shapes: [Shape], lights: [Light],
                ambient: Vector3 = [0.1, 0.1, 0.1], background: Vector3 = [0, 0, 0]) {
        self.camera = camera
        self.shapes = shapes
        self.lights = lights
        self.ambient = ambient
        self.background = background
    }
}
