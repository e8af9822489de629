/// The global sample order of one epoch: a pure function of (seed, epoch, the split's shard
/// record counts).
///
/// 1. The split's shards are permuted (Fisher-Yates keyed by seed and epoch).
/// 2. Their records are streamed in that order, each shard front to back, through a shuffle
///    buffer of `bufferSize` references: each step draws a slot (keyed by seed, epoch and the
///    step number), emits it, and refills it from the stream; at the end the buffer drains by
///    the same draws. Every record comes out exactly once.
///
/// Only (shard, record) references move through the buffer, so it costs 8 bytes a scene; the
/// records are read later, by whichever rank owns the position.
struct EpochOrder {
    private let recordCounts: [Int]
    private let shardOrder: [Int]
    private let capacity: Int
    private let drawKey: UInt64
    private var streamShard = 0
    private var streamRecord = 0
    private var buffer: [SampleReference] = []
    private var draws: UInt64 = 0
    /// How many references ``next()`` has returned.
    private(set) var emitted = 0

    /// - Parameters:
    ///   - recordCounts: Records of each shard, in scene-index order.
    ///   - seed: The loader seed.
    ///   - epoch: The epoch.
    ///   - shuffle: When false the order is the scene-index order.
    ///   - bufferSize: Shuffle buffer capacity, at least 1.
    init(recordCounts: [Int], seed: UInt64, epoch: Int, shuffle: Bool, bufferSize: Int) {
        self.recordCounts = recordCounts
        if shuffle {
            shardOrder = StatelessRandom.permutation(
                recordCounts.count, key: StatelessRandom.key(.shardOrder, seed, UInt64(epoch)))
            capacity = max(1, bufferSize)
        } else {
            shardOrder = Array(recordCounts.indices)
            capacity = 1
        }
        drawKey = StatelessRandom.key(.shuffleBuffer, seed, UInt64(epoch))
        buffer.reserveCapacity(capacity)
    }

    /// The next reference of the stream of shards, before the buffer.
    private mutating func pull() -> SampleReference? {
        while streamShard < shardOrder.count {
            let shard = shardOrder[streamShard]
            if streamRecord < recordCounts[shard] {
                defer { streamRecord += 1 }
                return SampleReference(shard: Int32(shard), record: Int32(streamRecord))
            }
            streamShard += 1
            streamRecord = 0
        }
        return nil
    }

    /// The next sample of the epoch, or nil after the last one.
    mutating func next() -> SampleReference? {
        while buffer.count < capacity, let sample = pull() {
            buffer.append(sample)
        }
        guard !buffer.isEmpty else { return nil }
        let slot = StatelessRandom.below(buffer.count, key: drawKey, counter: draws)
        draws += 1
        let out = buffer[slot]
        if let refill = pull() {
            buffer[slot] = refill
        } else {
            buffer.swapAt(slot, buffer.count - 1)
            buffer.removeLast()
        }
        emitted += 1
        return out
    }
}
