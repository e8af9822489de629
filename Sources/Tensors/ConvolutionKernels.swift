import CBLAS

/// The most elements a convolution's column buffer may hold; larger batches are
/// processed in chunks of whole images so the buffer stays cache- and memory-friendly.
let columnBufferLimit = 1 << 22

/// The geometry of sliding a `kernel x kernel` window over an image: which image
/// pixels each output position reads. Shared by convolution (the image is the input)
/// and transposed convolution (the image is the output).
struct PatchGeometry {
    let channels: Int
    let height: Int
    let width: Int
    let kernelHeight: Int
    let kernelWidth: Int
    let stride: Int
    let padding: Int
    let outputHeight: Int
    let outputWidth: Int

    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var rows: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per image.
    var outputPixels: Int { outputHeight * outputWidth }

    /// The range of output columns `ox` whose input column `ox * stride - padding + kj` lies
    /// inside the image (for stride 1 this is one contiguous run).
    @inline(__always)
    func validColumns(kernelColumn kj: Int) -> Range<Int> {
        let lower = Swift.max(0, padding - kj)
        let upper = Swift.min(outputWidth, width + padding - kj)
        return lower..<Swift.max(lower, upper)
    }
}

/// Unfolds `images` images `[images, C, H, W]` into the column matrix
/// `[C * kh * kw, images * Ho * Wo]` (row-major), zero where the window hangs over the padding.
///
/// Threads own disjoint rows of the matrix.
func im2col(_ x: UnsafePointer<Float>, images: Int, _ g: PatchGeometry, _ col: UnsafeMutablePointer<Float>) {
    let n = images * g.outputPixels
    let (kh, kw, s, p) = (g.kernelHeight, g.kernelWidth, g.stride, g.padding)
    let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
    parallelChunks(g.rows, grain: Swift.max(1, 8192 / Swift.max(1, n))) { rows in
        for r in rows {
            let c = r / (kh * kw)
            let ki = (r / kw) % kh
            let kj = r % kw
            let valid = g.validColumns(kernelColumn: kj)
            let destination = col + r * n
            for b in 0..<images {
                let image = x + (b * g.channels + c) * h * w
                for oy in 0..<ho {
                    let iy = oy * s - p + ki
                    let d = destination + (b * ho + oy) * wo
                    guard iy >= 0, iy < h else {
                        d.update(repeating: 0, count: wo)
                        continue
                    }
                    let row = image + iy * w
                    if s == 1 {
                        for ox in 0..<valid.lowerBound { d[ox] = 0 }
                        if !valid.isEmpty {
                            (d + valid.lowerBound).update(from: row + valid.lowerBound - p + kj, count: valid.count)
                        }
                        for ox in valid.upperBound..<wo { d[ox] = 0 }
                    } else {
                        for ox in 0..<wo {
                            let ix = ox * s - p + kj
                            d[ox] = ix >= 0 && ix < w ? row[ix] : 0
                        }
                    }
                }
            }
        }
    }
}

/// Folds a column matrix back onto images, summing overlapping windows: the adjoint of
/// ``im2col(_:images:_:_:)``. Overwrites `x` unless `accumulate` is set.
///
/// Threads own disjoint (image, channel) planes and sum into each in a fixed order.
func col2im(
    _ col: UnsafePointer<Float>, images: Int, _ g: PatchGeometry, _ x: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    let n = images * g.outputPixels
    let (kh, kw, s, p) = (g.kernelHeight, g.kernelWidth, g.stride, g.padding)
    let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
    parallelChunks(images * g.channels) { planes in
        for plane in planes {
            let b = plane / g.channels
            let c = plane % g.channels
            let image = x + plane * h * w
            if !accumulate { image.update(repeating: 0, count: h * w) }
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let valid = g.validColumns(kernelColumn: kj)
                    let source = col + ((c * kh + ki) * kw + kj) * n + b * g.outputPixels
                    for oy in 0..<ho {
                        let iy = oy * s - p + ki
                        guard iy >= 0, iy < h else { continue }
                        let row = image + iy * w
                        let sourceRow = source + oy * wo
                        if s == 1 {
                            let shift = kj - p
                            for ox in valid { row[ox + shift] += sourceRow[ox] }
                        } else {
                            for ox in 0..<wo {
                                let ix = ox * s - p + kj
                                if ix >= 0 && ix < w { row[ix] += sourceRow[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `[images, C, P]` to `[C, images * P]`: puts the batch into a GEMM's column dimension.
func channelsFirst(
    _ source: UnsafePointer<Float>, images: Int, channels: Int, pixels: Int, _ destination: UnsafeMutablePointer<Float>
) {
    parallelChunks(images * channels, grain: Swift.max(1, 4096 / Swift.max(1, pixels))) { planes in
        for plane in planes {
            let b = plane / channels
            let c = plane % channels
            (destination + (c * images + b) * pixels).update(from: source + plane * pixels, count: pixels)
        }
    }
}

/// `[C, images * P]` to `[images, C, P]`, adding `bias[c]` when given, overwriting or accumulating.
func batchFirst(
    _ source: UnsafePointer<Float>, images: Int, channels: Int, pixels: Int, _ destination: UnsafeMutablePointer<Float>,
    bias: UnsafePointer<Float>?, accumulate: Bool
) {
    parallelChunks(images * channels, grain: Swift.max(1, 4096 / Swift.max(1, pixels))) { planes in
        for plane in planes {
            let b = plane / channels
            let c = plane % channels
            let s = source + (c * images + b) * pixels
            let d = destination + plane * pixels
            let shift = bias?[c] ?? 0
            if accumulate {
                for i in 0..<pixels { d[i] += s[i] + shift }
            } else {
                for i in 0..<pixels { d[i] = s[i] + shift }
            }
        }
    }
}

/// Adds `bias[c]` to every pixel of every (image, channel) plane of `[images, C, P]`.
func addBias(_ bias: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, images: Int, channels: Int, pixels: Int) {
    parallelChunks(images * channels, grain: Swift.max(1, 4096 / Swift.max(1, pixels))) { planes in
        for plane in planes {
            let shift = bias[plane % channels]
            let d = x + plane * pixels
            for i in 0..<pixels { d[i] += shift }
        }
    }
}

/// `gb[c] += sum over images and pixels of gy[b, c, p]`, one channel per task, in a fixed order.
func accumulateBiasGradient(
    _ gy: UnsafePointer<Float>, images: Int, channels: Int, pixels: Int, _ gb: UnsafeMutablePointer<Float>
) {
    parallelChunks(channels) { range in
        for c in range {
            var total: Float = 0
            for b in 0..<images {
                let plane = gy + (b * channels + c) * pixels
                var lanes = SIMD8<Float>()
                var i = 0
                while i + 8 <= pixels {
                    lanes += UnsafeRawPointer(plane + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                }
                var partial = lanes.sum()
                while i < pixels {
                    partial += plane[i]
                    i += 1
                }
                total += partial
            }
            gb[c] += total
        }
    }
}

/// Row-major `C = alpha * op(A) * op(B) + beta * C` through OpenBLAS, using ``ComputeThreads/count`` threads.
/// - Parameters:
///   - transposeA: Whether `A` is stored `[k, m]` (else `[m, k]`).
///   - transposeB: Whether `B` is stored `[n, k]` (else `[k, n]`).
@inline(__always)
func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    beta: Float, _ c: UnsafeMutablePointer<Float>
) {
    _ = ComputeThreads.count  // make sure OpenBLAS has been told the thread count
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
}
