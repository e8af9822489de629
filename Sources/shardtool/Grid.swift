import ArgumentParser
import Foundation
import ImageCodec
import ShardFormat
import ShardTools

struct Grid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a contact sheet PNG: a row per scene, a column per view.",
        discussion: """
            --records A..B is half-open like Swift's ..<: records A through B-1 (so 0..8 is the \
            first eight); A..<B means the same, A...B includes B, and a lone A is one record. In a \
            dataset the numbers are global scene indices, in a shard file record positions. Every \
            record in the range must exist. Tiles are separated by 2 pixels of dark grey.

            Example: shardtool grid data/rooms --records 100..116 --views 5 --out out/grid.png
            """
    )

    @OptionGroup var input: InputArgument

    @Option(help: "Records to show, half-open A..B (= A..<B; A...B is closed; a lone A is one record). Default: the first 8.")
    var records: RecordRange?

    @Option(help: "Views per row: the first N (default: all).")
    var views: Int?

    @Option(help: "Where to write the PNG contact sheet (replaced atomically).")
    var out: String

    func validate() throws {
        if let views, views < 1 {
            throw ValidationError("--views must be at least 1, found \(views)")
        }
    }

    func run() throws {
        let dataset = try DatasetInput.open(path: input.path)
        let range = try records?.range ?? defaultRange(dataset)
        let sheet = try RecordImages.contactSheet(dataset, records: range, views: views)
        try AtomicFile.save(PNGCodec.encode(sheet), to: URL(fileURLWithPath: out))
        print("Wrote \(range.count) scenes (records \(RecordRange(range))) as a \(sheet.width)x\(sheet.height) sheet -> \(out)")
    }

    /// The first 8 records: of the dataset's lowest scene indices, or of the shard.
    private func defaultRange(_ dataset: DatasetInput) throws -> Range<UInt64> {
        var first: UInt64 = 0
        if case .dataset(_, let manifest) = dataset, let lowest = manifest.shards.filter({ $0.recordCount > 0 }).map(\.firstSceneIndex).min() {
            first = lowest
        }
        let count = UInt64(min(8, dataset.sceneCount))
        guard count > 0 else {
            throw ValidationError("\(dataset.path): no records to show")
        }
        return first..<first + count
    }
}

extension RecordRange: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}
