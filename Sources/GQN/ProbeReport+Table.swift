import Foundation

extension ProbeReport {
    /// The report as a plain-text table: one row per (features, training scenes), then the
    /// baselines and the definitions.
    public func table() -> String {
        func number(_ value: Double?, _ digits: Int = 3) -> String {
            guard let value, value.isFinite else { return "-" }
            return String(format: "%.\(digits)f", value)
        }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        let header = [
            "features", "dim", "train", "count acc", "(majority)", "shapes F1", "AP", "colours F1", "AP", "cells F1", "AP",
            "pos err", "(mean pos)",
        ]
        let widths = [26, 5, 7, 10, 11, 10, 7, 11, 7, 9, 7, 8, 11]
        var lines = [
            "Linear probes of \(config) at step \(step), K = \(context) context views; fitted on \(trainSplit), scored on \(testSplit) "
                + "(\(testScenes) scenes, \(testSingleObjectScenes) with one object)",
            zip(header, widths).map { pad($0, $1) }.joined(),
        ]
        for result in results {
            let cells = [
                result.features.rawValue, "\(result.featureCount)", "\(result.trainScenes)", number(result.countAccuracy),
                number(result.countMajorityAccuracy), number(result.shapesF1), number(result.shapesAP), number(result.coloursF1),
                number(result.coloursAP), number(result.cellsF1), number(result.cellsAP),
                number(result.positionError, 2), number(result.positionBaselineError, 2),
            ]
            lines.append(zip(cells, widths).map { pad($0, $1) }.joined())
        }
        lines.append("")
        lines.append(
            "Label-free baselines on \(testSplit), micro-F1 of predicting every label present | the labels present in over half "
                + "of the training scenes: shapes \(number(baselines.shapesF1AllPresent)) | \(number(baselines.shapesF1Frequent)), "
                + "colours \(number(baselines.coloursF1AllPresent)) | \(number(baselines.coloursF1Frequent)), "
                + "cells \(number(baselines.cellsF1AllPresent)) | \(number(baselines.cellsF1Frequent)); "
                + "mean AP of a score that ignores the scene (mean prevalence): shapes \(number(baselines.shapesAPChance)), "
                + "colours \(number(baselines.coloursAPChance)), cells \(number(baselines.cellsAPChance)); "
                + "count: always the training set's most frequent count (majority); position: the training mean (mean pos).")
        lines.append("Shapes: \(vocabulary.shapes.joined(separator: ", ")); colours: \(vocabulary.colours.joined(separator: ", ")); "
            + "counts 0...\(vocabulary.maximumCount).")
        for key in definitions.keys.sorted() {
            lines.append("\(key): \(definitions[key] ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
