import Foundation
import ShardFormat

/// Writes a TensorBoard event file: the training curves and sample grids of a run, for
/// `tensorboard --logdir RUNS`.
///
/// An event file is a TFRecord file (``/ShardFormat/TFRecordWriter``) of `tensorflow.Event`
/// protocol buffers: the first holds the file version (`brain.Event:2`), each later one a
/// wall time, a step and a `Summary` of scalar values or PNG images. The file is written
/// live, each event fsynced at ``flush()``, so a TensorBoard already watching the run
/// directory shows new points as they are logged. A resumed run opens a new file that starts
/// with a `SessionLog` `START` at the step after its checkpoint's, which tells TensorBoard to
/// drop the points earlier files logged from that step on (steps a killed run took after its
/// last checkpoint, which the resumed run repeats).
///
/// ```swift
/// let events = try TensorBoardEventWriter(directory: run, resumedAtStep: nil)
/// try events.addScalars(["train/loss": 1.5], step: 10)
/// try events.flush()
/// ```
///
/// A class because it owns an open file; use it from one thread.
public final class TensorBoardEventWriter {
    /// The file being written, `events.out.tfevents.<seconds>.<host>.<pid>`.
    public let url: URL
    private let records: TFRecordWriter
    private let clock: () -> Double

    /// Creates the event file in `directory` and writes its version event (and, for a resumed
    /// run, the `SessionLog` `START` at the step it resumes from).
    /// - Parameters:
    ///   - directory: An existing directory (the run directory).
    ///   - resumedAtStep: The number of steps the resumed checkpoint had completed (points at
    ///     later steps are dropped); `nil` for a fresh run.
    ///   - clock: Seconds since 1970 for each event's wall time; the system clock by default.
    /// - Throws: `ShardFormatError` when the file cannot be created or written.
    public init(
        directory: URL, resumedAtStep: Int?,
        clock: @escaping () -> Double = { Date().timeIntervalSince1970 }
    ) throws(ShardFormatError) {
        self.clock = clock
        let now = clock()
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let name = "events.out.tfevents.\(Self.fileTimestamp(now: now, directory: directory)).\(host).\(getpid())"
        url = directory.appendingPathComponent(name)
        records = try TFRecordWriter(url: url, publication: .live)
        try append(step: 0, wallTime: now) { event in
            event.writeString(field: EventField.fileVersion, "brain.Event:2")
        }
        if let resumedAtStep {
            try append(step: resumedAtStep + 1, wallTime: now) { event in
                event.writeMessage(field: EventField.sessionLog) { log in
                    log.writeUInt64(field: 1, 1)  // SessionLog.status = START
                }
            }
        }
        try records.flush()
    }

    /// Appends one event holding a scalar summary value per tag, in tag order.
    /// - Parameters:
    ///   - values: Tag (for example `train/loss`) to value.
    ///   - step: The step the values belong to (TensorBoard's x axis).
    /// - Throws: `ShardFormatError` when the file cannot be written.
    public func addScalars(_ values: [String: Double], step: Int) throws(ShardFormatError) {
        try append(step: step, wallTime: clock()) { event in
            event.writeMessage(field: EventField.summary) { summary in
                for (tag, value) in values.sorted(by: { $0.key < $1.key }) {
                    summary.writeMessage(field: 1) { entry in  // Summary.value
                        entry.writeString(field: 1, tag)  // Summary.Value.tag
                        entry.writeFloat(field: 2, Float(value))  // Summary.Value.simple_value
                    }
                }
            }
        }
    }

    /// Appends one event holding a PNG image summary.
    /// - Parameters:
    ///   - tag: The image's name, for example `samples`.
    ///   - png: The encoded PNG stream.
    ///   - width: Its width in pixels.
    ///   - height: Its height in pixels.
    ///   - step: The step the image belongs to.
    /// - Throws: `ShardFormatError` when the file cannot be written.
    public func addImage(
        tag: String, png: [UInt8], width: Int, height: Int, step: Int
    ) throws(ShardFormatError) {
        try append(step: step, wallTime: clock()) { event in
            event.writeMessage(field: EventField.summary) { summary in
                summary.writeMessage(field: 1) { entry in
                    entry.writeString(field: 1, tag)
                    entry.writeMessage(field: 4) { image in  // Summary.Value.image
                        image.writeInt64(field: 1, Int64(height))
                        image.writeInt64(field: 2, Int64(width))
                        image.writeInt64(field: 3, 3)  // colorspace: RGB
                        image.writeBytes(field: 4, png)  // encoded_image_string
                    }
                }
            }
        }
    }

    /// Makes every event appended so far durable.
    /// - Throws: `ShardFormatError` when the file cannot be written.
    public func flush() throws(ShardFormatError) {
        try records.flush()
    }

    /// Flushes and closes the file.
    /// - Throws: `ShardFormatError` when the file cannot be written.
    public func close() throws(ShardFormatError) {
        try records.finish()
    }

    private func append(
        step: Int, wallTime: Double, _ body: (inout ProtobufWriter) -> Void
    ) throws(ShardFormatError) {
        var event = ProtobufWriter()
        event.writeDouble(field: EventField.wallTime, wallTime)
        event.writeInt64(field: EventField.step, Int64(step))
        body(&event)
        try records.append(event.bytes)
    }

    /// The seconds in a new file's name: now, or one past the newest event file already in
    /// `directory`. TensorBoard reads a directory's event files in name order, so a resumed
    /// run's file must sort after the earlier ones even when it starts within the same second.
    private static func fileTimestamp(now: Double, directory: URL) -> Int {
        let prefix = "events.out.tfevents."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let newest = names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            return Int(name.dropFirst(prefix.count).prefix { $0 != "." })
        }.max()
        return max(Int(now), (newest ?? Int.min) + 1)
    }

    /// Field numbers of `tensorflow.Event` (tensorflow/core/util/event.proto).
    private enum EventField {
        static let wallTime = 1
        static let step = 2
        static let fileVersion = 3
        static let summary = 5
        static let sessionLog = 7
    }
}
