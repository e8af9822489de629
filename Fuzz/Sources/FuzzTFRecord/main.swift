import Foundation
import FuzzSupport
import ShardFormat
import ShardTools

/// DeepMind's GQN TFRecord input: the framing (both masked CRCs, lengths) and every record as a
/// `tf.train.Example` with `frames` and `cameras`. The second pass repairs the CRCs of the first
/// record so that mutations reach the protobuf parser. A parsed example serializes to bytes that
/// parse back to the same example; every error names the file.
exit(FuzzSupport.run { original in
    var repaired = original
    if repaired.count >= 16 {
        let length = repaired[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let lengthCRC = CRC32C.masked(CRC32C.checksum(Array(repaired[0..<8])))
        for i in 0..<4 { repaired[8 + i] = UInt8(truncatingIfNeeded: lengthCRC >> (8 * i)) }
        if length >= 0, length <= repaired.count - 16 {
            let dataCRC = CRC32C.masked(CRC32C.checksum(Array(repaired[12..<(12 + length)])))
            for i in 0..<4 { repaired[12 + length + i] = UInt8(truncatingIfNeeded: dataCRC >> (8 * i)) }
        }
    }
    for input in [original, repaired] {
        let reader = TFRecordReader(bytes: input, path: "input")
        do {
            var index = 0
            while let record = try reader.next() {
                do {
                    let example = try GQNExample(parsing: record, path: "input", record: index, dataOffset: 0)
                    let again = try GQNExample(parsing: example.serialized(), path: "again", record: 0, dataOffset: 0)
                    // Bit patterns, so that a NaN camera value compares equal to itself.
                    FuzzSupport.require(
                        again.frames == example.frames && again.cameras.map(\.bitPattern) == example.cameras.map(\.bitPattern),
                        "an example does not survive serializing and parsing again")
                } catch {
                    FuzzSupport.require("\(error)".hasPrefix("input"), "an error without the file's name: \(error)")
                }
                index += 1
            }
        } catch {
            FuzzSupport.require("\(error)".hasPrefix("input"), "an error without the file's name: \(error)")
        }
    }
})
