import Foundation
import GQN
import ShardFormat
import Testing

/// One decoded `tensorflow.Event`, as far as the writer fills it.
private struct DecodedEvent {
    var wallTime = 0.0
    var step = 0
    var fileVersion: String?
    var sessionStatus: UInt64?
    var scalars: [String: Float] = [:]
    var images: [String: (height: UInt64, width: UInt64, colorspace: UInt64, png: [UInt8])] = [:]
}

private func decodeEvents(at url: URL) throws -> [DecodedEvent] {
    try TFRecordReader(path: url.path).readAll().map { record in
        var reader = ProtobufReader(bytes: record)
        var event = DecodedEvent()
        while let field = try reader.nextField() {
            switch (field.number, field.value) {
            case (1, .fixed64(let bits)): event.wallTime = Double(bitPattern: bits)
            case (2, .varint(let step)): event.step = Int(step)
            case (3, .lengthDelimited(let range)): event.fileVersion = try reader.string(in: range, field: "file_version")
            case (7, .lengthDelimited(let range)):
                var log = reader.message(in: range)
                while let logField = try log.nextField() {
                    if logField.number == 1, case .varint(let status) = logField.value { event.sessionStatus = status }
                }
            case (5, .lengthDelimited(let range)):
                var summary = reader.message(in: range)
                while let valueField = try summary.nextField() {
                    guard valueField.number == 1, case .lengthDelimited(let valueRange) = valueField.value else {
                        Issue.record("unexpected Summary field \(valueField.number)")
                        continue
                    }
                    var value = summary.message(in: valueRange)
                    var tag = ""
                    var scalar: Float?
                    var image: (UInt64, UInt64, UInt64, [UInt8])?
                    while let entry = try value.nextField() {
                        switch (entry.number, entry.value) {
                        case (1, .lengthDelimited(let r)): tag = try value.string(in: r, field: "tag")
                        case (2, .fixed32(let bits)): scalar = Float(bitPattern: bits)
                        case (4, .lengthDelimited(let r)):
                            var imageReader = value.message(in: r)
                            var parts: (UInt64, UInt64, UInt64, [UInt8]) = (0, 0, 0, [])
                            while let imageField = try imageReader.nextField() {
                                switch (imageField.number, imageField.value) {
                                case (1, .varint(let v)): parts.0 = v
                                case (2, .varint(let v)): parts.1 = v
                                case (3, .varint(let v)): parts.2 = v
                                case (4, .lengthDelimited(let b)): parts.3 = imageReader.bytes(in: b)
                                default: Issue.record("unexpected Image field \(imageField.number)")
                                }
                            }
                            image = parts
                        default: Issue.record("unexpected Summary.Value field \(entry.number)")
                        }
                    }
                    if let scalar { event.scalars[tag] = scalar }
                    if let image { event.images[tag] = (image.0, image.1, image.2, image.3) }
                }
            default: Issue.record("unexpected Event field \(field.number)")
            }
        }
        return event
    }
}

@Suite("TensorBoard event files")
struct TensorBoardEventWriterTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("A fresh file: version event, then scalars and images with their steps and wall times")
    func freshRun() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var now = 1_700_000_000.25
        let writer = try TensorBoardEventWriter(directory: directory, resumedAtStep: nil, clock: {
            now += 1
            return now
        })
        try writer.addScalars(["train/loss": 2.5, "train/kl": 0.125], step: 10)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        try writer.addImage(tag: "samples", png: png, width: 96, height: 32, step: 10)
        try writer.addScalars(["train/loss": -1e-3], step: 20)
        try writer.close()

        #expect(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000001."))
        let events = try decodeEvents(at: writer.url)
        #expect(events.count == 4)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[0].wallTime == 1_700_000_001.25)
        #expect(events[1].step == 10 && events[1].scalars == ["train/loss": 2.5, "train/kl": 0.125])
        #expect(events[1].wallTime == 1_700_000_002.25)
        let image = try #require(events[2].images["samples"])
        #expect(image.height == 32 && image.width == 96 && image.colorspace == 3 && image.png == png)
        #expect(events[3].step == 20 && events[3].scalars == ["train/loss": -1e-3])
        #expect(events.allSatisfy { $0.sessionStatus == nil })
    }

    @Test("A resumed run: a new file whose SessionLog START drops the steps after the checkpoint")
    func resumedRun() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try TensorBoardEventWriter(directory: directory, resumedAtStep: nil, clock: { 5 })
        try first.addScalars(["train/loss": 1], step: 1)
        try first.close()
        let second = try TensorBoardEventWriter(directory: directory, resumedAtStep: 40, clock: { 5 })
        try second.close()
        #expect(first.url != second.url)
        let events = try decodeEvents(at: second.url)
        #expect(events.count == 2)
        #expect(events[1].sessionStatus == 1 && events[1].step == 41)
        #expect(try decodeEvents(at: first.url).count == 2)
    }
}
