/// Tiles RGB bitmaps into one image: a row per scene, a column per view, as in the
/// preview grids and `shardtool grid`.
public enum ContactSheet {
    /// Lays out `rows` of RGB tiles on a grey background with `padding` pixels between them.
    ///
    /// Tiles may differ in size; each cell is as large as the largest tile. Missing tiles
    /// (short rows) stay background.
    /// - Returns: the sheet, or an empty bitmap when there are no tiles.
    public static func compose(_ rows: [[Bitmap<UInt8>]], padding: Int = 2,
                               background: UInt8 = 40) -> Bitmap<UInt8> {
        let tiles = rows.flatMap { $0 }
        guard let cellWidth = tiles.map(\.width).max(), let cellHeight = tiles.map(\.height).max() else {
            return Bitmap(width: 0, height: 0, channels: 3)
        }
        let columns = rows.map(\.count).max() ?? 0
        let width = columns * cellWidth + (columns + 1) * padding
        let height = rows.count * cellHeight + (rows.count + 1) * padding
        var sheet = Bitmap<UInt8>(width: width, height: height, channels: 3, fill: background)
        for (row, tiles) in rows.enumerated() {
            for (column, tile) in tiles.enumerated() {
                let left = padding + column * (cellWidth + padding)
                let top = padding + row * (cellHeight + padding)
                for y in 0..<tile.height {
                    for x in 0..<tile.width {
                        for channel in 0..<3 {
                            let source = tile.channels == 3 ? channel : 0
                            sheet[left + x, top + y, channel] = tile[x, y, source]
                        }
                    }
                }
            }
        }
        return sheet
    }
}
