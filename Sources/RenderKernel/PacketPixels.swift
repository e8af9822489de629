import SceneModel

/// The pixels whose samples share a ``RayPacket``, one per group of four lanes: each pixel's
/// random stream (jitter and area-light samples, drawn in the order one-pixel tracing draws
/// them) and its radiance sum (added to lane by lane, in lane order). Lanes 0-3 belong to
/// the first pixel, lanes 4-7 to the second.
struct PacketPixels {
    /// Each pixel's PCG32 stream.
    var rngs: (PCG32, PCG32)
    /// Each pixel's linear radiance summed over its samples so far.
    var sums: (Vector3, Vector3) = (.zero, .zero)

    init(rngs: (PCG32, PCG32)) {
        self.rngs = rngs
    }

    /// Adds the lanes `lanes` of `colors` to their pixels' sums, lane by lane in order.
    @inline(__always)
    mutating func add(_ colors: RayPacket, lanes: LaneMask) {
        for lane in 0..<RayPacket.groupWidth where lanes[lane] { sums.0 += colors[lane] }
        for lane in RayPacket.groupWidth..<RayPacket.width where lanes[lane] { sums.1 += colors[lane] }
    }

    /// Adds `color` to the sum of each active lane's pixel, once per lane.
    @inline(__always)
    mutating func add(_ color: Vector3, lanes: LaneMask) {
        for lane in 0..<RayPacket.groupWidth where lanes[lane] { sums.0 += color }
        for lane in RayPacket.groupWidth..<RayPacket.width where lanes[lane] { sums.1 += color }
    }

    /// `body` with the random stream of the pixel that lane `lane` belongs to.
    @inline(__always)
    mutating func withStream<R>(ofLane lane: Int, _ body: (inout PCG32) -> R) -> R {
        lane < RayPacket.groupWidth ? body(&rngs.0) : body(&rngs.1)
    }
}
