import Foundation
import ImageCodec
import ShardFormat

/// A built batch, or the lack of one, with what was skipped on the way.
struct BatchOutcome: Sendable {
    /// The batch; nil when every one of its records was skipped.
    var batch: GQNBatch?
    /// Records skipped as corrupt (policy ``LoaderConfiguration/CorruptRecordPolicy/skip``).
    var skipped: Int
    /// The loader's state once this batch has been consumed.
    var stateAfter: LoaderState
}

/// Builds a ``GQNBatch`` from a ``BatchPlan``: reads each record (length and CRC-32C checked by
/// ``ShardReader``), picks its views, decodes them straight into the batch's buffers and
/// writes their viewpoints; when asked, also decodes the query view's instance mask and keeps
/// the record's labels. Immutable, so all decoding threads share one.
struct BatchAssembler: Sendable {
    let layout: SplitLayout
    let shards: ShardCache
    let seed: UInt64
    let maximumContext: Int
    let policy: LoaderConfiguration.CorruptRecordPolicy
    /// Whether to decode each query view's mask (the schema has masks: ``GQNLoader`` checks).
    var queryMasks = false
    /// Whether to keep each record's labels.
    var labels = false

    /// Bytes of scratch memory a thread needs (one decoded RGB8 view).
    var scratchByteCount: Int { layout.schema.width * layout.schema.height * 3 }

    /// Which views scene `sceneIndex` uses in `epoch`: element 0 is the query, elements
    /// `1...K` the context (a prefix, so a smaller `K` uses a subset of a larger one's views).
    /// A partial Fisher-Yates shuffle keyed by (seed, epoch, scene index).
    static func viewChoice(viewsPerScene: Int, picks: Int, seed: UInt64, epoch: Int, sceneIndex: UInt64) -> [Int] {
        let key = StatelessRandom.key(.sceneViews, seed, UInt64(epoch), sceneIndex)
        var views = Array(0..<viewsPerScene)
        for i in 0..<min(picks, viewsPerScene) {
            views.swapAt(i, i + StatelessRandom.below(viewsPerScene - i, key: key, counter: UInt64(i)))
        }
        return Array(views.prefix(picks))
    }

    /// Builds `plan`'s batch. `scratch` holds at least ``scratchByteCount`` bytes and belongs
    /// to the calling thread.
    func build(_ plan: BatchPlan, scratch: UnsafeMutableRawBufferPointer) -> Result<BatchOutcome, DataLoaderError> {
        let schema = layout.schema
        let (height, width) = (schema.height, schema.width)
        let imageSize = 3 * height * width
        let count = plan.samples.count
        let k = plan.contextCount
        let vp = GQNBatch.viewpointSize
        var contextImages = [Float](repeating: 0, count: count * k * imageSize)
        var contextViewpoints = [Float](repeating: 0, count: count * k * vp)
        var queryImage = [Float](repeating: 0, count: count * imageSize)
        var queryViewpoint = [Float](repeating: 0, count: count * vp)
        var masks = [UInt8](repeating: 0, count: queryMasks ? count * height * width : 0)
        var sceneLabels: [SceneLabels] = []
        var sceneIndices: [UInt64] = []
        sceneIndices.reserveCapacity(count)
        var skipped = 0
        do throws(DataLoaderError) {
            try contextImages.withUnsafeMutableBufferPointer { contextPixels throws(DataLoaderError) in
                try queryImage.withUnsafeMutableBufferPointer { queryPixels throws(DataLoaderError) in
                    for sample in plan.samples {
                        let slot = sceneIndices.count
                        do throws(DataLoaderError) {
                            let (sceneIndex, recordLabels) = try decode(
                                sample, epoch: plan.epoch, contextCount: k, scratch: scratch,
                                context: contextPixels.baseAddress! + slot * k * imageSize,
                                contextViewpoints: &contextViewpoints, contextViewpointOffset: slot * k * vp,
                                query: queryPixels.baseAddress! + slot * imageSize,
                                queryViewpoint: &queryViewpoint, queryViewpointOffset: slot * vp,
                                masks: &masks, maskOffset: slot * height * width)
                            sceneIndices.append(sceneIndex)
                            if labels { sceneLabels.append(recordLabels) }
                        } catch {
                            // A skipped record's slot is overwritten by the next one.
                            guard policy == .skip else { throw error }
                            skipped += 1
                        }
                    }
                }
            }
        } catch {
            return .failure(error)
        }
        let filled = sceneIndices.count
        if filled == 0 {
            return .success(BatchOutcome(batch: nil, skipped: skipped, stateAfter: plan.stateAfter))
        }
        if filled < count {
            contextImages.removeLast((count - filled) * k * imageSize)
            contextViewpoints.removeLast((count - filled) * k * vp)
            queryImage.removeLast((count - filled) * imageSize)
            queryViewpoint.removeLast((count - filled) * vp)
            if queryMasks { masks.removeLast((count - filled) * height * width) }
        }
        let batch = GQNBatch(
            batchSize: filled, contextCount: k, height: height, width: width, contextImages: contextImages,
            contextViewpoints: contextViewpoints, queryImage: queryImage, queryViewpoint: queryViewpoint,
            queryMasks: queryMasks ? masks : nil, labels: labels ? sceneLabels : nil,
            sceneIndices: sceneIndices, epoch: plan.epoch, batchNumber: plan.batchNumber)
        return .success(BatchOutcome(batch: batch, skipped: skipped, stateAfter: plan.stateAfter))
    }

