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
