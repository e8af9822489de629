import SceneModel

/// Where a family's cameras go, view by view.
public enum CameraSpec: Sendable, Equatable {
    /// On a horizontal ring around the room's centre at a random angle, looking at a point
    /// above the centre (the GQN `rooms_ring_camera` set-up).
    case ring(radius: ClosedRange<Double>, height: ClosedRange<Double>, targetHeight: ClosedRange<Double>)
    /// Anywhere inside the room at least `wallMargin` from the walls and `clearance` from
    /// every object's bounds (`rooms_free_camera`). Pitch is uniform in its range; yaw is
    /// uniform within `yawSpread` radians of the direction towards the room's centre
    /// (pi: any direction).
    case free(height: ClosedRange<Double>, pitch: ClosedRange<Double>, yawSpread: Double, wallMargin: Float,
              clearance: Float)
    /// On a sphere of radius `distance` around the content's centre, looking at it, at a
    /// uniform yaw and an elevation drawn from `pitch` (Shepard-Metzler).
    case orbit(distance: ClosedRange<Double>, pitch: ClosedRange<Double>)

    init(spec: inout SpecReader) throws {
        let degrees = Double.pi / 180
        switch try spec.choice("mode", from: ["ring", "free", "orbit"]) {
        case "ring":
            self = .ring(radius: try spec.range("radius", in: 0...1000), height: try spec.range("height"),
                         targetHeight: try spec.range("targetHeight", default: 0.5...0.5))
        case "free":
            let pitch = try spec.range("pitchDegrees", in: -89...89)
            self = .free(height: try spec.range("height"),
                         pitch: (pitch.lowerBound * degrees)...(pitch.upperBound * degrees),
                         yawSpread: try spec.number("yawSpreadDegrees", default: 180, in: 0...180) * degrees,
                         wallMargin: Float(try spec.number("wallMargin", default: 0.3, in: 0...100)),
                         clearance: Float(try spec.number("clearance", default: 0.2, in: 0...100)))
        default:
            let pitch = try spec.range("pitchDegrees", in: -89...89)
            self = .orbit(distance: try spec.range("distance", in: 0.01...1e4),
                          pitch: (pitch.lowerBound * degrees)...(pitch.upperBound * degrees))
        }
    }
}
