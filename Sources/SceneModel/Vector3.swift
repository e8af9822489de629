/// A point or direction in world space (right-handed, z up), in scene units.
public typealias Vector3 = SIMD3<Float>

extension SIMD3 where Scalar == Float {
    /// The dot product.
    @inlinable @inline(__always)
    public func dot(_ other: Self) -> Float { (self * other).sum() }

    /// The cross product `self x other`.
    @inlinable @inline(__always)
    public func cross(_ other: Self) -> Self {
        Self(y * other.z - z * other.y, z * other.x - x * other.z, x * other.y - y * other.x)
    }

    /// The Euclidean length.
    @inlinable @inline(__always)
    public var length: Float { dot(self).squareRoot() }

    /// This vector scaled to unit length.
    @inlinable @inline(__always)
    public var normalized: Self { self * (1 / length) }
}
