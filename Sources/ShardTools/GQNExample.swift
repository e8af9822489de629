import ShardFormat

/// One scene of a GQN TFRecord file: a `tf.train.Example` with two features, `frames` (a
/// bytes list, one JPEG stream per view) and `cameras` (a float list, five numbers per view:
/// x, y, z, yaw, pitch).
///
/// The protobuf messages involved, field numbers as in TensorFlow's `example.proto` and
/// `feature.proto`:
///
/// ```
/// Example  { Features features = 1; }
/// Features { map<string, Feature> feature = 1; }      // entry: key = 1, value = 2
/// Feature  { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; }
/// BytesList { repeated bytes value = 1; }
/// FloatList { repeated float value = 1 [packed = true]; }
/// ```
public struct GQNExample: Sendable, Equatable {
    /// One JPEG stream per view.
    public var frames: [[UInt8]]
    /// ``GQNDatasetInfo/cameraValuesPerView`` numbers per view, view after view.
    public var cameras: [Float]

    /// Creates an example.
    public init(frames: [[UInt8]], cameras: [Float]) {
        self.frames = frames
        self.cameras = cameras
    }

    /// The serialized `tf.train.Example`: map entries in key order (`cameras`, `frames`),
    /// floats packed, as TensorFlow's own serializer writes them.
    public func serialized() -> [UInt8] {
        var example = ProtobufWriter()
        example.writeMessage(field: 1) { features in
            features.writeMessage(field: 1) { entry in
                entry.writeString(field: 1, "cameras")
                entry.writeMessage(field: 2) { feature in
                    feature.writeMessage(field: 2) { $0.writePackedFloats(field: 1, cameras) }
                }
            }
            features.writeMessage(field: 1) { entry in
                entry.writeString(field: 1, "frames")
                entry.writeMessage(field: 2) { feature in
                    feature.writeMessage(field: 1) { list in
                        for frame in frames { list.writeBytes(field: 1, frame) }
                    }
                }
            }
        }
        return example.bytes
    }

    /// Parses a serialized `tf.train.Example`, keeping `frames` and `cameras` and skipping any
    /// other feature.
    /// - Parameters:
    ///   - bytes: The record's data.
    ///   - path: The file, for errors.
    ///   - record: The record's index in the file, for errors.
    ///   - dataOffset: The file offset of `bytes[0]`, for errors.
    /// - Throws: ``/ShardFormat/ShardFormatError`` for malformed protobuf, or a missing feature or one of
    ///   the wrong kind (`.malformed`, naming the offset).
    public init(parsing bytes: [UInt8], path: String, record: Int, dataOffset: UInt64) throws(ShardFormatError) {
        var frames: [[UInt8]]?
        var cameras: [Float]?
        var example = ProtobufReader(bytes: bytes, path: path, record: record, baseOffset: dataOffset)
        while let field = try example.nextField() {
            guard field.number == 1, case .lengthDelimited(let featuresRange) = field.value else { continue }
            var features = example.message(in: featuresRange)
            while let entryField = try features.nextField() {
                guard entryField.number == 1, case .lengthDelimited(let entryRange) = entryField.value else { continue }
                var entry = features.message(in: entryRange)
                var key = ""
                var valueRange: Range<Int>?
                while let part = try entry.nextField() {
                    switch (part.number, part.value) {
                    case (1, .lengthDelimited(let range)): key = try entry.string(in: range, field: "feature key")
                    case (2, .lengthDelimited(let range)): valueRange = range
                    default: continue
                    }
                }
                guard key == "frames" || key == "cameras" else { continue }
                var feature = entry.message(in: valueRange ?? entryRange.upperBound..<entryRange.upperBound)
                var kind = 0
                var values: [Float] = []
                var blobs: [[UInt8]] = []
                while let featureField = try feature.nextField() {
                    guard case .lengthDelimited(let listRange) = featureField.value else { continue }
                    kind = featureField.number
                    var list = feature.message(in: listRange)
                    while let item = try list.nextField() {
                        guard item.number == 1 else { continue }
                        if kind == 1, case .lengthDelimited(let range) = item.value {
                            blobs.append(list.bytes(in: range))
                        } else if kind == 2 {
                            try list.appendFloats(of: item, to: &values, name: "cameras")
                        }
                    }
                }
                let expectedKind = key == "frames" ? 1 : 2
                guard kind == expectedKind else {
                    throw .malformed(path: path, record: record, offset: dataOffset + UInt64(entryRange.lowerBound),
                                     field: "feature \(key)", expected: key == "frames" ? "a bytes list" : "a float list",
                                     found: ["no list", "a bytes list", "a float list", "an int64 list"][min(kind, 3)])
                }
                if key == "frames" { frames = blobs } else { cameras = values }
            }
        }
        guard let frames, let cameras else {
            throw .malformed(path: path, record: record, offset: dataOffset, field: "tf.train.Example",
                             expected: "features frames and cameras",
                             found: frames == nil ? "no frames" : "no cameras")
        }
        self.init(frames: frames, cameras: cameras)
    }
}
