/// Which rows of a global batch one rank's batch holds, so that its latent noise is the
/// noise those rows get when one process trains on the whole batch.
///
/// The loader gives rank `r` of `n` the global positions `r, r + n, r + 2n, ...` of every
/// global batch (``/DataLoader/LoaderConfiguration/rank``), so local row `m` is global row
/// `r + n m`. A step's noise is drawn for all `globalSize` rows, keyed by the step alone, and
/// each rank keeps its rows: `n` ranks with batch `B / n` then compute, row for row, what one
/// process computes with batch `B`.
public struct BatchShare: Sendable, Equatable {
    /// Rows of the global batch.
    public var globalSize: Int
    /// This rank's first row.
    public var rank: Int
    /// The number of ranks (the stride between this rank's rows).
    public var ranks: Int

    /// Creates a share.
    /// - Parameters:
    ///   - globalSize: Rows of the global batch.
    ///   - rank: This rank, `0..<ranks`.
    ///   - ranks: The number of ranks.
    public init(globalSize: Int, rank: Int, ranks: Int) {
        self.globalSize = globalSize
        self.rank = rank
        self.ranks = ranks
    }

    /// The global rows of a local batch of `count` rows, in local order.
    public func rows(count: Int) -> [Int] { (0..<count).map { rank + ranks * $0 } }

    /// Whether the local batch of `count` rows is the whole global batch in order.
    func isWhole(count: Int) -> Bool { ranks == 1 && rank == 0 && globalSize == count }
}
