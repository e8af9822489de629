import Foundation

/// Named Float32 tensors in the safetensors format, the file PyTorch users load with
/// `safetensors.torch.load_file` / `safetensors.numpy.load_file`.
///
/// Layout: an 8-byte little-endian header length `n`; `n` bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}` padded with spaces to a multiple of 8; then the
/// raw little-endian data, each tensor's bytes at `[begin, end)` of that section.
/// Tensors are written in name order, so equal contents give byte-identical files.
public struct SafeTensors {
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// Free-form string metadata (the `__metadata__` entry).
    public var metadata: [String: String]

    /// Creates an archive in memory.
    /// - Parameters:
    ///   - tensors: The tensors by name.
    ///   - metadata: String metadata stored in the header.
    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The serialised file contents.
    /// - Returns: Header and data, ready to write.
    public func encoded() -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            header += "\"__metadata__\":{\(entries.joined(separator: ","))}"
        }
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let size = tensor.count * 4
            if header.count > 1 { header += "," }
            header += "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],"
            header += "\"data_offsets\":[\(offset),\(offset + size)]}"
            offset += size
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        for name in names {
            guard let tensor = tensors[name] else { continue }
            tensor.withUnsafeBufferPointer { values in
                for value in values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
        }
        return bytes
    }

    /// Writes the archive atomically: to a temporary file beside `path`, flushed to disk,
    /// then renamed over `path`, so a crash never leaves a partial file under that name.
    /// - Parameter path: The destination file.
    /// - Throws: ``TensorError/io(path:detail:)`` when the file cannot be written.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            // The temporary names of ShardFormat's AtomicFile, so its cleanup finds those a killed writer left.
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        let bytes = encoded()
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary.path)
        else {
            throw TensorError.io(path: temporary.path, detail: "cannot create the temporary file")
        }
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw TensorError.io(path: path, detail: "write failed: \(error)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw TensorError.io(path: path, detail: "cannot rename \(temporary.lastPathComponent) into place (errno \(errno))")
        }
    }

    /// Reads an archive, validating every length and offset against the file's size.
    /// - Parameter path: The file to read.
    /// - Throws: ``TensorError/io(path:detail:)`` when it cannot be read, and
    ///   ``TensorError/malformedFile(path:detail:)`` when it is not a valid F32 safetensors file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TensorError.io(path: path, detail: "cannot read the file")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// Decodes an archive from bytes (see ``init(contentsOf:)``).
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The name used in error messages.
    /// - Throws: ``TensorError/malformedFile(path:detail:)`` when the bytes are not a valid F32 safetensors file.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func malformed(_ detail: String) -> TensorError { .malformedFile(path: path, detail: detail) }
        guard bytes.count >= 8 else { throw malformed("expected an 8-byte header length, found a \(bytes.count)-byte file") }
        var headerLength: UInt64 = 0
        for index in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(bytes[index]) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw malformed("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw malformed("expected a JSON header at byte 8, found invalid JSON (\(error))")
        }
        guard let header = json as? [String: Any] else { throw malformed("expected a JSON object as the header") }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw malformed("expected __metadata__ to be an object") }
                for (key, value) in entries {
                    guard let string = value as? String else { throw malformed("metadata \"\(key)\": expected a string value") }
                    metadata[key] = string
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, shape.count == (entry["shape"] as? [Any])?.count
            else { throw malformed("tensor \"\(name)\": expected dtype, shape and data_offsets [begin, end]") }
            guard dtype == "F32" else { throw malformed("tensor \"\(name)\": expected dtype F32, found \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw malformed("tensor \"\(name)\": negative extent in \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            // The values the shape holds, refusing products the data section cannot hold before they overflow.
            var count = shape.contains(0) ? 0 : 1
            for extent in shape where count > 0 {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow, product <= dataSize / 4 else {
                    throw malformed("tensor \"\(name)\": shape \(shape) holds more values than the \(dataSize)-byte data section")
                }
                count = product
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw malformed("tensor \"\(name)\": data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data section")
            }
            guard end - begin == count * 4 else {
                throw malformed("tensor \"\(name)\": expected \(count * 4) bytes for shape \(shape), found \(end - begin)")
            }
            tensors[name] = Tensor(shape: shape) { buffer in
                bytes.withUnsafeBytes { raw in
                    for i in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: dataStart + begin + 4 * i, as: UInt32.self)
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                }
            }
        }
        self.tensors = tensors
        self.metadata = metadata
    }
}

/// A JSON string literal for `value`.
private func jsonString(_ value: String) -> String {
    var result = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
