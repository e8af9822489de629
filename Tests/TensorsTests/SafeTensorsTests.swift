import Foundation
import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("safetensors") struct SafeTensorsTests {
        func temporaryPath(_ name: String) -> String {
            NSTemporaryDirectory() + "tensors-test-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
        }

        @Test func roundTrip() throws {
            let path = temporaryPath("roundtrip.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let a = Tensor.randomNormal(shape: [2, 3, 4], seed: 7)
            let b = try Tensor(shape: [3], scalars: [1, -0.0, .greatestFiniteMagnitude])
            let archive = SafeTensors(tensors: ["layer.a": a, "b \"quoted\"": b, "empty": Tensor(shape: [0, 2])], metadata: ["step": "12"])
            try archive.write(to: path)
            let loaded = try SafeTensors(contentsOf: path)
            #expect(loaded.metadata == ["step": "12"])
            #expect(loaded.tensors["layer.a"]?.shape == [2, 3, 4])
            #expect(loaded.tensors["layer.a"]?.scalars == a.scalars)
            #expect(loaded.tensors["b \"quoted\""]?.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
            #expect(loaded.tensors["empty"]?.shape == [0, 2])
            // Byte-identical on re-encode, and the header is 8-byte aligned.
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(loaded.encoded() == bytes)
            #expect(Int(bytes[0]) % 8 == 0)
        }

        @Test func rejectsMalformedFiles() throws {
            let good = SafeTensors(tensors: ["x": Tensor(shape: [4], repeating: 1)]).encoded()
            #expect(throws: TensorError.self) { try SafeTensors(bytes: Array(good.prefix(5))) }
            #expect(throws: TensorError.self) { try SafeTensors(bytes: Array(good.dropLast(4))) }
            var hugeHeader = good
            hugeHeader[6] = 0xFF
            #expect(throws: TensorError.self) { try SafeTensors(bytes: hugeHeader) }
            var f16 = good
            let header = String(decoding: f16[8..<(8 + Int(f16[0]))], as: UTF8.self).replacingOccurrences(of: "F32", with: "F16")
            f16.replaceSubrange(8..<(8 + Int(f16[0])), with: Array(header.utf8))
            #expect(throws: TensorError.self) { try SafeTensors(bytes: f16) }
        }

        @Test func parameterSetSaveAndLoad() throws {
            let path = temporaryPath("params.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let original = ParameterSet(seed: 5)
            let w = try original.add("conv.weight", shape: [4, 3, 3, 3], initializer: .pytorchDefault(fanIn: 27))
            let b = try original.add("conv.bias", shape: [4], initializer: .pytorchDefault(fanIn: 27))
            try original.save(to: path, metadata: ["config": "test"])
            let restored = ParameterSet(seed: 6)
            let w2 = try restored.add("conv.weight", shape: [4, 3, 3, 3], initializer: .zeros)
            let b2 = try restored.add("conv.bias", shape: [4], initializer: .zeros)
            #expect(try restored.load(from: path) == ["config": "test"])
            #expect(restored.tensor(w2).scalars == original.tensor(w).scalars)
            #expect(restored.tensor(b2).scalars == original.tensor(b).scalars)
            let mismatched = ParameterSet(seed: 7)
            try mismatched.add("conv.weight", shape: [4, 3, 1, 1], initializer: .zeros)
            #expect(throws: TensorError.self) { try mismatched.load(from: path) }
        }
    }
}
