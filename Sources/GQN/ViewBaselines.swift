import DataLoader
import Foundation

/// The two baselines a GQN's imagined views are measured against: predictions made from the
/// context views alone, with no learning.
///
/// - ``contextMean(_:)``: every pixel value is the mean of that value over the K context images.
/// - ``nearestPose(_:)``: the context image whose camera pose is nearest the query's, by
///   ``poseDistance(_:_:)``; ties go to the first view.
public enum ViewBaselines {
    /// `[B, 3, H, W]`: each scene's context images averaged.
    /// - Complexity: O(B K 3 H W).
    public static func contextMean(_ batch: GQNBatch) -> [Float] {
        let image = 3 * batch.height * batch.width
        let k = batch.contextCount
        var result = [Float](repeating: 0, count: batch.batchSize * image)
        for scene in 0..<batch.batchSize {
            for i in 0..<image {
                var sum: Float = 0
                for view in 0..<k { sum += batch.contextImages[(scene * k + view) * image + i] }
                result[scene * image + i] = sum / Float(k)
            }
        }
        return result
    }

    /// The distance between two viewpoints `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`:
    /// Euclidean distance of the positions plus the absolute yaw difference (wrapped to
    /// [-pi, pi]) plus the absolute pitch difference, in radians: one scene unit weighs as
    /// much as one radian.
    public static func poseDistance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        let a = Array(a).map(Double.init), b = Array(b).map(Double.init)
        let position = ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2])).squareRoot()
        var yaw = atan2(a[4], a[3]) - atan2(b[4], b[3])
        yaw = atan2(sin(yaw), cos(yaw))
        let pitch = atan2(a[6], a[5]) - atan2(b[6], b[5])
        return position + abs(yaw) + abs(pitch)
    }

    /// `[B, 3, H, W]`: each scene's context image whose pose is nearest the query's.
    /// - Complexity: O(B K) distances and O(B 3 H W) copies.
    public static func nearestPose(_ batch: GQNBatch) -> [Float] {
        let image = 3 * batch.height * batch.width
        let k = batch.contextCount
        let vp = GQNBatch.viewpointSize
        var result: [Float] = []
        result.reserveCapacity(batch.batchSize * image)
        for scene in 0..<batch.batchSize {
            let query = batch.queryViewpoint[(scene * vp)..<(scene * vp + vp)]
            var best = 0
            var bestDistance = Double.infinity
            for view in 0..<k {
                let start = (scene * k + view) * vp
                let distance = poseDistance(batch.contextViewpoints[start..<(start + vp)], query)
                if distance < bestDistance {
                    best = view
                    bestDistance = distance
                }
            }
            let start = (scene * k + best) * image
            result.append(contentsOf: batch.contextImages[start..<(start + image)])
        }
        return result
    }
}
