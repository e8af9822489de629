/// Plain-text tables for the human-readable output of the commands.
enum TextTable {
    /// Rows of cells under a header, columns padded to their widest cell and two spaces apart.
    /// - Parameter rightAligned: Per column, whether to align it right (numbers); default left.
    static func render(header: [String], rows: [[String]], rightAligned: [Bool] = []) -> [String] {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let right = rightAligned.indices.contains(column) && rightAligned[column]
                return right ? padding + cell : (column == row.count - 1 ? cell : cell + padding)
            }.joined(separator: "  ")
        }
    }

    /// `key  value` lines with the keys padded to the longest.
    static func keyValue(_ rows: [(String, String)]) -> [String] {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count) + "  " + $0.1 }
    }
}
