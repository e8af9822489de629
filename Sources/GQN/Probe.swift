import Foundation
import ShardFormat

/// Linear probes of what a frozen representation knows about its scene: how many objects,
/// which shapes and colours, where they stand; compared with the same probes on an untrained
/// network and on raw pixels, at several training-set sizes.
///
/// For every scene of both splits (scene order, fixed seed, ``context`` views chosen as in
/// ``Evaluation``), the features are: the trained network's representation `r` pooled to a
/// vector, the untrained network's, and the context images averaged over
/// ``pixelGrid`` x ``pixelGrid`` cells and over the views. For each feature kind and each
/// training-set size (the first N training scenes), features are standardised on those N
/// scenes, a regulariser is chosen per probe on their last ``heldOutFraction`` (the best
/// held-out score; ties go to the stronger regulariser) and the probe is refitted on all N.
/// The multi-label probes choose their decision threshold on the same held-out scenes (their
/// F1 at a fixed 0.5 fell with more training scenes: see
/// ``ProbeScores/bestThreshold(probabilities:truth:candidates:)``) and also report the
/// threshold-free mean average precision:
///
/// | target | probe | score on test |
/// |---|---|---|
/// | object count | softmax ``LogisticRegression`` over `0...max` | accuracy (vs. the majority count) |
/// | shapes present | sigmoid ``LogisticRegression``, one label per shape name | micro-F1, mean AP |
/// | colours present | the same, one label per colour name | micro-F1, mean AP |
/// | occupied floor cells | the same, one label per ``OccupancyGrid`` cell | micro-F1, mean AP |
/// | position, one-object scenes | ``RidgeRegression`` of (x, y) | mean distance (vs. the mean position) |
///
/// ```swift
/// let probe = Probe(context: 3)
/// let report = try probe.run(trained: model, untrained: fresh, directory: data, checkpoint: path, step: 1500)
/// print(report.table())
/// ```
public struct Probe: Sendable {
    /// Context views per scene.
    public var context: Int
    /// Use at most this many training scenes (nil: all).
    public var trainScenes: Int?
    /// Training-set sizes of the label-efficiency curve; all available scenes are always added.
    public var curve = [100, 1_000]
    /// The side of the pixel features' grid.
    public var pixelGrid = 8
    /// The floor grid of the cell targets.
    public var occupancy = OccupancyGrid()
    /// The split the probes are fitted on.
    public var trainSplit = "train"
    /// The split they are scored on.
    public var testSplit = "test"
    /// Scenes per forward pass.
    public var batchSize = 16
    /// Seeds the view choice.
    public var seed = Evaluation.defaultSeed
    /// Gradient steps of each logistic fit.
    public var iterations = 300
    /// The logistic probes' candidate regularisers.
    public var logisticRegularizations: [Float] = [1e-4, 1e-3, 1e-2, 1e-1]
    /// The ridge probe's candidate regularisers.
    public var ridgeRegularizations: [Double] = [1e-3, 1e-2, 1e-1, 1]
    /// The share of the training scenes held out to choose a regulariser (and, for the
    /// multi-label probes, a decision threshold).
    public var heldOutFraction = 0.2
    /// The multi-label probes' candidate decision thresholds.
    public var thresholds = ProbeScores.defaultThresholds

    /// Creates a probe with `context` views per scene and the default settings.
    public init(context: Int) {
        self.context = context
    }

    /// The training-set sizes probed when `available` scenes can be used: the ``curve`` sizes
    /// below it, then `available`.
    public func trainingSizes(available: Int) -> [Int] {
        Array(Set(curve.filter { $0 >= 2 && $0 < available } + [available])).sorted()
    }

