import DataLoader
import GQN
import Tensors
import Testing

@Suite("DataLoader adapter")
struct DataLoaderAdapterTests {
    @Test("a loader batch becomes tensors of the documented shapes with the same values")
    func shapesAndValues() throws {
        let (b, k, h, w) = (2, 3, 4, 5)
        func ramp(_ count: Int, _ offset: Float) -> [Float] { (0..<count).map { Float($0) * 0.001 + offset } }
        let batch = GQNBatch(
            batchSize: b, contextCount: k, height: h, width: w, contextImages: ramp(b * k * 3 * h * w, 0),
            contextViewpoints: ramp(b * k * 7, 1), queryImage: ramp(b * 3 * h * w, 2), queryViewpoint: ramp(b * 7, 3),
            sceneIndices: [4, 9])
        let tensors = try GQNTensorBatch(batch)
        #expect(tensors.contextImages.shape == [b, k, 3, h, w])
        #expect(tensors.contextViewpoints.shape == [b, k, 7])
        #expect(tensors.queryImages.shape == [b, 3, h, w])
        #expect(tensors.queryViewpoints.shape == [b, 7])
        #expect(tensors.contextImages.scalars == batch.contextImages)
        #expect(tensors.contextViewpoints.scalars == batch.contextViewpoints)
        #expect(tensors.queryImages.scalars == batch.queryImage)
        #expect(tensors.queryViewpoints.scalars == batch.queryViewpoint)
        #expect(tensors.batchSize == b)
        #expect(tensors.contextViews == k)
    }
}
