import SceneModel

/// The lights of a family: how many, of which types, where, how bright, what colour.
public struct LightsSpec: Sendable, Equatable {
    /// A light type a family can draw.
    public enum LightType: String, Sendable, CaseIterable {
        case point, area, directional
    }

    /// How many lights a scene has, drawn uniformly.
    public var count: ClosedRange<Int>
    /// Types drawn from, uniformly, for each light.
    public var types: [LightType]
    /// Box that point lights and area-light centres are drawn in; directional lights
    /// shine from a point drawn there towards the origin.
    public var x: ClosedRange<Double>
    /// See ``x``.
    public var y: ClosedRange<Double>
    /// See ``x``.
    public var z: ClosedRange<Double>
    /// Intensity of point and area lights.
    public var intensity: ClosedRange<Double>
    /// Intensity of directional lights.
    public var directionalIntensity: ClosedRange<Double>
    /// Each colour channel is drawn uniformly between these two linear colours.
    public var colorMin: Vector3
    /// See ``colorMin``.
    public var colorMax: Vector3
    /// Side length of the square area lights (horizontal, facing down).
    public var areaSize: ClosedRange<Double>
    /// Grey ambient light level.
    public var ambient: ClosedRange<Double>

    init(spec: inout SpecReader) throws {
        count = try spec.integerRange("count", in: 0...64)
        let names = LightType.allCases.map(\.rawValue)
        types = try spec.array("types", minimumCount: 1).map { item in
            guard case .string(let name) = item.value, let type = LightType(rawValue: name) else {
                throw SpecError(file: spec.file, path: item.path,
                                expected: "one of " + names.map { "\"\($0)\"" }.joined(separator: ", "),
                                found: item.value.kindDescription)
            }
            return type
        }
        var position = try spec.object("position")
        x = try position.range("x")
        y = try position.range("y")
        z = try position.range("z")
        try position.finish()
        intensity = try spec.range("intensity", in: 0...1e6)
        directionalIntensity = try spec.range("directionalIntensity", default: 0.5...1, in: 0...1e6)
        colorMin = try spec.color("colorMin", default: [1, 1, 1])
        colorMax = try spec.color("colorMax", default: [1, 1, 1])
        guard all(colorMin .<= colorMax) else {
            throw spec.error("colorMax", expected: "every channel at least colorMin's", found: "\(colorMax)")
        }
        areaSize = try spec.range("areaSize", default: 1...1, in: 0.01...100)
        ambient = try spec.range("ambient", default: 0.1...0.1, in: 0...10)
    }
}
