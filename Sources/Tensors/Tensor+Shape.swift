extension Tensor {
    /// The same elements viewed with another shape (no copy).
    /// - Parameter newShape: The new extents; one entry may be -1 to infer it.
    /// - Returns: A view sharing this tensor's storage.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the element counts differ.
    public func reshaped(to newShape: [Int]) throws -> Tensor {
        var shape = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        let inferred = newShape.filter { $0 == -1 }.count
        if inferred == 1, known > 0, count % known == 0, let index = shape.firstIndex(of: -1) {
            shape[index] = count / known
        }
        guard shape.reduce(1, *) == count, shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(
                operation: "reshaped(to:)", expected: "a shape with \(count) elements", found: "\(newShape)")
        }
        let view = Tensor(shape: shape, storage: storage, offset: offset)
        let count = self.count
        return Tape.record("reshape", [self], output: view) { context in
            guard let gy = context.outputGradient(0), let gx = context.inputGradient(0) else { return }
            add(gx, gy, count)
        }
    }

    /// Joins tensors along one axis (channels by default).
    /// - Parameters:
    ///   - tensors: Tensors with equal extents on every axis except `axis`.
    ///   - axis: The axis to join along.
    /// - Returns: The joined tensor.
    /// - Throws: ``TensorError`` when the list is empty, the axis is out of range or the shapes differ.
    /// - Complexity: One copy of every element.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 1) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidArgument(operation: "concatenate", expected: "at least one tensor", found: "none")
        }
        guard axis >= 0, axis < first.shape.count else {
            throw TensorError.invalidArgument(
                operation: "concatenate", expected: "an axis in 0..<\(first.shape.count)", found: "\(axis)")
        }
        try Tape.checkSameTape(tensors, operation: "concatenate")
        for tensor in tensors {
            var expected = first.shape
            guard tensor.shape.count == expected.count else {
                throw TensorError.shapeMismatch(operation: "concatenate", expected: "rank \(expected.count)", found: "\(tensor.shape)")
            }
            expected[axis] = tensor.shape[axis]
            guard tensor.shape == expected else {
                throw TensorError.shapeMismatch(operation: "concatenate", expected: "\(expected)", found: "\(tensor.shape)")
            }
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var shape = first.shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let parts = tensors.map(\.detached)
        let blocks = parts.map { $0.shape[axis] * inner }
        let rowLength = shape[axis] * inner
        let y = Tensor(uninitializedShape: shape)
        let yp = y.pointer
        let sources = parts.map(\.pointer)
        parallelChunks(outer) { rows in
            for row in rows {
                var column = 0
                for (source, block) in zip(sources, blocks) {
                    (yp + row * rowLength + column).update(from: source + row * block, count: block)
                    column += block
                }
            }
        }
        return Tape.record("concatenate", tensors, output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            var column = 0
            for (index, block) in blocks.enumerated() {
                if let gx = context.inputGradient(index) {
                    let start = column
                    parallelChunks(outer) { rows in
                        for row in rows {
                            let g = gx + row * block
                            let source = gy + row * rowLength + start
                            for j in 0..<block { g[j] += source[j] }
                        }
                    }
                }
                column += block
            }
        }
    }

    /// Splits the tensor along one axis (channels by default) into consecutive pieces.
    /// - Parameters:
    ///   - sizes: The extent of each piece along `axis`; they must add up to the tensor's extent.
    ///   - axis: The axis to split.
    /// - Returns: The pieces, in order.
    /// - Throws: ``TensorError`` when the axis is out of range or the sizes do not add up.
    public func split(sizes: [Int], alongAxis axis: Int = 1) throws -> [Tensor] {
        guard axis >= 0, axis < shape.count else {
            throw TensorError.invalidArgument(operation: "split", expected: "an axis in 0..<\(shape.count)", found: "\(axis)")
        }
        guard sizes.reduce(0, +) == shape[axis], sizes.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument(
                operation: "split", expected: "positive sizes adding up to \(shape[axis])", found: "\(sizes)")
        }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let rowLength = shape[axis] * inner
        let blocks = sizes.map { $0 * inner }
        let x = detached
        var outputs: [Tensor] = []
        var column = 0
        for (size, block) in zip(sizes, blocks) {
            var pieceShape = shape
            pieceShape[axis] = size
            let piece = Tensor(uninitializedShape: pieceShape)
            let (pp, xp, start) = (piece.pointer, x.pointer, column)
            parallelChunks(outer) { rows in
                for row in rows { (pp + row * block).update(from: xp + row * rowLength + start, count: block) }
            }
            outputs.append(piece)
            column += block
        }
        return Tape.record("split", [self], outputs: outputs) { context in
            guard let gx = context.inputGradient(0) else { return }
            var column = 0
            for (index, block) in blocks.enumerated() {
                if let gy = context.outputGradient(index) {
                    let start = column
                    parallelChunks(outer) { rows in
                        for row in rows {
                            let g = gx + row * rowLength + start
                            let source = gy + row * block
                            for j in 0..<block { g[j] += source[j] }
                        }
                    }
                }
                column += block
            }
        }
    }
}
