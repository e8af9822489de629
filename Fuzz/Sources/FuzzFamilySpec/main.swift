import Foundation
import FuzzSupport
import RayTracer
import SceneFamilies

/// A scene family spec (Scenes/*.json): parsing, validation, and sampling a scene from what
/// passes, which must terminate and must not trap.
exit(FuzzSupport.run { input in
    let bytes = input
    guard let json = try? JSONValue.parse(Data(bytes), file: "input.json"),
        let spec = try? FamilySpec(json: json, file: "input.json")
    else { return }
    let sampled = SceneFamily(spec: spec).sample(index: 3, seed: 7)
    FuzzSupport.require(sampled.cameras.count == spec.views, "\(sampled.cameras.count) cameras for \(spec.views) views")
})
