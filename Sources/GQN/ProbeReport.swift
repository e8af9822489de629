/// What ``Probe`` reports: the settings, how each target is coded, the label-free baselines,
/// and one ``Result`` per (features, train-set size).
public struct ProbeReport: Codable, Equatable, Sendable {
    /// The features a probe reads.
    public enum FeatureKind: String, Codable, Sendable, CaseIterable {
        /// The trained representation network's `r`, pooled to a vector.
        case representation
        /// The same network with freshly initialised weights (same configuration and seed).
        case untrainedRepresentation = "untrained_representation"
        /// The context images, downsampled and averaged over the views.
        case pixels
    }

    /// The probes of one feature kind fitted on one number of training scenes, scored on the test split.
    public struct Result: Codable, Equatable, Sendable {
        /// The features read.
        public var features: FeatureKind
        /// Their dimension.
        public var featureCount: Int
        /// Training scenes the probes were fitted on (the split's first ones).
        public var trainScenes: Int
        /// Object count: accuracy of the multinomial logistic probe.
        public var countAccuracy: Double
        /// Object count: accuracy of always predicting the training scenes' most frequent count.
        public var countMajorityAccuracy: Double
        /// Shapes present: micro-F1 of the multi-label logistic probe at its held-out threshold.
        public var shapesF1: Double
        /// Colours present: micro-F1 of the multi-label logistic probe at its held-out threshold.
        public var coloursF1: Double
        /// Occupied floor cells: micro-F1 of the multi-label logistic probe at its held-out threshold.
        public var cellsF1: Double
        /// Shapes present: mean average precision of the probe's probabilities (threshold-free).
        public var shapesAP: Double
        /// Colours present: mean average precision.
        public var coloursAP: Double
        /// Occupied floor cells: mean average precision.
        public var cellsAP: Double
        /// Single-object scenes: mean distance (scene units) between the ridge probe's (x, y)
        /// and the object's; nil when too few training scenes have one object.
        public var positionError: Double?
        /// Single-object scenes: the same for always predicting the training mean position.
        public var positionBaselineError: Double?
        /// The regulariser chosen on the held-out part of the training scenes, per probe.
        public var regularization: [String: Double]
        /// The decision threshold chosen with it, per multi-label probe.
        public var thresholds: [String: Double]

        enum CodingKeys: String, CodingKey {
            case features, regularization, thresholds
            case featureCount = "feature_count"
            case trainScenes = "train_scenes"
            case countAccuracy = "count_accuracy"
            case countMajorityAccuracy = "count_majority_accuracy"
            case shapesF1 = "shapes_f1"
            case coloursF1 = "colours_f1"
            case cellsF1 = "cells_f1"
            case shapesAP = "shapes_ap"
            case coloursAP = "colours_ap"
            case cellsAP = "cells_ap"
            case positionError = "position_error"
            case positionBaselineError = "position_baseline_error"
        }
    }

    /// Scores that need no features, on the test split.
    public struct Baselines: Codable, Equatable, Sendable {
        /// Micro-F1 of predicting every shape present in every scene.
        public var shapesF1AllPresent: Double
        /// Micro-F1 of predicting every colour present in every scene.
        public var coloursF1AllPresent: Double
        /// Micro-F1 of predicting every cell occupied in every scene.
        public var cellsF1AllPresent: Double
        /// Micro-F1 of predicting, in every scene, the shapes present in more than half of the
        /// training scenes (what a probe that ignores its features, an intercept, learns).
        public var shapesF1Frequent: Double
        /// The same for colours.
        public var coloursF1Frequent: Double
        /// The same for cells.
        public var cellsF1Frequent: Double
        /// Mean average precision of a score that ignores the scene (the shapes' mean prevalence).
        public var shapesAPChance: Double
        /// The same for colours.
        public var coloursAPChance: Double
        /// The same for cells.
        public var cellsAPChance: Double

        enum CodingKeys: String, CodingKey {
            case shapesF1AllPresent = "shapes_f1_all_present"
            case coloursF1AllPresent = "colours_f1_all_present"
            case cellsF1AllPresent = "cells_f1_all_present"
            case shapesF1Frequent = "shapes_f1_frequent"
            case coloursF1Frequent = "colours_f1_frequent"
            case cellsF1Frequent = "cells_f1_frequent"
            case shapesAPChance = "shapes_ap_chance"
            case coloursAPChance = "colours_ap_chance"
            case cellsAPChance = "cells_ap_chance"
        }
    }

    /// The checkpoint probed.
    public var checkpoint: String
    /// The dataset directory.
    public var data: String
    /// The configuration's name.
    public var config: String
    /// Training steps of the checkpoint.
    public var step: Int
    /// Context views per scene.
    public var context: Int
    /// The split the probes are fitted on.
    public var trainSplit: String
    /// The split they are scored on.
    public var testSplit: String
    /// Test scenes.
    public var testScenes: Int
    /// Test scenes with exactly one object (the position probe's test set).
    public var testSingleObjectScenes: Int
    /// The side of the pixel features' grid.
    public var pixelGrid: Int
    /// The floor grid of the cell targets.
    public var occupancy: OccupancyGrid
    /// The shape and colour names and the count classes.
    public var vocabulary: ProbeTargets.Vocabulary
    /// How each target is coded and matched, in words.
    public var definitions: [String: String]
    /// Scores that need no features.
    public var baselines: Baselines
    /// Every (features, train-set size) pair, features in ``FeatureKind`` order, sizes ascending.
    public var results: [Result]

    enum CodingKeys: String, CodingKey {
        case checkpoint, data, config, step, context, occupancy, vocabulary, definitions, baselines, results
        case trainSplit = "train_split"
        case testSplit = "test_split"
        case testScenes = "test_scenes"
        case testSingleObjectScenes = "test_single_object_scenes"
        case pixelGrid = "pixel_grid"
    }
}
