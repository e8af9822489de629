/// Counter-based random numbers: every draw is a pure function of a key and a counter.
///
/// The loader never keeps a random-number generator's state. Each decision (the shard order
/// of an epoch, a shuffle-buffer draw, a scene's views, a batch's context count) hashes the
/// integers it depends on with the SplitMix64 finaliser, so it can be recomputed anywhere, on
/// any rank, after any resume, and by any Swift version (the standard library's
/// `random(in:)` promises none of that).
enum StatelessRandom {
    /// What a key is for; keeps the streams of different decisions apart.
    enum Domain: UInt64 {
        case shardOrder = 0x5348_4152_445F_4F52      // "SHARD_OR"
        case shuffleBuffer = 0x5348_5546_5F42_5546   // "SHUF_BUF"
        case sceneViews = 0x5343_454E_455F_5657      // "SCENE_VW"
        case contextCount = 0x4354_5854_5F43_4E54    // "CTXT_CNT"
    }

    /// The SplitMix64 output function (Steele, Lea and Flood 2014): a bijective mix of 64 bits.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A key for `domain` from the integers a decision depends on, in order.
    static func key(_ domain: Domain, _ parts: UInt64...) -> UInt64 {
        var state = mix(domain.rawValue)
        for part in parts {
            state = mix(state ^ part)
        }
        return state
    }

    /// Draw number `counter` of the stream `key`: 64 uniformly distributed bits.
    @inline(__always)
    static func bits(_ key: UInt64, _ counter: UInt64) -> UInt64 {
        mix(key ^ mix(counter))
    }

    /// Draw number `counter` of the stream `key` as an integer in `0..<bound` (`bound > 0`),
    /// by the multiply-high reduction (bias below `bound / 2^64`).
    @inline(__always)
    static func below(_ bound: Int, key: UInt64, counter: UInt64) -> Int {
        Int(truncatingIfNeeded: bits(key, counter).multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A permutation of `0..<count` by Fisher-Yates, draw `i` being `counter` `i` of `key`.
    static func permutation(_ count: Int, key: UInt64) -> [Int] {
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, below(i + 1, key: key, counter: UInt64(i)))
        }
        return order
    }
}
