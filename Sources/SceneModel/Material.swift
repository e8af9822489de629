import Foundation

/// How a surface reflects light: a Lambertian base with an optional Blinn-Phong highlight.
///
/// Colours are linear RGB reflectances in [0, 1]. (Scene JSON gives colours in sRGB, as a
/// colour picker shows them; the loader converts them with ``Material/linear(fromSRGB:)``.)
public struct Material: Sendable, Equatable {
    /// Diffuse reflectance (linear RGB).
    public var color: Vector3
    /// Strength of the specular highlight, 0 for none.
    public var specular: Float
    /// Blinn-Phong exponent: larger is a tighter highlight.
    public var shininess: Float
    /// An optional pattern mixing `color` with a second colour.
    public var texture: Texture

    /// Creates a material.
    public init(color: Vector3, specular: Float = 0, shininess: Float = 32, texture: Texture = .solid) {
        self.color = color
        self.specular = specular
        self.shininess = shininess
        self.texture = texture
    }

    /// Converts an sRGB-encoded colour (components in [0, 1]) to linear RGB.
    public static func linear(fromSRGB c: Vector3) -> Vector3 {
        func channel(_ v: Float) -> Float {
            v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        return Vector3(channel(c.x), channel(c.y), channel(c.z))
    }
}

extension Material {
    /// Reads a material from a spec object: `color` (sRGB, required), `specular`,
    /// `shininess` and `texture` (see the SceneJSON article). The caller calls
    /// `finish()` on the reader afterwards, so it may read keys of its own first.
    /// - Throws: ``SpecError`` naming the offending JSON path.
    public init(spec: inout SpecReader) throws {
        let color = Material.linear(fromSRGB: try spec.color("color"))
        let specular = Float(try spec.number("specular", default: 0, in: 0...100))
        let shininess = Float(try spec.number("shininess", default: 32, in: 1...10_000))
        var texture = Texture.solid
        if var textureSpec = try spec.optionalObject("texture") {
            let type = try textureSpec.choice("type", from: ["checker", "stripes"])
            let second = Material.linear(fromSRGB: try textureSpec.color("color"))
            let scale = Float(try textureSpec.number("scale", in: 1e-4...1e4))
            if type == "checker" {
                texture = .checker(secondColor: second, scale: scale)
            } else {
                let across = try textureSpec.choice("across", from: ["x", "y"])
                texture = .stripes(secondColor: second, scale: scale, alongY: across == "y")
            }
            try textureSpec.finish()
        }
        self.init(color: color, specular: specular, shininess: shininess, texture: texture)
    }
}
