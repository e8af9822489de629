extension Tensor {
    /// A 2-D convolution (cross-correlation, as in PyTorch's `Conv2d`) of an NCHW batch.
    ///
    /// Forward: im2col over a chunk of whole images, then one `sgemm` with the images
    /// folded into the column dimension (`[Cout, K] x [K, images * Ho * Wo]`).
    /// Backward: `sgemm` for the weight gradient against the recomputed columns, and
    /// `sgemm` + col2im for the input gradient; the column buffer is not kept between
    /// forward and backward.
    /// - Parameters:
    ///   - weight: `[Cout, Cin, kh, kw]` (PyTorch layout).
    ///   - bias: `[Cout]`, or `nil` for none.
    ///   - stride: The step between windows (at least 1).
    ///   - padding: Zero padding on every side (at least 0).
    /// - Returns: `[B, Cout, Ho, Wo]` with `Ho = (H + 2 padding - kh) / stride + 1`.
    /// - Throws: ``TensorError`` when the shapes do not fit together or the output would be empty.
    /// - Complexity: `2 * B * Cout * Cin * kh * kw * Ho * Wo` flops forward, twice that backward.
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        let operation = "conv2d"
        try Tape.checkSameTape([self, weight] + (bias.map { [$0] } ?? []), operation: operation)
        guard shape.count == 4 else {
            throw TensorError.shapeMismatch(operation: operation, expected: "input [B, C, H, W]", found: "\(shape)")
        }
        guard weight.shape.count == 4, weight.shape[1] == shape[1] else {
            throw TensorError.shapeMismatch(
                operation: operation, expected: "weight [Cout, \(shape[1]), kh, kw]", found: "\(weight.shape)")
        }
        let (batch, cin, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        if let bias, bias.shape != [cout] {
            throw TensorError.shapeMismatch(operation: operation, expected: "bias [\(cout)]", found: "\(bias.shape)")
        }
        guard stride >= 1, padding >= 0 else {
            throw TensorError.invalidArgument(
                operation: operation, expected: "stride >= 1 and padding >= 0", found: "stride \(stride), padding \(padding)")
        }
        let outputHeight = (height + 2 * padding - kh) / stride + 1
        let outputWidth = (width + 2 * padding - kw) / stride + 1
        guard kh >= 1, kw >= 1, height + 2 * padding >= kh, width + 2 * padding >= kw else {
            throw TensorError.invalidArgument(
                operation: operation, expected: "a \(kh)x\(kw) kernel that fits the padded \(height)x\(width) input",
                found: "padding \(padding)")
        }
        let geometry = PatchGeometry(
            channels: cin, height: height, width: width, kernelHeight: kh, kernelWidth: kw, stride: stride,
            padding: padding, outputHeight: outputHeight, outputWidth: outputWidth)
        let (x, w, b) = (detached, weight.detached, bias?.detached)
        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        let shape = ConvolutionShape(
            transposed: false, batch: batch, inputChannels: cin, inputHeight: height, inputWidth: width,
            outputChannels: cout, outputHeight: outputHeight, outputWidth: outputWidth, kernelHeight: kh, kernelWidth: kw,
            stride: stride, padding: padding, hasBias: bias != nil, threads: ComputeThreads.count)
        if let plan = ConvolutionBackend.plan(for: shape) {
            return Tensor.convolution(plan, inputs: inputs, x, w, b)
        }
        let k = geometry.rows
        let pixels = geometry.outputPixels
        let chunk = Swift.max(1, Swift.min(batch, columnBufferLimit / Swift.max(1, k * pixels)))
        let y = Tensor(uninitializedShape: [batch, cout, outputHeight, outputWidth])
        do {
            let column = TensorStorage(uninitializedCount: k * chunk * pixels)
            let product = TensorStorage(uninitializedCount: cout * chunk * pixels)
            for first in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - first)
                im2col(x.pointer + first * cin * height * width, images: images, geometry, column.pointer)
                sgemm(
                    transposeA: false, transposeB: false, m: cout, n: images * pixels, k: k,
                    w.pointer, column.pointer, beta: 0, product.pointer)
                batchFirst(
                    product.pointer, images: images, channels: cout, pixels: pixels,
                    y.pointer + first * cout * pixels, bias: b?.pointer, accumulate: false)
            }
        }
        return Tape.record("conv2d im2col", inputs, output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            if b != nil, let gb = context.inputGradient(2) {
                accumulateBiasGradient(gy, images: batch, channels: cout, pixels: pixels, gb)
            }
            let gw = context.inputGradientForOverwrite(1)
            let gx = context.inputGradientForOverwrite(0)
            guard gw != nil || gx != nil else { return }
            let column = TensorStorage(uninitializedCount: k * chunk * pixels)
            let transposed = TensorStorage(uninitializedCount: cout * chunk * pixels)
            for first in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - first)
                let n = images * pixels
                channelsFirst(gy + first * cout * pixels, images: images, channels: cout, pixels: pixels, transposed.pointer)
                if let gw {
                    im2col(x.pointer + first * cin * height * width, images: images, geometry, column.pointer)
                    sgemm(
                        transposeA: false, transposeB: true, m: cout, n: k, k: n,
                        transposed.pointer, column.pointer, beta: first == 0 ? gw.beta : 1, gw.pointer)
                }
                if let gx {
                    sgemm(
                        transposeA: true, transposeB: false, m: k, n: n, k: cout,
                        w.pointer, transposed.pointer, beta: 0, column.pointer)
                    col2im(
                        column.pointer, images: images, geometry, gx.pointer + first * cin * height * width,
                        accumulate: gx.beta != 0)
                }
            }
        }
    }

    /// A 2-D transposed convolution (PyTorch's `ConvTranspose2d`, no output padding) of an NCHW batch.
    ///
    /// Forward is the adjoint of ``conv2d(_:bias:stride:padding:)``: `sgemm` then col2im.
    /// Backward: im2col of the output gradient, then `sgemm` for the input and weight gradients.
    /// - Parameters:
    ///   - weight: `[Cin, Cout, kh, kw]` (PyTorch layout).
    ///   - bias: `[Cout]`, or `nil` for none.
    ///   - stride: The upsampling factor (at least 1).
    ///   - padding: Rows and columns removed from every side of the output (at least 0).
    /// - Returns: `[B, Cout, Ho, Wo]` with `Ho = (H - 1) stride - 2 padding + kh`.
    /// - Throws: ``TensorError`` when the shapes do not fit together or the output would be empty.
    /// - Complexity: `2 * B * Cin * Cout * kh * kw * H * W` flops forward, twice that backward.
    public func transposedConv2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        let operation = "transposedConv2d"
        try Tape.checkSameTape([self, weight] + (bias.map { [$0] } ?? []), operation: operation)
        guard shape.count == 4 else {
            throw TensorError.shapeMismatch(operation: operation, expected: "input [B, C, H, W]", found: "\(shape)")
        }
        guard weight.shape.count == 4, weight.shape[0] == shape[1] else {
            throw TensorError.shapeMismatch(
                operation: operation, expected: "weight [\(shape[1]), Cout, kh, kw]", found: "\(weight.shape)")
        }
        let (batch, cin, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        if let bias, bias.shape != [cout] {
            throw TensorError.shapeMismatch(operation: operation, expected: "bias [\(cout)]", found: "\(bias.shape)")
        }
        guard stride >= 1, padding >= 0, kh >= 1, kw >= 1 else {
            throw TensorError.invalidArgument(
                operation: operation, expected: "stride >= 1, padding >= 0", found: "stride \(stride), padding \(padding)")
        }
        let outputHeight = (height - 1) * stride - 2 * padding + kh
        let outputWidth = (width - 1) * stride - 2 * padding + kw
        guard outputHeight >= 1, outputWidth >= 1 else {
            throw TensorError.invalidArgument(
                operation: operation, expected: "a positive output size",
                found: "\(outputHeight)x\(outputWidth) (padding \(padding) too large)")
        }
        // The output plays the role of a convolution's input: its patches are the input pixels.
        let geometry = PatchGeometry(
            channels: cout, height: outputHeight, width: outputWidth, kernelHeight: kh, kernelWidth: kw,
            stride: stride, padding: padding, outputHeight: height, outputWidth: width)
        let (x, w, b) = (detached, weight.detached, bias?.detached)
        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        let shape = ConvolutionShape(
            transposed: true, batch: batch, inputChannels: cin, inputHeight: height, inputWidth: width,
            outputChannels: cout, outputHeight: outputHeight, outputWidth: outputWidth, kernelHeight: kh, kernelWidth: kw,
            stride: stride, padding: padding, hasBias: bias != nil, threads: ComputeThreads.count)
        if let plan = ConvolutionBackend.plan(for: shape) {
            return Tensor.convolution(plan, inputs: inputs, x, w, b)
        }
        let k = geometry.rows
        let pixels = height * width
        let outputPixels = outputHeight * outputWidth
        let chunk = Swift.max(1, Swift.min(batch, columnBufferLimit / Swift.max(1, k * pixels)))
        let y = Tensor(uninitializedShape: [batch, cout, outputHeight, outputWidth])
        do {
            let column = TensorStorage(uninitializedCount: k * chunk * pixels)
            let transposed = TensorStorage(uninitializedCount: cin * chunk * pixels)
            for first in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - first)
                channelsFirst(x.pointer + first * cin * pixels, images: images, channels: cin, pixels: pixels, transposed.pointer)
                sgemm(
                    transposeA: true, transposeB: false, m: k, n: images * pixels, k: cin,
                    w.pointer, transposed.pointer, beta: 0, column.pointer)
                col2im(column.pointer, images: images, geometry, y.pointer + first * cout * outputPixels, accumulate: false)
            }
            if let b { addBias(b.pointer, y.pointer, images: batch, channels: cout, pixels: outputPixels) }
        }
        return Tape.record("transposedConv2d im2col", inputs, output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            if b != nil, let gb = context.inputGradient(2) {
                accumulateBiasGradient(gy, images: batch, channels: cout, pixels: outputPixels, gb)
            }
            let gw = context.inputGradientForOverwrite(1)
            let gx = context.inputGradientForOverwrite(0)
            guard gw != nil || gx != nil else { return }
            let column = TensorStorage(uninitializedCount: k * chunk * pixels)
            let transposed = TensorStorage(uninitializedCount: cin * chunk * pixels)
            for first in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - first)
                let n = images * pixels
                im2col(gy + first * cout * outputPixels, images: images, geometry, column.pointer)
                if let gw {
                    channelsFirst(x.pointer + first * cin * pixels, images: images, channels: cin, pixels: pixels, transposed.pointer)
                    sgemm(
                        transposeA: false, transposeB: true, m: cin, n: k, k: n,
                        transposed.pointer, column.pointer, beta: first == 0 ? gw.beta : 1, gw.pointer)
                }
                if let gx {
                    sgemm(
                        transposeA: false, transposeB: false, m: cin, n: n, k: k,
                        w.pointer, column.pointer, beta: 0, transposed.pointer)
                    batchFirst(
                        transposed.pointer, images: images, channels: cin, pixels: pixels,
                        gx.pointer + first * cin * pixels, bias: nil, accumulate: gx.beta != 0)
                }
            }
        }
    }

    /// Runs a convolution or transposed convolution through its oneDNN plan and records
    /// the backward pass (input gradient by backward-data, weight and bias gradients by
    /// backward-weights).
    private static func convolution(_ plan: ConvolutionPlan, inputs: [Tensor], _ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        let shape = plan.shape
        let y = Tensor(uninitializedShape: shape.outputDims)
        plan.forward(input: x.pointer, weight: w.pointer, bias: b?.pointer, output: y.pointer)
        return Tape.record(shape.transposed ? "transposedConv2d onednn" : "conv2d onednn", inputs, output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            let gw = context.inputGradientForOverwrite(1)
            let gb = b == nil ? nil : context.inputGradient(2)
            let gx = context.inputGradientForOverwrite(0)
            if gw == nil, let gb {
                let pixels = shape.outputHeight * shape.outputWidth
                accumulateBiasGradient(gy, images: shape.batch, channels: shape.outputChannels, pixels: pixels, gb)
            }
            plan.backward(
                input: x.pointer, weight: w.pointer, outputGradient: gy,
                inputGradient: gx.map { ($0.pointer, $0.beta != 0) }, weightGradient: gw.map { ($0.pointer, $0.beta != 0) },
                biasGradient: gb)
        }
    }
}
