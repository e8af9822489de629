/// One rendered image and its optional per-pixel extras, row-major from the top-left.
public struct RenderedView: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// sRGB-encoded 8-bit colour, `RGBRGB...`, `width * height * 3` bytes.
    public var rgb: [UInt8]
    /// Z-depth in millimetres: the distance along the camera's viewing axis (not along the
    /// ray) of the surface seen through the pixel centre, rounded; 0 where the ray hits
    /// nothing, 65535 for anything at 65.535 units or more. Present when requested.
    public var depthMillimetres: [UInt16]?
    /// The ``Shape/instanceID`` seen through each pixel centre (0 room or nothing).
    /// Present when requested.
    public var instanceMask: [UInt8]?

    /// A view from its buffers.
    public init(width: Int, height: Int, rgb: [UInt8], depthMillimetres: [UInt16]? = nil, instanceMask: [UInt8]? = nil) {
        self.width = width
        self.height = height
        self.rgb = rgb
        self.depthMillimetres = depthMillimetres
        self.instanceMask = instanceMask
    }
}
