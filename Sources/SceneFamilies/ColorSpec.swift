import Foundation
import SceneModel

/// How object colours are drawn: from a named palette, or uniformly in HSV.
public enum ColorSpec: Sendable, Equatable {
    /// One of these named sRGB colours, uniformly.
    case palette([NamedColor])
    /// Hue uniform in [0, 1), saturation and value uniform in their ranges (sRGB).
    case hsv(saturation: ClosedRange<Double>, value: ClosedRange<Double>)

    init(spec: inout SpecReader) throws {
        let mode = try spec.choice("mode", from: ["palette", "hsv"])
        if mode == "palette" {
            let entries = try spec.objects("palette", minimumCount: 1).map { item in
                var item = item
                let name = try item.string("name")
                let color = try item.color("color")
                try item.finish()
                return NamedColor(name: name, srgb: color)
            }
            self = .palette(entries)
        } else {
            self = .hsv(saturation: try spec.range("saturation", in: 0...1), value: try spec.range("value", in: 0...1))
        }
    }

    /// Draws a colour: its sRGB components and a name (the palette entry, or the hue's
    /// colour word for HSV colours).
    func draw(_ rng: inout SceneRandom) -> (name: String, srgb: Vector3) {
        switch self {
        case .palette(let entries):
            let entry = entries[rng.index(entries.count)]
            return (entry.name, entry.srgb)
        case .hsv(let saturation, let value):
            let hue = rng.uniform(0...1)
            let srgb = Self.rgb(hue: hue, saturation: rng.uniform(saturation), value: rng.uniform(value))
            return (Self.hueName(hue), srgb)
        }
    }

    /// HSV to RGB, all components in [0, 1].
    static func rgb(hue: Double, saturation: Double, value: Double) -> Vector3 {
        let h = (hue - hue.rounded(.down)) * 6
        let sector = Int(h) % 6
        let f = h - Double(Int(h))
        let (p, q, t) = (value * (1 - saturation), value * (1 - saturation * f), value * (1 - saturation * (1 - f)))
        let rgb: (Double, Double, Double)
        switch sector {
        case 0: rgb = (value, t, p)
        case 1: rgb = (q, value, p)
        case 2: rgb = (p, value, t)
        case 3: rgb = (p, q, value)
        case 4: rgb = (t, p, value)
        default: rgb = (value, p, q)
        }
        return Vector3(Float(rgb.0), Float(rgb.1), Float(rgb.2))
    }

    /// A colour word for a hue, for label statistics.
    static func hueName(_ hue: Double) -> String {
        let degrees = (hue - hue.rounded(.down)) * 360
        switch degrees {
        case ..<15: return "red"
        case ..<45: return "orange"
        case ..<70: return "yellow"
        case ..<160: return "green"
        case ..<200: return "cyan"
        case ..<260: return "blue"
        case ..<290: return "purple"
        case ..<340: return "magenta"
        default: return "red"
        }
    }
}
