extension Tensor {
    /// The fused ConvLSTM cell update that follows the gate convolution.
    ///
    /// `gates` holds the pre-activations in the order (forget, input, output, candidate),
    /// each `h` channels: `f = sigmoid`, `i = sigmoid`, `o = sigmoid`, `g = tanh`, then
    /// `c' = f * c + i * g` and `h' = o * tanh(c')`. One pass forward and one backward
    /// instead of ten separate elementwise ops; the activated gates are saved for backward.
    /// - Parameters:
    ///   - gates: `[B, 4h, H, W]`, the output of the gate convolution.
    ///   - cell: `[B, h, H, W]`, the previous cell state.
    /// - Returns: The new hidden state and cell state, both `[B, h, H, W]`.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes disagree.
    public static func lstmCell(gates: Tensor, cell: Tensor) throws -> (hidden: Tensor, cell: Tensor) {
        let operation = "lstmCell"
        try Tape.checkSameTape([gates, cell], operation: operation)
        guard cell.shape.count >= 2, gates.shape.count == cell.shape.count else {
            throw TensorError.shapeMismatch(operation: operation, expected: "cell [B, h, ...]", found: "\(cell.shape)")
        }
        var expected = cell.shape
        expected[1] *= 4
        guard gates.shape == expected else {
            throw TensorError.shapeMismatch(operation: operation, expected: "gates \(expected)", found: "\(gates.shape)")
        }
        let batch = cell.shape[0]
        let plane = cell.count / Swift.max(1, batch)  // h * H * W
        let count = cell.count
        let (z, c) = (gates.detached, cell.detached)
        let activations = Tensor(uninitializedShape: gates.shape)
        let hidden = Tensor(uninitializedShape: cell.shape)
        let newCell = Tensor(uninitializedShape: cell.shape)
        let (zp, cp, ap, hp, np) = (z.pointer, c.pointer, activations.pointer, hidden.pointer, newCell.pointer)
        parallelChunks(count, grain: elementwiseGrain / 4) { range in
            forEachPlaneRun(range, plane: plane) { index, n, gate in
                let f = VectorMath.sigmoid(VectorMath.load(zp + gate, n))
                let i = VectorMath.sigmoid(VectorMath.load(zp + gate + plane, n))
                let o = VectorMath.sigmoid(VectorMath.load(zp + gate + 2 * plane, n))
                let g = VectorMath.tanh(VectorMath.load(zp + gate + 3 * plane, n))
                let updated = f * VectorMath.load(cp + index, n) + i * g
                VectorMath.store(f, ap + gate, n)
                VectorMath.store(i, ap + gate + plane, n)
                VectorMath.store(o, ap + gate + 2 * plane, n)
                VectorMath.store(g, ap + gate + 3 * plane, n)
                VectorMath.store(updated, np + index, n)
                VectorMath.store(o * VectorMath.tanh(updated), hp + index, n)
            }
        }
        let outputs = Tape.record("lstmCell", [gates, cell], outputs: [hidden, newCell]) { context in
            let gh = context.outputGradient(0)
            let gc = context.outputGradient(1)
            let gz = context.inputGradient(0)
            let gcPrevious = context.inputGradient(1)
            let (cp, ap, np) = (c.pointer, activations.pointer, newCell.pointer)
            parallelChunks(count, grain: elementwiseGrain / 4) { range in
                forEachPlaneRun(range, plane: plane) { index, n, gate in
                    let f = VectorMath.load(ap + gate, n)
                    let i = VectorMath.load(ap + gate + plane, n)
                    let o = VectorMath.load(ap + gate + 2 * plane, n)
                    let g = VectorMath.load(ap + gate + 3 * plane, n)
                    let t = VectorMath.tanh(VectorMath.load(np + index, n))
                    let dh = gh.map { VectorMath.load($0 + index, n) } ?? .zero
                    let dc = (gc.map { VectorMath.load($0 + index, n) } ?? .zero) + dh * o * (1 - t * t)
                    if let gz {
                        func accumulate(_ offset: Int, _ value: VectorMath.Lanes) {
                            VectorMath.store(VectorMath.load(gz + gate + offset, n) + value, gz + gate + offset, n)
                        }
                        accumulate(0, dc * VectorMath.load(cp + index, n) * f * (1 - f))
                        accumulate(plane, dc * g * i * (1 - i))
                        accumulate(2 * plane, dh * t * o * (1 - o))
                        accumulate(3 * plane, dc * i * (1 - g * g))
                    }
                    if let gcPrevious {
                        VectorMath.store(VectorMath.load(gcPrevious + index, n) + dc * f, gcPrevious + index, n)
                    }
                }
            }
        }
        return (outputs[0], outputs[1])
    }
}

/// Walks `range` of a `[B, h, H, W]` cell tensor eight elements at a time without crossing
/// an image's boundary, giving `body` the element index, the lane count and the index of
/// the same element in the `[B, 4h, H, W]` gate tensor's first (forget) block.
@inline(__always)
private func forEachPlaneRun(_ range: Range<Int>, plane: Int, _ body: (Int, Int, Int) -> Void) {
    var start = range.lowerBound
    while start < range.upperBound {
        let b = start / plane
        let end = Swift.min(range.upperBound, (b + 1) * plane)
        VectorMath.forEachChunk(start..<end) { index, n in body(index, n, index + 3 * b * plane) }
        start = end
    }
}
