import SceneModel

/// Up to four rays as structure-of-arrays lanes (one `SIMD4` per coordinate), so that a
/// plane test or a bounding-sphere cull runs on four rays in the instructions one took.
///
/// A pixel's camera samples form packets (2 x 2 samples per pixel: one packet), and so do
/// their shadow rays. Lanes past ``count`` are inactive: their values are copies of lane 0
/// (so that no lane divides by zero where the others do not) and every mask excludes them.
struct RayPacket {
    var x: SIMD4<Float>
    var y: SIMD4<Float>
    var z: SIMD4<Float>
    /// How many lanes hold rays, 1...4.
    private(set) var count: Int

    /// The lanes that hold rays.
    @inline(__always)
    var active: SIMDMask<SIMD4<Int32>> { SIMD4<Int32>(0, 1, 2, 3) .< Int32(count) }

    /// Four lanes of zeros, none active yet.
    init() {
        x = .zero
        y = .zero
        z = .zero
        count = 0
    }

    /// A packet from its lanes, all four active.
    @inline(__always)
    init(x: SIMD4<Float>, y: SIMD4<Float>, z: SIMD4<Float>) {
        self.x = x
        self.y = y
        self.z = z
        count = 4
    }

    /// A packet of `count` rays from the first `count` of four vectors; the lanes behind them
    /// become copies of lane 0. Lanes are gathered at fixed positions: writing lanes one by one
    /// at a variable index and then reading the vector back stalls store forwarding.
    @inline(__always)
    init(_ lanes: UnsafeMutableBufferPointer<Vector3>, count: Int) {
        for lane in count..<4 { lanes[lane] = lanes[0] }
        let (a, b, c, d) = (lanes[0], lanes[1], lanes[2], lanes[3])
        x = SIMD4(a.x, b.x, c.x, d.x)
        y = SIMD4(a.y, b.y, c.y, d.y)
        z = SIMD4(a.z, b.z, c.z, d.z)
        self.count = count
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

    /// Adds a lane, filling the inactive lanes behind it with copies of lane 0.
    @inline(__always)
    mutating func append(_ vector: Vector3) {
        if count == 0 {
            x = SIMD4(repeating: vector.x)
            y = SIMD4(repeating: vector.y)
            z = SIMD4(repeating: vector.z)
        } else {
            self[count] = vector
        }
        count += 1
    }

    /// `vector . lane` in every lane, summed in the order of `Vector3.dot` ((x + y) + z),
    /// so that a lane's result is bit-identical to the scalar dot product.
    @inline(__always)
    func dot(_ vector: Vector3) -> SIMD4<Float> {
        x * vector.x + y * vector.y + z * vector.z
    }

    /// `self . other` lane by lane, in the order of `Vector3.dot`.
    @inline(__always)
    func dot(_ other: RayPacket) -> SIMD4<Float> {
        x * other.x + y * other.y + z * other.z
    }
}
