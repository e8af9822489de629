extension ParameterSet {
    /// Saves every parameter, under its name, as a safetensors file (written atomically).
    /// - Parameters:
    ///   - path: The destination file.
    ///   - metadata: String metadata for the header (configuration, step, ...).
    /// - Throws: ``TensorError/io(path:detail:)`` when the file cannot be written.
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for index in entries.indices { tensors[entries[index].name] = tensor(Parameter(index: index)) }
        try SafeTensors(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// Loads every parameter's values from a safetensors file written by ``save(to:metadata:)``
    /// (or by PyTorch with the same names and shapes).
    /// - Parameter path: The file to read.
    /// - Returns: The file's metadata.
    /// - Throws: ``TensorError`` when the file is unreadable or malformed, or a parameter
    ///   is missing or has another shape; nothing is changed then.
    @discardableResult
    public func load(from path: String) throws -> [String: String] {
        let archive = try SafeTensors(contentsOf: path)
        for entry in entries {
            guard let tensor = archive.tensors[entry.name] else {
                throw TensorError.malformedFile(path: path, detail: "expected tensor \"\(entry.name)\", found none")
            }
            guard tensor.shape == entry.shape else {
                throw TensorError.malformedFile(
                    path: path, detail: "tensor \"\(entry.name)\": expected shape \(entry.shape), found \(tensor.shape)")
            }
        }
        for index in entries.indices {
            if let tensor = archive.tensors[entries[index].name] { try assign(Parameter(index: index), from: tensor) }
        }
        return archive.metadata
    }
}
