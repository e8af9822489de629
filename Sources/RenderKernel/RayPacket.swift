import SceneModel

/// One value per lane of a ``RayPacket``.
typealias Lanes = SIMD8<Float>
/// One flag per lane of a ``RayPacket``.
typealias LaneMask = SIMDMask<SIMD8<Int32>>

/// Up to eight rays as structure-of-arrays lanes (one `SIMD8` per coordinate), so that a
/// plane test or a bounding-sphere cull runs on eight rays in the instructions one took
/// (one AVX2 instruction; two SSE instructions in the baseline build).
///
/// The lanes form two groups of four, each the samples of one pixel: lanes 0-3 the first
/// pixel's, lanes 4-7 the second's (2 x 2 samples per pixel: one group; larger sample grids
/// take several packets, four samples per pixel each). Lanes outside ``active`` hold no ray:
/// their values are copies of another lane (so that no lane divides by zero where the
/// others do not) and every mask excludes them.
struct RayPacket {
    var x: Lanes
    var y: Lanes
    var z: Lanes
    /// The lanes that hold rays.
    var active: LaneMask

    // Computed constants, not stored statics: a stored static is initialised lazily and
    // checked on every read in the tracing loops.

    /// How many lanes a packet has.
    @inline(__always) static var width: Int { 8 }
    /// How many lanes one pixel's group holds.
    @inline(__always) static var groupWidth: Int { 4 }
    /// How many pixels' groups a packet holds.
    @inline(__always) static var groups: Int { 2 }

    /// The lanes of pixel group `group` (0 or 1).
    @inline(__always)
    static func groupLanes(_ group: Int) -> LaneMask {
        // Float comparisons: the standard library builds integer-vector masks lane by lane.
        group == 0 ? Lanes(-1, -1, -1, -1, 1, 1, 1, 1) .< 0 : Lanes(1, 1, 1, 1, -1, -1, -1, -1) .< 0
    }

    /// Eight lanes of zeros, none active yet.
    init() {
        x = .zero
        y = .zero
        z = .zero
        active = LaneMask(repeating: false)
    }

    /// A packet from its lanes, all eight active.
    @inline(__always)
    init(x: Lanes, y: Lanes, z: Lanes) {
        self.x = x
        self.y = y
        self.z = z
        active = LaneMask(repeating: true)
    }

    /// A packet from its lanes, `active` saying which hold rays.
    @inline(__always)
    init(x: Lanes, y: Lanes, z: Lanes, active: LaneMask) {
        self.x = x
        self.y = y
        self.z = z
        self.active = active
    }

    /// A packet of the vectors in `lanes` (eight of them) whose lanes `active` selects; the
    /// other lanes, which need not be initialised, become copies of the first active lane.
    /// Lanes are gathered at fixed positions: writing lanes one by one at a variable index
    /// and then reading the vector back stalls store forwarding.
    /// - Precondition: at least one lane is active.
    @inline(__always)
    init(_ lanes: UnsafeMutableBufferPointer<Vector3>, active: LaneMask) {
        var source = 0
        while !active[source] { source += 1 }
        for lane in 0..<Self.width where !active[lane] { lanes[lane] = lanes[source] }
        let (a, b, c, d) = (lanes[0], lanes[1], lanes[2], lanes[3])
        let (e, f, g, h) = (lanes[4], lanes[5], lanes[6], lanes[7])
        x = Lanes(a.x, b.x, c.x, d.x, e.x, f.x, g.x, h.x)
        y = Lanes(a.y, b.y, c.y, d.y, e.y, f.y, g.y, h.y)
        z = Lanes(a.z, b.z, c.z, d.z, e.z, f.z, g.z, h.z)
        self.active = active
    }

    /// Lane `lane` as a vector.
    @inline(__always)
    subscript(lane: Int) -> Vector3 {
        get { Vector3(x[lane], y[lane], z[lane]) }
        set {
            x[lane] = newValue.x
            y[lane] = newValue.y
            z[lane] = newValue.z
        }
    }

    /// Adds a ray in the first inactive lane, filling the inactive lanes behind it with copies
    /// of lane 0 (tests build packets this way).
    mutating func append(_ vector: Vector3) {
        let lane = (0..<Self.width).first { !active[$0] }!
        if lane == 0 {
            x = Lanes(repeating: vector.x)
            y = Lanes(repeating: vector.y)
            z = Lanes(repeating: vector.z)
        } else {
            self[lane] = vector
        }
        active[lane] = true
    }

    /// `vector . lane` in every lane, summed in the order of `Vector3.dot` ((x + y) + z),
    /// so that a lane's result is bit-identical to the scalar dot product.
    @inline(__always)
    func dot(_ vector: Vector3) -> Lanes {
        x * vector.x + y * vector.y + z * vector.z
    }

    /// `self . other` lane by lane, in the order of `Vector3.dot`.
    @inline(__always)
    func dot(_ other: RayPacket) -> Lanes {
        x * other.x + y * other.y + z * other.z
    }
}
