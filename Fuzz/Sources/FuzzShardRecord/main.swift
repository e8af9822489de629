import Foundation
import FuzzSupport
@testable import ShardFormat

/// One record's payload, decoded directly (no CRC in the way): the first byte chooses the
/// schema (views 1-4, PNG or raw, depth, masks), the rest is the payload.
exit(FuzzSupport.run { input in
    guard let choice = input.first else { return }
    let schema = DatasetSchema(
        width: 4, height: 3, imageEncoding: choice & 1 == 0 ? .png : .raw, viewsPerScene: 1 + Int(choice >> 1 & 3),
        hasDepth: choice & 8 != 0, hasMasks: choice & 16 != 0)
    let payload = Array(input.dropFirst())
    payload.withUnsafeBytes { bytes in
        do {
            let record = try SceneRecord(payload: bytes, payloadOffset: 52, schema: schema, path: "input", record: 0)
            // A record that decodes encodes back to the same bytes.
            let encoded = try record.encodedPayload(schema: schema, path: "input")
            FuzzSupport.require(encoded == payload, "a decoded record encodes to other bytes")
        } catch {
            FuzzSupport.require("\(error)".hasPrefix("input:"), "an error without the file's name: \(error)")
        }
    }
})
