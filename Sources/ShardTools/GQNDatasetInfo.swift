/// One of DeepMind's published GQN datasets, as their `data_reader.py` hard-codes it: the
/// number of TFRecord files per split, the frame size and the views per scene.
///
/// Their reader builds the file names from these numbers alone
/// (`ROOT/NAME/train/0001-of-2160.tfrecord` ...), so an export must produce exactly this
/// many files, and an import looks only for these names.
public struct GQNDatasetInfo: Sendable, Hashable {
    /// The dataset's name, also its directory under the root.
    public var name: String
    /// TFRecord files in `train/`.
    public var trainFileCount: Int
    /// TFRecord files in `test/`.
    public var testFileCount: Int
    /// Frame width and height in pixels.
    public var frameSize: Int
    /// Views per scene (their `sequence_size`).
    public var viewsPerScene: Int

    /// The two splits, in the order scenes are numbered on import.
    public static let splits = ["train", "test"]
    /// Camera numbers per view in a record's `cameras` list: x, y, z, yaw, pitch.
    public static let cameraValuesPerView = 5

    /// The seven datasets of `data_reader.py`'s `_DATASETS` table.
    public static let all: [GQNDatasetInfo] = [
        GQNDatasetInfo(name: "jaco", trainFileCount: 3600, testFileCount: 400, frameSize: 64, viewsPerScene: 11),
        GQNDatasetInfo(name: "mazes", trainFileCount: 1080, testFileCount: 120, frameSize: 84, viewsPerScene: 300),
        GQNDatasetInfo(name: "rooms_free_camera_with_object_rotations", trainFileCount: 2034, testFileCount: 226,
                       frameSize: 128, viewsPerScene: 10),
        GQNDatasetInfo(name: "rooms_ring_camera", trainFileCount: 2160, testFileCount: 240, frameSize: 64, viewsPerScene: 10),
        GQNDatasetInfo(name: "rooms_free_camera_no_object_rotations", trainFileCount: 2160, testFileCount: 240,
                       frameSize: 64, viewsPerScene: 10),
        GQNDatasetInfo(name: "shepard_metzler_5_parts", trainFileCount: 900, testFileCount: 100, frameSize: 64, viewsPerScene: 15),
        GQNDatasetInfo(name: "shepard_metzler_7_parts", trainFileCount: 900, testFileCount: 100, frameSize: 64, viewsPerScene: 15),
    ]

    /// Looks a dataset up by name.
    /// - Throws: ``ShardToolError/unknownGQNDataset(name:available:)``.
    public static func named(_ name: String) throws -> GQNDatasetInfo {
        guard let info = all.first(where: { $0.name == name }) else {
            throw ShardToolError.unknownGQNDataset(name: name, available: all.map(\.name))
        }
        return info
    }

    /// Files in `split` (`train` or `test`; 0 for anything else).
    public func fileCount(split: String) -> Int {
        switch split {
        case "train": trainFileCount
        case "test": testFileCount
        default: 0
        }
    }

    /// The name of file `index` (0-based) of `split`: numbered from 1, both numbers
    /// zero-padded to the width of the count, as `data_reader.py` spells them
    /// (`0001-of-2160.tfrecord`).
    public func fileName(index: Int, split: String) -> String {
        let count = fileCount(split: split)
        let width = String(count).count
        func padded(_ number: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(index + 1))-of-\(padded(count)).tfrecord"
    }
}
