import Foundation
import FuzzSupport
import RayTracer
import SceneFamilies

/// A scene family spec (Scenes/*.json): parsing, validation, and sampling a scene from what
/// passes, which must terminate and must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFamilySpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzSupport.bytes(data, size)
    guard let json = try? JSONValue.parse(Data(bytes), file: "input.json"),
        let spec = try? FamilySpec(json: json, file: "input.json")
    else { return 0 }
    let sampled = SceneFamily(spec: spec).sample(index: 3, seed: 7)
    FuzzSupport.require(sampled.cameras.count == spec.views, "\(sampled.cameras.count) cameras for \(spec.views) views")
    return 0
}
