import Testing
@testable import Tensors

/// Direct loops over PyTorch's definitions, in Double.
enum NaiveConvolution {
    struct Sizes {
        let batch, cin, height, width, cout, kernel, stride, padding: Int
        var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
        var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    }

    /// conv2d forward, and the input, weight and bias gradients for output gradient `gy`.
    static func conv(_ s: Sizes, x: [Float], w: [Float], b: [Float], gy: [Float])
        -> (y: [Float], gx: [Float], gw: [Float], gb: [Float])
    {
        let (ho, wo) = (s.outputHeight, s.outputWidth)
        var y = [Double](repeating: 0, count: s.batch * s.cout * ho * wo)
        var gx = [Double](repeating: 0, count: x.count)
        var gw = [Double](repeating: 0, count: w.count)
        var gb = [Double](repeating: 0, count: s.cout)
        for n in 0..<s.batch {
            for co in 0..<s.cout {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let o = ((n * s.cout + co) * ho + oy) * wo + ox
                        var total = Double(b[co])
                        gb[co] += Double(gy[o])
                        for ci in 0..<s.cin {
                            for ki in 0..<s.kernel {
                                for kj in 0..<s.kernel {
                                    let iy = oy * s.stride - s.padding + ki
                                    let ix = ox * s.stride - s.padding + kj
                                    guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                                    let xi = ((n * s.cin + ci) * s.height + iy) * s.width + ix
                                    let wi = ((co * s.cin + ci) * s.kernel + ki) * s.kernel + kj
                                    total += Double(x[xi]) * Double(w[wi])
                                    gx[xi] += Double(gy[o]) * Double(w[wi])
                                    gw[wi] += Double(gy[o]) * Double(x[xi])
                                }
                            }
                        }
                        y[o] = total
                    }
                }
            }
        }
        return (y.map(Float.init), gx.map(Float.init), gw.map(Float.init), gb.map(Float.init))
    }

    /// transposed conv2d forward: every input pixel scatters `x * w` into the output.
    static func transposed(
        x: [Float], w: [Float], batch: Int, cin: Int, height: Int, width: Int, cout: Int, kernel: Int, stride: Int,
        padding: Int
    ) -> [Float] {
        let ho = (height - 1) * stride - 2 * padding + kernel
        let wo = (width - 1) * stride - 2 * padding + kernel
        var y = [Double](repeating: 0, count: batch * cout * ho * wo)
        for n in 0..<batch {
            for ci in 0..<cin {
                for iy in 0..<height {
                    for ix in 0..<width {
                        let xv = Double(x[((n * cin + ci) * height + iy) * width + ix])
                        for co in 0..<cout {
                            for ki in 0..<kernel {
                                for kj in 0..<kernel {
                                    let oy = iy * stride - padding + ki
                                    let ox = ix * stride - padding + kj
                                    guard oy >= 0, oy < ho, ox >= 0, ox < wo else { continue }
                                    y[((n * cout + co) * ho + oy) * wo + ox] +=
                                        xv * Double(w[((ci * cout + co) * kernel + ki) * kernel + kj])
                                }
                            }
                        }
                    }
                }
            }
        }
        return y.map(Float.init)
    }
}

/// Runs `body` with convolutions on `backend`, restoring the engine's choice afterwards.
func withConvolutionBackend<Result>(_ backend: ConvolutionBackend, _ body: () throws -> Result) rethrows -> Result {
    let previous = ConvolutionBackend.preferred
    ConvolutionBackend.preferred = backend
    defer { ConvolutionBackend.preferred = previous }
    return try body()
}

extension TensorsTests {
    @Suite("Convolution against naive loops", .serialized) struct ConvolutionReferenceTests {
        @Test("conv2d forward and backward", arguments: [
            NaiveConvolution.Sizes(batch: 2, cin: 3, height: 9, width: 7, cout: 5, kernel: 3, stride: 1, padding: 1),
            NaiveConvolution.Sizes(batch: 3, cin: 4, height: 8, width: 8, cout: 6, kernel: 2, stride: 2, padding: 0),
            NaiveConvolution.Sizes(batch: 2, cin: 5, height: 6, width: 6, cout: 8, kernel: 5, stride: 1, padding: 2),
            NaiveConvolution.Sizes(batch: 2, cin: 3, height: 11, width: 9, cout: 2, kernel: 4, stride: 3, padding: 2),
            // Large enough that the column buffer is split into one-image chunks.
            NaiveConvolution.Sizes(batch: 3, cin: 64, height: 64, width: 64, cout: 2, kernel: 3, stride: 1, padding: 1),
            // Channel counts that fill and overflow oneDNN's 16-channel blocks, as the GQN's do.
            NaiveConvolution.Sizes(batch: 2, cin: 23, height: 8, width: 8, cout: 48, kernel: 5, stride: 1, padding: 2),
            NaiveConvolution.Sizes(batch: 3, cin: 32, height: 8, width: 8, cout: 16, kernel: 1, stride: 1, padding: 0),
        ], ConvolutionBackend.allCases)
        func conv2d(sizes s: NaiveConvolution.Sizes, backend: ConvolutionBackend) throws {
            try withConvolutionBackend(backend) { try conv2dAgainstNaive(s) }
        }

