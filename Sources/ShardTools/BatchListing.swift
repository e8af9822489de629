import DataLoader
import Foundation
import ShardFormat

/// What `shardtool batches` prints: the batches a ``/DataLoader/GQNLoader`` returns, one JSON line each,
/// without their pixels: which scenes, which of their views, the context count, the state
/// after the batch, and CRC-32C checksums of the float buffers. Other loaders of our shards
/// (the Python package's) compare their batches with these line by line.
public struct BatchListing: Codable, Equatable, Sendable {
    /// The batch's epoch.
    public var epoch: Int
    /// The batch's number within its epoch on this rank.
    public var batchNumber: Int
    /// Context views per scene, `K`.
    public var contextCount: Int
    /// Each scene's index in the dataset.
    public var sceneIndices: [UInt64]
    /// Each scene's views: the query first, then the `K` context views.
    public var views: [[Int]]
    /// The loader's state once the batch is consumed.
    public var state: LoaderState
    /// CRC-32C of the query images, `[B, 3, H, W]` Float32 little-endian.
    public var queryImageCRC32C: UInt32
    /// CRC-32C of the context images, `[B, K, 3, H, W]` Float32 little-endian.
    public var contextImagesCRC32C: UInt32
    /// The query viewpoints, `[B, 7]`.
    public var queryViewpoint: [Float]

    /// Describes `batch`, read by a loader with `configuration` from a dataset of `viewsPerScene`.
    public init(_ batch: GQNBatch, state: LoaderState, configuration: LoaderConfiguration, viewsPerScene: Int) {
        epoch = batch.epoch
        batchNumber = batch.batchNumber
        contextCount = batch.contextCount
        sceneIndices = batch.sceneIndices
        views = batch.sceneIndices.map {
            configuration.views(ofScene: $0, epoch: batch.epoch, viewsPerScene: viewsPerScene, contextCount: batch.contextCount)
        }
        self.state = state
        queryImageCRC32C = Self.checksum(batch.queryImage)
        contextImagesCRC32C = Self.checksum(batch.contextImages)
        queryViewpoint = batch.queryViewpoint
    }

    /// CRC-32C of `values` as little-endian Float32 bytes.
    static func checksum(_ values: [Float]) -> UInt32 {
        let bytes = values.map(\.bitPattern.littleEndian)
        return bytes.withUnsafeBytes { CRC32C.checksum($0) }
    }

    /// Every batch of a loader with `configuration`, listed in order.
    /// - Throws: ``/DataLoader/DataLoaderError`` from the loader.
    public static func list(_ configuration: LoaderConfiguration, resumingFrom state: LoaderState? = nil,
                            _ body: (BatchListing) throws -> Void) throws {
        let loader = try GQNLoader(configuration: configuration, resumingFrom: state)
        defer { loader.stop() }
        while let batch = try loader.next() {
            try body(BatchListing(batch, state: loader.state, configuration: configuration,
                                  viewsPerScene: loader.schema.viewsPerScene))
        }
    }

    /// The listing as one line of JSON with sorted keys.
    public func jsonLine() throws -> String {
        try JSONOutput.line(self)
    }
}
