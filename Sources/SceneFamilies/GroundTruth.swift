import SceneModel

/// What is in a scene, in world coordinates: what datasets store as labels.
public struct GroundTruth: Sendable, Equatable {
    /// One object (a solid shape).
    public struct Object: Sendable, Equatable {
        /// The shape kind's name, e.g. "capsule".
        public var shape: ShapeKind
        /// The colour's name: a palette entry or a hue word ("red", "cyan", ...).
        public var colorName: String
        /// The colour, sRGB components in [0, 1].
        public var color: Vector3
        /// The centre.
        public var position: Vector3
        /// Full extents of the local bounding box (see `ShapeKind`).
        public var size: Vector3
        /// Rotation in radians: yaw about +z, pitch, roll.
        public var yaw: Float
        /// See ``yaw``.
        public var pitch: Float
        /// See ``yaw``.
        public var roll: Float
    }

    /// One light.
    public struct LightSource: Sendable, Equatable {
        /// "point", "area" or "directional".
        public var kind: String
        /// Position (point), centre (area); zero for directional lights.
        public var position: Vector3
        /// The way a directional light shines, or an area light's facing; zero for points.
        public var direction: Vector3
        /// Linear RGB colour.
        public var color: Vector3
        /// Scalar intensity.
        public var intensity: Float
    }

    /// The objects, in instance-mask order (the k-th object writes k).
    public var objects: [Object]
    /// The lights.
    public var lights: [LightSource]
    /// The walls' look name (rooms only).
    public var wall: String?
    /// The floor's look name (rooms only).
    public var floor: String?
    /// The grey ambient level.
    public var ambient: Float
}