        private func conv2dAgainstNaive(_ s: NaiveConvolution.Sizes) throws {
            let x = testValues([s.batch, s.cin, s.height, s.width], seed: 31)
            let w = testValues([s.cout, s.cin, s.kernel, s.kernel], seed: 32)
            let b = testValues([s.cout], seed: 33)
            let gy = testValues([s.batch, s.cout, s.outputHeight, s.outputWidth], seed: 34)
            let expected = NaiveConvolution.conv(s, x: x.scalars, w: w.scalars, b: b.scalars, gy: gy.scalars)
            let tape = Tape()
            let (tx, tw, tb) = (tape.watch(x), tape.watch(w), tape.watch(b))
            let y = try tx.conv2d(tw, bias: tb, stride: s.stride, padding: s.padding)
            #expect(y.shape == [s.batch, s.cout, s.outputHeight, s.outputWidth])
            #expect(relativeError(y.scalars, expected.y) < 1e-5)
            try tape.backward(from: y, seed: gy)
            #expect(relativeError(try #require(tape.gradient(of: tx)).scalars, expected.gx) < 1e-5)
            #expect(relativeError(try #require(tape.gradient(of: tw)).scalars, expected.gw) < 1e-5)
            #expect(relativeError(try #require(tape.gradient(of: tb)).scalars, expected.gb) < 1e-5)
        }

        @Test("transposedConv2d forward", arguments: [
            (2, 4, 8, 8, 4, 4, 4, 0),
            (2, 3, 5, 4, 2, 3, 2, 1),
            (1, 2, 3, 3, 3, 2, 3, 0),
            (2, 3, 4, 4, 2, 5, 1, 2),
            (2, 32, 8, 8, 32, 4, 4, 0),  // the GQN canvas upsampler's shape, scaled down
        ], ConvolutionBackend.allCases)
        func transposed(configuration: (Int, Int, Int, Int, Int, Int, Int, Int), backend: ConvolutionBackend) throws {
            try withConvolutionBackend(backend) { try transposedAgainstNaive(configuration) }
        }

        private func transposedAgainstNaive(_ configuration: (Int, Int, Int, Int, Int, Int, Int, Int)) throws {
            let (batch, cin, height, width, cout, kernel, stride, padding) = configuration
            let x = testValues([batch, cin, height, width], seed: 35)
            let w = testValues([cin, cout, kernel, kernel], seed: 36)
            let y = try x.transposedConv2d(w, stride: stride, padding: padding)
            let expected = NaiveConvolution.transposed(
                x: x.scalars, w: w.scalars, batch: batch, cin: cin, height: height, width: width, cout: cout,
                kernel: kernel, stride: stride, padding: padding)
            #expect(y.count == expected.count)
            #expect(relativeError(y.scalars, expected) < 1e-5)
        }

        @Test("the backends agree on forward and every gradient, accumulated gradients included", arguments: [
            (false, 2, 40, 8, 64, 5, 1, 2), (false, 4, 3, 32, 32, 2, 2, 0), (true, 2, 32, 8, 32, 4, 4, 0),
        ])
        func backendsAgree(configuration: (Bool, Int, Int, Int, Int, Int, Int, Int)) throws {
            let (transposed, batch, cin, size, cout, kernel, stride, padding) = configuration
            let x = testValues([batch, cin, size, size], seed: 41)
            let w = testValues(transposed ? [cin, cout, kernel, kernel] : [cout, cin, kernel, kernel], seed: 42)
            let b = testValues([cout], seed: 43)
            func run(_ backend: ConvolutionBackend) throws -> [[Float]] {
                try withConvolutionBackend(backend) {
                    let tape = Tape()
                    let (tx, tw, tb) = (tape.watch(x), tape.watch(w), tape.watch(b))
                    // The inputs feed two convolutions, so the second backward accumulates into
                    // gradients the first one wrote.
                    func apply(_ input: Tensor) throws -> Tensor {
                        transposed
                            ? try input.transposedConv2d(tw, bias: tb, stride: stride, padding: padding)
                            : try input.conv2d(tw, bias: tb, stride: stride, padding: padding)
                    }
                    let y = try apply(tx)
                    let y2 = try apply(tx * 0.5)
                    let gy = testValues(y.shape, seed: 44)
                    try tape.backward(from: try (y * gy + y2).sum())
                    return [
                        y.scalars, try #require(tape.gradient(of: tx)).scalars, try #require(tape.gradient(of: tw)).scalars,
                        try #require(tape.gradient(of: tb)).scalars,
                    ]
                }
            }
            let reference = try run(.im2colGEMM)
            let oneDNN = try run(.oneDNN)
            for (name, (expected, found)) in zip(["y", "gx", "gw", "gb"], zip(reference, oneDNN)) {
                #expect(relativeError(found, expected) < 1e-5, "\(name)")
            }
            let kernels = ConvolutionBackend.compiledKernels
            let summary = "\(transposed ? "deconv" : "conv") \(batch)x\(cin)x\(size)x\(size) -> \(cout) k\(kernel)x\(kernel)"
            let compiled = kernels.first { $0.key.hasPrefix(summary) }
            #expect(compiled?.value.hasPrefix("jit") == true, "\(summary) ran on \(compiled?.value ?? "nothing")")
        }

        @Test func rejectsMismatchedShapes() {
            let x = Tensor(shape: [1, 3, 4, 4])
            #expect(throws: TensorError.self) { try x.conv2d(Tensor(shape: [2, 4, 3, 3])) }
            #expect(throws: TensorError.self) { try x.conv2d(Tensor(shape: [2, 3, 3, 3]), bias: Tensor(shape: [3])) }
            #expect(throws: TensorError.self) { try x.conv2d(Tensor(shape: [2, 3, 7, 7])) }
            #expect(throws: TensorError.self) { try x.conv2d(Tensor(shape: [2, 3, 3, 3]), stride: 0) }
            #expect(throws: TensorError.self) { try x.transposedConv2d(Tensor(shape: [4, 2, 3, 3])) }
        }
    }
}
