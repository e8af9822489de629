/// A process-wide cache of Float32 buffers keyed by element count.
///
/// A training step asks for the same buffer sizes every time, so after the first step
/// every request is served from the cache and a steady-state step allocates (almost)
/// nothing. Buffers return to the pool when the ``TensorStorage`` owning them is
/// released. Buffers are 64-byte aligned.
public enum BufferPool {
    struct State {
        var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
        var cachedBytes = 0
        var statistics = Statistics()
    }

    /// Counters describing how the pool has served requests.
    public struct Statistics: Sendable, Equatable {
        /// Requests that needed a fresh allocation from the system.
        public var allocations = 0
        /// Requests served from the cache.
        public var reuses = 0
        /// Bytes currently held by the cache (not in use by any tensor).
        public var cachedBytes = 0
    }

    private static let state = LockedValue(State())

    /// A snapshot of the pool's counters.
    public static var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.cachedBytes = state.cachedBytes
            return statistics
        }
    }

    /// Frees every cached buffer (buffers in use are unaffected).
    public static func releaseCached() {
        state.withLock { state in
            for (_, buffers) in state.free {
                for buffer in buffers { buffer.deallocate() }
            }
            state.free = [:]
            state.cachedBytes = 0
        }
    }

    /// Takes a buffer of exactly `count` elements (contents undefined).
    static func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let cached: UnsafeMutablePointer<Float>? = state.withLock { state in
            if let buffer = state.free[count]?.popLast() {
                state.cachedBytes -= count * MemoryLayout<Float>.stride
                state.statistics.reuses += 1
                return buffer
            }
            state.statistics.allocations += 1
            return nil
        }
        if let cached { return cached }
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    /// Returns a buffer obtained from ``take(_:)``.
    static func give(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        state.withLock { state in
            state.free[count, default: []].append(buffer)
            state.cachedBytes += count * MemoryLayout<Float>.stride
        }
    }
}
