/// The room's appearance, by the texture or material names of the scene family.
public struct RoomLabel: Codable, Hashable, Sendable {
    /// Wall texture or material name, for example `"red"` or `"cerise"`.
    public var wallTexture: String
    /// Floor texture or material name, for example `"blue"`.
    public var floorTexture: String

    /// Creates a room label.
    public init(wallTexture: String, floorTexture: String) {
        self.wallTexture = wallTexture
        self.floorTexture = floorTexture
    }
}