    /// Fits and scores every probe.
    /// - Parameters:
    ///   - trained: The trained model (only its representation network runs).
    ///   - untrained: The same configuration, freshly initialised.
    ///   - directory: The dataset directory.
    ///   - checkpoint: The checkpoint's path (reported).
    ///   - step: The checkpoint's step (reported).
    /// - Throws: ``MeasurementError`` for unreadable data, empty splits, scenes without
    ///   objects, too few training scenes or bad settings; model errors.
    public func run(trained: GQNModel, untrained: GQNModel, directory: URL, checkpoint: String, step: Int) throws -> ProbeReport {
        let size = trained.configuration.imageSize
        guard (1...size).contains(pixelGrid) else {
            throw MeasurementError.invalidSetting(name: "pixel grid", expected: "1...\(size)", found: "\(pixelGrid)")
        }
        guard !thresholds.isEmpty, thresholds.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw MeasurementError.invalidSetting(name: "thresholds", expected: "at least one value in (0, 1)", found: "\(thresholds)")
        }
        guard occupancy.cells >= 1, occupancy.size > 0 else {
            throw MeasurementError.invalidSetting(name: "occupancy grid", expected: "at least 1 cell over a positive size", found: "\(occupancy)")
        }
        let models = [trained, untrained]
        let train = try ProbeFeatures.extract(
            models: models, directory: directory, split: trainSplit, context: context, limit: trainScenes,
            batchSize: batchSize, seed: seed, pixelGrid: pixelGrid)
        let test = try ProbeFeatures.extract(
            models: models, directory: directory, split: testSplit, context: context, limit: nil, batchSize: batchSize,
            seed: seed, pixelGrid: pixelGrid)
        for (split, labels) in [(trainSplit, train.labels), (testSplit, test.labels)] where labels.allSatisfy({ $0.objects.isEmpty }) {
            throw MeasurementError.missingLabels(path: directory.path, split: split)
        }
        guard train.labels.count >= 2 else {
            throw MeasurementError.invalidSetting(
                name: "train scenes", expected: "at least 2 in split \(trainSplit)", found: "\(train.labels.count)")
        }
        let vocabulary = ProbeTargets.Vocabulary(train.labels + test.labels)
        let trainTargets = ProbeTargets(train.labels, vocabulary: vocabulary, grid: occupancy)
        let testTargets = ProbeTargets(test.labels, vocabulary: vocabulary, grid: occupancy)
        let features: [(ProbeReport.FeatureKind, FeatureMatrix, FeatureMatrix)] = [
            (.representation, train.representations[0], test.representations[0]),
            (.untrainedRepresentation, train.representations[1], test.representations[1]),
            (.pixels, train.pixels, test.pixels),
        ]
        var results: [ProbeReport.Result] = []
        for (kind, trainFeatures, testFeatures) in features {
            for n in trainingSizes(available: train.labels.count) {
                results.append(fit(
                    kind, train: trainFeatures, trainTargets: trainTargets, scenes: n, test: testFeatures,
                    testTargets: testTargets, vocabulary: vocabulary))
            }
        }
        func allPresent(_ labels: [[Bool]]) -> Double {
            ProbeScores.microF1(predicted: labels.map { $0.map { _ in true } }, truth: labels)
        }
        func frequent(_ trainLabels: [[Bool]], _ testLabels: [[Bool]]) -> Double {
            let columns = testLabels.first?.count ?? 0
            let common = (0..<columns).map { column in 2 * trainLabels.filter { $0[column] }.count > trainLabels.count }
            return ProbeScores.microF1(predicted: testLabels.map { _ in common }, truth: testLabels)
        }
        return ProbeReport(
            checkpoint: checkpoint, data: directory.path, config: trained.configuration.name, step: step, context: context,
            trainSplit: trainSplit, testSplit: testSplit, testScenes: test.labels.count,
            testSingleObjectScenes: testTargets.singlePositions.compactMap { $0 }.count, pixelGrid: pixelGrid,
            occupancy: occupancy, vocabulary: vocabulary, definitions: definitions,
            baselines: .init(
                shapesF1AllPresent: allPresent(testTargets.shapes), coloursF1AllPresent: allPresent(testTargets.colours),
                cellsF1AllPresent: allPresent(testTargets.cells),
                shapesF1Frequent: frequent(trainTargets.shapes, testTargets.shapes),
                coloursF1Frequent: frequent(trainTargets.colours, testTargets.colours),
                cellsF1Frequent: frequent(trainTargets.cells, testTargets.cells),
                shapesAPChance: ProbeScores.meanPrevalence(testTargets.shapes),
                coloursAPChance: ProbeScores.meanPrevalence(testTargets.colours),
                cellsAPChance: ProbeScores.meanPrevalence(testTargets.cells)),
            results: results)
    }

    /// How each target is coded and matched, for the report.
    var definitions: [String: String] {
        let cell = occupancy.size / Float(occupancy.cells)
        return [
            "count": "objects listed in the scene's labels; classes 0...max over both splits; accuracy",
            "shapes": "a label per shape name seen in either split, present if any object has that shape; micro-F1 over (scene, shape) pairs at the held-out threshold, and mean average precision over the shapes (threshold-free)",
            "colours": "a label per colour name (labels' colorName) seen in either split, present if any object has it; micro-F1 at the held-out threshold, and mean average precision",
            "cells": "the \(occupancy.size)x\(occupancy.size) floor centred on the origin cut into \(occupancy.cells)x\(occupancy.cells) cells of \(cell) units; a cell is occupied when an object's centre (x, y) lies in it (centres outside go to the nearest border cell; extents ignored); micro-F1 over (scene, cell) pairs at the held-out threshold, and mean average precision",
            "position": "scenes with exactly one object: ridge regression of its centre (x, y); mean Euclidean distance in scene units",
            "features": "representation: r of the \(context) context views (summed over views), averaged over its grid; pixels: each context image averaged over \(pixelGrid)x\(pixelGrid) cells, then over the views; standardised on the training scenes",
            "fitting": "the first N training scenes; regulariser chosen on their last \(Int(heldOutFraction * 100)) % among logistic \(logisticRegularizations) / ridge \(ridgeRegularizations) (multi-label probes: together with the decision threshold among \(thresholds.first ?? 0)...\(thresholds.last ?? 0), \(thresholds.count) values, by held-out micro-F1), then refitted on all N; logistic: \(iterations) Nesterov gradient steps",
        ]
    }

    /// Every probe of one feature kind on the first `scenes` training scenes.
    func fit(
        _ kind: ProbeReport.FeatureKind, train allTrain: FeatureMatrix, trainTargets all: ProbeTargets, scenes n: Int,
        test rawTest: FeatureMatrix, testTargets: ProbeTargets, vocabulary: ProbeTargets.Vocabulary
    ) -> ProbeReport.Result {
        let rawTrain = allTrain.selecting(rows: 0..<n)
        let standardization = FeatureMatrix.Standardization(fitting: rawTrain)
        let train = standardization.apply(rawTrain)
        let test = standardization.apply(rawTest)
        let counts = Array(all.counts.prefix(n))
        let classCount = vocabulary.maximumCount + 1
        var regularization: [String: Double] = [:]

        // Object count.
        let countModel = selectLogistic(train, ProbeTargets.oneHot(counts, classCount: classCount), .softmax) { model, x, rows in
            ProbeScores.accuracy(predicted: model.predictedClasses(x), truth: rows.map { counts[$0] })
        }
        regularization["count"] = Double(countModel.regularization)
        let countAccuracy = ProbeScores.accuracy(predicted: countModel.model.predictedClasses(test), truth: testTargets.counts)
        let majority = ProbeScores.majorityClass(counts)
        let majorityAccuracy = ProbeScores.accuracy(
            predicted: [Int](repeating: majority, count: testTargets.counts.count), truth: testTargets.counts)

        // Multi-label targets: F1 at the held-out threshold, and the threshold-free mean AP.
        var thresholds: [String: Double] = [:]
        func multiLabel(_ name: String, _ trainLabels: [[Bool]], _ testLabels: [[Bool]], columns: Int) -> (f1: Double, ap: Double) {
            let labels = Array(trainLabels.prefix(n))
            let chosen = selectMultiLabel(train, labels, columns: columns)
            regularization[name] = Double(chosen.regularization)
            thresholds[name] = Double(chosen.threshold)
            let probabilities = chosen.model.probabilities(test).rowArrays
            return (
                ProbeScores.microF1(predicted: ProbeScores.labels(probabilities, above: chosen.threshold), truth: testLabels),
                ProbeScores.meanAveragePrecision(scores: probabilities, truth: testLabels)
            )
        }
        let shapes = multiLabel("shapes", all.shapes, testTargets.shapes, columns: vocabulary.shapes.count)
        let colours = multiLabel("colours", all.colours, testTargets.colours, columns: vocabulary.colours.count)
        let cells = multiLabel("cells", all.cells, testTargets.cells, columns: occupancy.count)

        // Position of single objects.
        var positionError: Double?
        var positionBaselineError: Double?
        let trainSingles = (0..<n).filter { all.singlePositions[$0] != nil }
        let testSingles = testTargets.singlePositions.indices.filter { testTargets.singlePositions[$0] != nil }
        if trainSingles.count >= 5, !testSingles.isEmpty, let chosen = selectRidge(train, trainSingles, all.singlePositions) {
            regularization["position"] = chosen.regularization
            let predicted = chosen.model.predict(test.selecting(rows: testSingles))
            let truth = testSingles.compactMap { testTargets.singlePositions[$0] }
            positionError = ProbeScores.meanDistance(
                predicted: (0..<predicted.rows).map { SIMD2(predicted[$0, 0], predicted[$0, 1]) }, truth: truth)
            let mean = trainSingles.compactMap { all.singlePositions[$0] }.reduce(SIMD2<Float>.zero, +) / Float(trainSingles.count)
            positionBaselineError = ProbeScores.meanDistance(predicted: truth.map { _ in mean }, truth: truth)
        }
        return ProbeReport.Result(
            features: kind, featureCount: train.columns, trainScenes: n, countAccuracy: countAccuracy,
            countMajorityAccuracy: majorityAccuracy, shapesF1: shapes.f1, coloursF1: colours.f1, cellsF1: cells.f1,
            shapesAP: shapes.ap, coloursAP: colours.ap, cellsAP: cells.ap,
            positionError: positionError, positionBaselineError: positionBaselineError, regularization: regularization,
            thresholds: thresholds)
    }

    /// The split of `count` rows into fitting rows and held-out rows (the last ``heldOutFraction``).
    func heldOutSplit(_ count: Int) -> (fit: Range<Int>, heldOut: Range<Int>) {
        let heldOut = Swift.min(Swift.max(1, Int((Double(count) * heldOutFraction).rounded())), count - 1)
        return (0..<(count - heldOut), (count - heldOut)..<count)
    }

    /// Chooses the logistic regulariser by `score` (higher is better) on the held-out rows,
    /// then refits on every row.
    func selectLogistic(
        _ x: FeatureMatrix, _ y: FeatureMatrix, _ output: LogisticRegression.Output,
        score: (LogisticRegression, FeatureMatrix, Range<Int>) -> Double
    ) -> (model: LogisticRegression, regularization: Float) {
        let (fitRows, heldOut) = heldOutSplit(x.rows)
        var best: (score: Double, regularization: Float)?
        for lambda in logisticRegularizations.sorted(by: >) {
            let model = LogisticRegression.fit(
                features: x.selecting(rows: fitRows), targets: y.selecting(rows: fitRows), output: output,
                regularization: lambda, iterations: iterations)
            let value = score(model, x.selecting(rows: heldOut), heldOut)
            if best.map({ value > $0.score }) ?? true { best = (value, lambda) }
        }
        let lambda = best?.regularization ?? logisticRegularizations.first ?? 1e-2
        return (LogisticRegression.fit(features: x, targets: y, output: output, regularization: lambda, iterations: iterations), lambda)
    }

    /// Chooses the sigmoid probe's regulariser and decision threshold together, by micro-F1 on
    /// the held-out rows (ties: the stronger regulariser, then the lower threshold), then refits
    /// on every row.
    func selectMultiLabel(
        _ x: FeatureMatrix, _ labels: [[Bool]], columns: Int
    ) -> (model: LogisticRegression, regularization: Float, threshold: Float) {
        let y = ProbeTargets.indicators(labels, columns: columns)
        let (fitRows, heldOut) = heldOutSplit(x.rows)
        let heldOutTruth = heldOut.map { labels[$0] }
        var best: (f1: Double, regularization: Float, threshold: Float)?
        for lambda in logisticRegularizations.sorted(by: >) {
            let model = LogisticRegression.fit(
                features: x.selecting(rows: fitRows), targets: y.selecting(rows: fitRows), output: .sigmoid,
                regularization: lambda, iterations: iterations)
            let chosen = ProbeScores.bestThreshold(
                probabilities: model.probabilities(x.selecting(rows: heldOut)).rowArrays, truth: heldOutTruth,
                candidates: thresholds)
            if best.map({ chosen.f1 > $0.f1 }) ?? true { best = (chosen.f1, lambda, chosen.threshold) }
        }
        let lambda = best?.regularization ?? logisticRegularizations.first ?? 1e-2
        let model = LogisticRegression.fit(features: x, targets: y, output: .sigmoid, regularization: lambda, iterations: iterations)
        return (model, lambda, best?.threshold ?? 0.5)
    }

    /// Chooses the ridge regulariser of the (x, y) position probe by held-out distance, then
    /// refits on every one-object training scene.
    func selectRidge(
        _ x: FeatureMatrix, _ rows: [Int], _ positions: [SIMD2<Float>?]
    ) -> (model: RidgeRegression, regularization: Double)? {
        let features = x.selecting(rows: rows)
        let targets = FeatureMatrix(rows: rows.count, columns: 2, values: rows.flatMap { row -> [Float] in
            let p = positions[row] ?? .zero
            return [p.x, p.y]
        })
        let (fitRows, heldOut) = heldOutSplit(rows.count)
        var best: (error: Double, regularization: Double)?
        for lambda in ridgeRegularizations.sorted(by: >) {
            guard let model = RidgeRegression.fit(
                features: features.selecting(rows: fitRows), targets: targets.selecting(rows: fitRows), regularization: lambda)
            else { continue }
            let predicted = model.predict(features.selecting(rows: heldOut))
            let error = ProbeScores.meanDistance(
                predicted: (0..<predicted.rows).map { SIMD2(predicted[$0, 0], predicted[$0, 1]) },
                truth: heldOut.map { SIMD2(targets[$0, 0], targets[$0, 1]) })
            if best.map({ error < $0.error }) ?? true { best = (error, lambda) }
        }
        guard let lambda = best?.regularization,
            let model = RidgeRegression.fit(features: features, targets: targets, regularization: lambda)
        else { return nil }
        return (model, lambda)
    }
}
