import Foundation

/// A small safetensors file with known contents, and a JSON sidecar listing them, for
/// checking that other safetensors readers (Python's `safetensors`) agree with ours.
public enum SafeTensorsFixture {
    /// The fixture's tensors: a ramp, seeded normal noise, a scalar and special values.
    public static func tensors() throws -> [String: Tensor] {
        [
            "ramp": try Tensor(shape: [2, 3], scalars: (0..<6).map { Float($0) * 0.5 - 1 }),
            "noise.normal": Tensor.randomNormal(shape: [4, 1, 5], seed: 2024),
            "scalar": try Tensor(shape: [], scalars: [3.25]),
            "special": try Tensor(shape: [4], scalars: [.greatestFiniteMagnitude, -.leastNormalMagnitude, 1e-30, -0.0]),
        ]
    }

    /// Writes `fixture.safetensors` and `fixture.json` (`{"name": {"shape": [...], "values": [...]}}`,
    /// values printed with enough digits to round-trip Float32 exactly) into `directory`.
    /// - Parameter directory: An existing directory.
    /// - Throws: ``TensorError/io(path:detail:)`` when a file cannot be written.
    public static func write(toDirectory directory: String) throws {
        let tensors = try tensors()
        try SafeTensors(tensors: tensors, metadata: ["source": "Tensors fixture"]).write(to: directory + "/fixture.safetensors")
        let entries = tensors.keys.sorted().map { name -> String in
            let tensor = tensors[name] ?? Tensor(shape: [0])
            let values = tensor.scalars.map { "\($0)" }.joined(separator: ",")
            return "\"\(name)\":{\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"values\":[\(values)]}"
        }
        let json = "{" + entries.joined(separator: ",") + "}\n"
        let path = directory + "/fixture.json"
        guard FileManager.default.createFile(atPath: path, contents: Data(json.utf8)) else {
            throw TensorError.io(path: path, detail: "cannot write the JSON sidecar")
        }
    }
}
