import Foundation
import GQN

extension Sample {
    /// Writes the uncertainty picture: per context count 1...`context`, the query view (recorded
    /// view `context`) imagined from the first k views, and prints its JSON line.
    func drawUncertainty(model: GQNModel, images: [[Float]], viewpoints: [[Float]], context: Int, sceneIndex: UInt64) throws {
        let measured: ContextUncertainty
        do {
            measured = try ContextUncertainty(
                model: model, views: images, viewpoints: viewpoints, query: context, contextCounts: Array(1...context),
                samples: samples, seed: seed)
        } catch let error as MeasurementError {
            throw TrainCommandError("--uncertainty: \(error)")
        }
        let size = model.configuration.imageSize
        let heatMap = VarianceHeatMap(maximum: measured.largestPixelVariance)
        let tile = { (values: [Float]) in values.withUnsafeBufferPointer { ImageTiles.tile($0, index: 0, height: size, width: size) } }
        let rows = measured.rows.map { row in
            [tile(images[context]), tile(row.priorMean)] + row.samples.map(tile) + [tile(heatMap.picture(row.pixelVariance))]
                + images[0..<row.context].map(tile)
        }
        try ImageTiles.writeSheet(rows, to: out)
        let perContext = measured.rows.map { row in
            "{\"context\":\(row.context),\"mean_variance\":\(jsonNumber(row.meanVariance)),\"mse_prior_mean\":\(jsonNumber(row.msePriorMean))}"
        }
        print("""
            {"out":"\(out)","scene":\(scene),"scene_index":\(sceneIndex),"query_view":\(context),"samples":\(samples),\
            "per_context":[\(perContext.joined(separator: ","))],"variance_scale_max":\(jsonNumber(heatMap.maximum)),\
            "variance_map":"\(VarianceHeatMap.description); per pixel, variance across the samples averaged over RGB, one scale for every row",\
            "rows":"row k = context views 0..<k: ground truth | prior mean | \(samples) samples | variance map | context views"}
            """)
    }
}
