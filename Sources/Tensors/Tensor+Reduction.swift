/// Elements per partial sum in full reductions; fixed so results do not depend on the thread count.
let reductionBlock = 4096

extension Tensor {
    /// The sum of all elements, as a scalar tensor (shape `[]`).
    ///
    /// Partial sums over fixed blocks of 4,096 elements are combined in order, so the
    /// result is the same for every thread count.
    /// - Complexity: O(n).
    public func sum() -> Tensor { reduceAll(scale: 1) }

    /// The mean of all elements, as a scalar tensor (shape `[]`).
    public func mean() -> Tensor { reduceAll(scale: 1 / Float(Swift.max(1, count))) }

    private func reduceAll(scale: Float) -> Tensor {
        let x = detached
        let count = self.count
        let blocks = (count + reductionBlock - 1) / reductionBlock
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, blocks))
        defer { partials.deallocate() }
        let xp = x.pointer
        parallelChunks(blocks) { range in
            for block in range {
                let start = block * reductionBlock
                let end = Swift.min(count, start + reductionBlock)
                var lanes = SIMD8<Float>()
                var i = start
                while i + 8 <= end {
                    lanes += UnsafeRawPointer(xp + i).loadUnaligned(as: SIMD8<Float>.self)
                    i += 8
                }
                var total = Double(lanes.sum())
                while i < end {
                    total += Double(xp[i])
                    i += 1
                }
                partials[block] = total
            }
        }
        var total = 0.0
        for block in 0..<blocks { total += partials[block] }
        let y = Tensor(uninitializedShape: [])
        y.pointer.pointee = Float(total) * scale
        return Tape.record("sum", [self], output: y) { context in
            guard let gy = context.outputGradient(0), let gx = context.inputGradient(0) else { return }
            let g = gy.pointee * scale
            parallelChunks(count, grain: elementwiseGrain) { range in
                for i in range { gx[i] += g }
            }
        }
    }

    /// Sums over one axis, removing it: `[outer, n, inner]` to `[outer, inner]`.
    ///
    /// Sums over context views (`[B, V, C, H, W]`, axis 1) and over pixels
    /// (`[B, C*H*W]`, axis 1) are both this operation.
    /// - Parameter axis: The axis to remove.
    /// - Returns: The sums, in a fixed order for every thread count.
    /// - Throws: ``TensorError/invalidArgument(operation:expected:found:)`` for an axis out of range.
    public func sum(alongAxis axis: Int) throws -> Tensor { try reduce(alongAxis: axis, scale: 1) }

    /// Averages over one axis, removing it (see ``sum(alongAxis:)``).
    /// - Throws: ``TensorError/invalidArgument(operation:expected:found:)`` for an axis out of range.
    public func mean(alongAxis axis: Int) throws -> Tensor {
        guard axis >= 0, axis < shape.count else { return try reduce(alongAxis: axis, scale: 1) }
        return try reduce(alongAxis: axis, scale: 1 / Float(Swift.max(1, shape[axis])))
    }

    private func reduce(alongAxis axis: Int, scale: Float) throws -> Tensor {
        guard axis >= 0, axis < shape.count else {
            throw TensorError.invalidArgument(operation: "sum(alongAxis:)", expected: "an axis in 0..<\(shape.count)", found: "\(axis)")
        }
        let outer = shape[..<axis].reduce(1, *)
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape.remove(at: axis)
        let x = detached
        let y = Tensor(uninitializedShape: outShape)
        let (xp, yp) = (x.pointer, y.pointer)
        parallelChunks(outer) { rows in
            for o in rows {
                let out = yp + o * inner
                let source = xp + o * n * inner
                if inner == 1 {
                    var lanes = SIMD8<Float>()
                    var i = 0
                    while i + 8 <= n {
                        lanes += UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
                        i += 8
                    }
                    var total = lanes.sum()
                    while i < n {
                        total += source[i]
                        i += 1
                    }
                    out.pointee = total * scale
                } else {
                    out.update(repeating: 0, count: inner)
                    for i in 0..<n {
                        let row = source + i * inner
                        for j in 0..<inner { out[j] += row[j] }
                    }
                    if scale != 1 { for j in 0..<inner { out[j] *= scale } }
                }
            }
        }
        return Tape.record("sum along axis", [self], output: y) { context in
            guard let gy = context.outputGradient(0), let gx = context.inputGradient(0) else { return }
            parallelChunks(outer) { rows in
                for o in rows {
                    let g = gy + o * inner
                    for i in 0..<n {
                        let row = gx + (o * n + i) * inner
                        for j in 0..<inner { row[j] += g[j] * scale }
                    }
                }
            }
        }
    }
}
