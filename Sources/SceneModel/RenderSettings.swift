/// How to render: sampling, parallelism, the noise seed and the optional extra outputs.
public struct RenderSettings: Sendable, Equatable {
    /// Stratified sampling uses `samplesPerSide x samplesPerSide` jittered samples per pixel.
    public var samplesPerSide: Int
    /// Threads rendering bands of rows in parallel. Output bytes never depend on it.
    public var threads: Int
    /// Seeds every pixel's random stream (sample jitter, area-light samples).
    public var seed: UInt64
    /// Also produce a z-depth map (millimetres along the viewing axis).
    public var depth: Bool
    /// Also produce an instance mask (0 room, k for the k-th object).
    public var instanceMask: Bool

    /// Creates settings. 
    /// - Precondition: `samplesPerSide >= 1`, `threads >= 1`.
    public init(samplesPerSide: Int = 2, threads: Int = 1, seed: UInt64 = 0, depth: Bool = false,
                instanceMask: Bool = false) {
        precondition(samplesPerSide >= 1 && threads >= 1)
        self.samplesPerSide = samplesPerSide
        self.threads = threads
        self.seed = seed
        self.depth = depth
        self.instanceMask = instanceMask
    }

    /// Samples per pixel: `samplesPerSide` squared.
    public var samplesPerPixel: Int { samplesPerSide * samplesPerSide }

    /// The side of the sample grid for a sample count, or nil unless it is a perfect square.
    public static func samplesPerSide(forSamplesPerPixel count: Int) -> Int? {
        guard count >= 1 else { return nil }
        let side = Int(Double(count).squareRoot().rounded())
        return side * side == count ? side : nil
    }
}
