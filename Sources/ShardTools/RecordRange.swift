import Foundation

/// A non-empty range of record numbers as written on the command line.
///
/// `A..B` and `A..<B` are half-open, like Swift's `..<`: records A through B - 1.
/// `A...B` is closed: A through B. A lone `A` is that one record.
public struct RecordRange: Equatable, Sendable, CustomStringConvertible {
    /// The records, half-open.
    public var range: Range<UInt64>

    /// Wraps a non-empty range.
    public init(_ range: Range<UInt64>) {
        self.range = range
    }

    /// Parses `A..B`, `A..<B`, `A...B` or `A`; nil for anything else or an empty range.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (separator, closed) in [("...", true), ("..<", false), ("..", false)] {
            guard let split = trimmed.range(of: separator) else { continue }
            guard let lower = UInt64(trimmed[..<split.lowerBound]), let upper = UInt64(trimmed[split.upperBound...]) else {
                return nil
            }
            let end: (partialValue: UInt64, overflow: Bool) = closed ? upper.addingReportingOverflow(1) : (upper, false)
            guard !end.overflow, lower < end.partialValue else { return nil }
            range = lower..<end.partialValue
            return
        }
        guard let single = UInt64(trimmed), single < .max else { return nil }
        range = single..<single + 1
    }

    public var description: String { "\(range.lowerBound)..<\(range.upperBound)" }
}
