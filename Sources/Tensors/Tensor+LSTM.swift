#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
            for index in range {
                let b = index / plane
                let gate = b * 4 * plane + index % plane
                let f = stableSigmoid(zp[gate])
                let i = stableSigmoid(zp[gate + plane])
                let o = stableSigmoid(zp[gate + 2 * plane])
                let g = tanhf(zp[gate + 3 * plane])
                let updated = f * cp[index] + i * g
                (ap[gate], ap[gate + plane], ap[gate + 2 * plane], ap[gate + 3 * plane]) = (f, i, o, g)
                np[index] = updated
                hp[index] = o * tanhf(updated)
            }
        }
        let outputs = Tape.record([gates, cell], outputs: [hidden, newCell]) { context in
            let gh = context.outputGradient(0)
            let gc = context.outputGradient(1)
            let gz = context.inputGradient(0)
            let gcPrevious = context.inputGradient(1)
            let (cp, ap, np) = (c.pointer, activations.pointer, newCell.pointer)
            parallelChunks(count, grain: elementwiseGrain / 4) { range in
                for index in range {
                    let b = index / plane
                    let gate = b * 4 * plane + index % plane
                    let (f, i, o, g) = (ap[gate], ap[gate + plane], ap[gate + 2 * plane], ap[gate + 3 * plane])
                    let t = tanhf(np[index])
                    let dh = gh?[index] ?? 0
                    let dc = (gc?[index] ?? 0) + dh * o * (1 - t * t)
                    if let gz {
                        gz[gate] += dc * cp[index] * f * (1 - f)
                        gz[gate + plane] += dc * g * i * (1 - i)
                        gz[gate + 2 * plane] += dh * t * o * (1 - o)
                        gz[gate + 3 * plane] += dc * i * (1 - g * g)
                    }
                    if let gcPrevious { gcPrevious[index] += dc * f }
                }
            }
        }
        return (outputs[0], outputs[1])
    }
}
