import ShardFormat

/// What the probes predict about each scene, read from its ground-truth labels.
///
/// - object count: a class per count `0...max` over the dataset's scenes;
/// - shapes present: one label per shape name in ``Vocabulary/shapes`` (present when at
///   least one object has that shape);
/// - colours present: one label per colour name in ``Vocabulary/colours``, alike;
/// - occupied floor cells: one label per ``OccupancyGrid`` cell;
/// - the position `(x, y)` of the object in scenes with exactly one object.
public struct ProbeTargets: Sendable {
    /// The names the labels may take, fixed before any probe is fitted.
    public struct Vocabulary: Sendable, Equatable, Codable {
        /// Shape names, sorted.
        public var shapes: [String]
        /// Colour names, sorted.
        public var colours: [String]
        /// The largest object count (count classes are `0...maximumCount`).
        public var maximumCount: Int

        /// The names and counts appearing in `labels` (train and test scenes together, so
        /// that both are coded alike).
        public init(_ labels: [SceneLabels]) {
            shapes = Set(labels.flatMap { $0.objects.map(\.shape) }).sorted()
            colours = Set(labels.flatMap { $0.objects.map(\.colorName) }).sorted()
            maximumCount = labels.map(\.objects.count).max() ?? 0
        }

        enum CodingKeys: String, CodingKey {
            case shapes, colours
            case maximumCount = "maximum_count"
        }
    }

    /// Per scene, the number of objects.
    public var counts: [Int]
    /// Per scene, whether each vocabulary shape is present.
    public var shapes: [[Bool]]
    /// Per scene, whether each vocabulary colour is present.
    public var colours: [[Bool]]
    /// Per scene, whether each grid cell holds an object's centre.
    public var cells: [[Bool]]
    /// Per scene with exactly one object, its floor position; nil otherwise.
    public var singlePositions: [SIMD2<Float>?]

    /// Codes every scene's labels with `vocabulary` and `grid`.
    public init(_ labels: [SceneLabels], vocabulary: Vocabulary, grid: OccupancyGrid) {
        counts = labels.map(\.objects.count)
        shapes = labels.map { scene in
            let present = Set(scene.objects.map(\.shape))
            return vocabulary.shapes.map(present.contains)
        }
        colours = labels.map { scene in
            let present = Set(scene.objects.map(\.colorName))
            return vocabulary.colours.map(present.contains)
        }
        cells = labels.map { scene in
            let occupied = Set(scene.objects.map { grid.cell(x: $0.position.x, y: $0.position.y) })
            return (0..<grid.count).map(occupied.contains)
        }
        singlePositions = labels.map { scene in
            scene.objects.count == 1 ? SIMD2(scene.objects[0].position.x, scene.objects[0].position.y) : nil
        }
    }

    /// One-hot rows of the counts over `0...maximumCount`.
    static func oneHot(_ classes: [Int], classCount: Int) -> FeatureMatrix {
        FeatureMatrix(rows: classes.count, columns: classCount, values: classes.flatMap { value in
            (0..<classCount).map { $0 == value ? Float(1) : 0 }
        })
    }

    /// 0/1 rows of labels.
    static func indicators(_ labels: [[Bool]], columns: Int) -> FeatureMatrix {
        FeatureMatrix(rowVectors: labels.map { $0.map { $0 ? Float(1) : 0 } }, columns: columns)
    }
}
