import Foundation
import ImageCodec
import ShardFormat

/// A record's stored images as pictures: decoded bitmaps for contact sheets, PNG files for
/// export.
public enum RecordImages {
    /// View `view`'s colour image as an RGB bitmap (PNG or JPEG decoded, raw wrapped).
    /// - Throws: ``ShardToolError/badImage(path:record:view:reason:)`` when the image does
    ///   not decode.
    public static func colorBitmap(of located: LocatedRecord, view: Int, schema: DatasetSchema) throws -> Bitmap<UInt8> {
        let image = located.record.views[view].image
        switch schema.imageEncoding {
        case .png, .jpeg:
            do {
                return schema.imageEncoding == .png ? try PNGCodec.decodeRGB8(image) : try JPEGCodec.decodeRGB8(image)
            } catch {
                throw ShardToolError.badImage(path: located.shardURL.path, record: located.position, view: view, reason: "\(error)")
            }
        case .raw:
            // The reader has checked the size: width * height * 3 bytes.
            return Bitmap(width: schema.width, height: schema.height, channels: 3, samples: image)
        }
    }

    /// View `view`'s colour image as a PNG file: the stored stream, or the raw or JPEG-decoded
    /// pixels encoded.
    /// - Throws: ``ShardToolError/badImage(path:record:view:reason:)`` when encoding fails.
    public static func colorPNG(of located: LocatedRecord, view: Int, schema: DatasetSchema) throws -> [UInt8] {
        switch schema.imageEncoding {
        case .png:
            return located.record.views[view].image
        case .raw, .jpeg:
            do {
                return try PNGCodec.encode(colorBitmap(of: located, view: view, schema: schema))
            } catch {
                throw ShardToolError.badImage(path: located.shardURL.path, record: located.position, view: view, reason: "\(error)")
            }
        }
    }

    /// Writes a record's images and `scene.json` into `directory` (created when missing):
    /// `view-00.png`, ..., `depth-00.png` and `mask-00.png` when the schema has them, each
    /// written atomically, replacing files of the same name.
    /// - Returns: The files written, in order.
    /// - Throws: ``ShardToolError`` for an image that cannot be encoded or a file that cannot
    ///   be written.
    public static func export(_ located: LocatedRecord, schema: DatasetSchema, to directory: URL) throws -> [URL] {
        let views = located.record.views
        let digits = max(2, String(views.count - 1).count)
        func name(_ prefix: String, _ view: Int) -> URL {
            let number = String(view)
            return directory.appendingPathComponent(prefix + "-" + String(repeating: "0", count: digits - number.count) + number + ".png")
        }
        var files: [(URL, [UInt8])] = []
        for (index, view) in views.enumerated() {
            files.append((name("view", index), try colorPNG(of: located, view: index, schema: schema)))
            if let depth = view.depth { files.append((name("depth", index), depth)) }
            if let mask = view.mask { files.append((name("mask", index), mask)) }
        }
        files.append((directory.appendingPathComponent("scene.json"), [UInt8](try SceneDescription(located).json())))
        for (url, bytes) in files {
            try AtomicFile.save(bytes, to: url)
        }
        return files.map(\.0)
    }

    /// A contact sheet of `range`'s records, a row per scene and a column per view.
    /// - Parameters:
    ///   - input: The dataset or shard.
    ///   - range: Global scene indices (dataset) or record positions (shard).
    ///   - views: Columns: the first `views` views; nil for all.
    ///   - padding: Pixels between and around the tiles.
    /// - Returns: The sheet: `rows * height + (rows + 1) * padding` high and
    ///   `columns * width + (columns + 1) * padding` wide.
    /// - Throws: ``ShardToolError`` for a range not all present or an image that does not
    ///   decode; a record's ``/ShardFormat/ShardFormatError``.
    public static func contactSheet(_ input: DatasetInput, records range: Range<UInt64>, views: Int? = nil,
                                    padding: Int = 2) throws -> Bitmap<UInt8> {
        let schema = input.schema
        let columns = min(views ?? schema.viewsPerScene, schema.viewsPerScene)
        var rows: [[Bitmap<UInt8>]] = []
        try input.forEachRecord(in: range) { located in
            rows.append(try (0..<columns).map { try colorBitmap(of: located, view: $0, schema: schema) })
        }
        return ContactSheet.compose(rows, padding: padding)
    }
}