    /// Reads one record and writes its query and `contextCount` context views (and the query's
    /// mask when asked); returns its scene index and labels.
    private func decode(
        _ sample: SampleReference, epoch: Int, contextCount: Int, scratch: UnsafeMutableRawBufferPointer,
        context: UnsafeMutablePointer<Float>, contextViewpoints: inout [Float], contextViewpointOffset: Int,
        query: UnsafeMutablePointer<Float>, queryViewpoint: inout [Float], queryViewpointOffset: Int,
        masks: inout [UInt8], maskOffset: Int
    ) throws(DataLoaderError) -> (UInt64, SceneLabels) {
        let reader = try shards.reader(Int(sample.shard))
        let recordNumber = Int(sample.record)
        let path = reader.url.path
        let record: SceneRecord
        do {
            record = try reader.record(at: recordNumber)
        } catch {
            throw .corruptRecord(shard: path, record: recordNumber, offset: error.byteOffset, reason: error.description)
        }
        let expected = layout.sceneIndex(of: sample)
        guard record.sceneIndex == expected else {
            throw .corruptRecord(shard: path, record: recordNumber, offset: nil,
                                 reason: "sceneIndex: expected \(expected) (manifest), found \(record.sceneIndex)")
        }
        let views = Self.viewChoice(viewsPerScene: record.views.count, picks: maximumContext + 1, seed: seed,
                                    epoch: epoch, sceneIndex: expected)
        let imageSize = 3 * layout.schema.width * layout.schema.height
        for slot in 0...contextCount {
            let viewNumber = views[slot]
            let view = record.views[viewNumber]
            let destination = slot == 0 ? query : context + (slot - 1) * imageSize
            do {
                try decodeImage(view.image, into: destination, scratch: scratch)
            } catch {
                throw .corruptRecord(shard: path, record: recordNumber, offset: nil,
                                     reason: "view \(viewNumber): image does not decode: \(error)")
            }
            if slot == 0 {
                Self.writeViewpoint(view.pose, into: &queryViewpoint, at: queryViewpointOffset)
                if queryMasks {
                    do {
                        try decodeMask(view.mask, into: &masks, at: maskOffset)
                    } catch {
                        throw .corruptRecord(shard: path, record: recordNumber, offset: nil,
                                             reason: "view \(viewNumber): mask: \(error)")
                    }
                }
            } else {
                Self.writeViewpoint(view.pose, into: &contextViewpoints,
                                    at: contextViewpointOffset + (slot - 1) * GQNBatch.viewpointSize)
            }
        }
        return (expected, record.labels)
    }

    /// Decodes an 8-bit grey instance-mask PNG of the schema's size into `masks` at `offset`.
    private func decodeMask(_ mask: [UInt8]?, into masks: inout [UInt8], at offset: Int) throws {
        let schema = layout.schema
        guard let mask else { throw MaskError("expected a mask PNG (the schema has masks), found none") }
        let bitmap = try PNGCodec.decodeGray8(mask)
        guard bitmap.width == schema.width, bitmap.height == schema.height else {
            throw MaskError("expected \(schema.width)x\(schema.height), found \(bitmap.width)x\(bitmap.height)")
        }
        masks.replaceSubrange(offset..<(offset + bitmap.samples.count), with: bitmap.samples)
    }

    /// Why a view's mask could not be used.
    private struct MaskError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Decodes one colour image (PNG, JPEG or raw RGB8) into planar floats in [0, 1].
    private func decodeImage(_ image: [UInt8], into destination: UnsafeMutablePointer<Float>,
                             scratch: UnsafeMutableRawBufferPointer) throws {
        let schema = layout.schema
        let pixels = schema.width * schema.height
        switch schema.imageEncoding {
        case .png, .jpeg:
            try image.withUnsafeBytes { encoded in
                if schema.imageEncoding == .png {
                    try PNGCodec.decodeRGB8(encoded, into: scratch, expectedWidth: schema.width, expectedHeight: schema.height)
                } else {
                    try JPEGCodec.decodeRGB8(encoded, into: scratch, expectedWidth: schema.width, expectedHeight: schema.height)
                }
            }
            PixelConversion.planarFloats(
                fromRGB8: UnsafePointer(scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)),
                pixelCount: pixels, into: destination)
        case .raw:
            // ShardReader has checked the length against the schema.
            image.withUnsafeBufferPointer { raw in
                PixelConversion.planarFloats(fromRGB8: raw.baseAddress!, pixelCount: pixels, into: destination)
            }
        }
    }

    /// Writes ``GQNBatch/viewpoint(_:)`` of `pose` at `offset`.
    static func writeViewpoint(_ pose: CameraPose, into buffer: inout [Float], at offset: Int) {
        buffer.replaceSubrange(offset..<(offset + GQNBatch.viewpointSize), with: GQNBatch.viewpoint(pose))
    }
}

extension ShardFormatError {
    /// The byte offset the error names, if any.
    var byteOffset: UInt64? {
        switch self {
        case .checksumMismatch(_, _, _, let offset, _, _), .lengthOutOfBounds(_, _, let offset, _, _, _),
             .malformed(_, _, let offset, _, _, _), .badMagic(_, let offset, _, _), .missingTrailer(_, let offset, _):
            return offset
        default:
            return nil
        }
    }
}
