/// A scene's ground truth: the room, the objects in it and the lights.
public struct SceneLabels: Codable, Hashable, Sendable {
    /// Wall and floor appearance.
    public var room: RoomLabel
    /// The objects, in the order the scene family placed them (instance mask value k + 1
    /// is object k).
    public var objects: [ObjectLabel]
    /// The lights.
    public var lights: [LightLabel]

    /// Creates labels.
    public init(room: RoomLabel, objects: [ObjectLabel], lights: [LightLabel]) {
        self.room = room
        self.objects = objects
        self.lights = lights
    }
}
