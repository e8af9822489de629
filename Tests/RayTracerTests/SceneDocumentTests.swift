import Foundation
import Testing
@testable import RayTracer

@Suite("Scene JSON")
struct SceneDocumentTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenes/examples")

    let minimal = """
        {
          "image": { "width": 32, "height": 24 },
          "camera": { "position": [3, 0, 1], "lookAt": [0, 0, 0.5] },
          "room": { "floor": { "color": [1, 1, 1] }, "walls": { "color": [0.5, 0.5, 0.5] } },
          "shapes": [ { "type": "sphere", "position": [0, 0, 0.5], "size": 1, "material": { "color": [1, 0, 0] } } ],
          "lights": [ { "type": "point", "position": [0, 0, 2.5], "intensity": 4 } ]
        }
        """

    func parse(_ text: String) throws -> SceneDocument {
        try SceneDocument(json: JSONValue.parse(Data(text.utf8), file: "test.json"), file: "test.json")
    }

    /// The error a modified minimal document raises.
    func error(replacing old: String, with new: String) -> SpecError? {
        #expect(minimal.contains(old), "test setup: \(old) not in the document")
        do {
            _ = try parse(minimal.replacingOccurrences(of: old, with: new))
            return nil
        } catch let error as SpecError {
            return error
        } catch {
            return nil
        }
    }

    @Test("every example scene loads and renders")
    func examples() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.examples, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        #expect(files.count >= 3)
        #expect(files.contains { $0.lastPathComponent == "bench_room.json" })
        for file in files {
            var document = try SceneDocument.load(contentsOf: file)
            document.scene.camera.width = 16
            document.scene.camera.height = 16
            let view = Renderer(scene: document.scene).render(settings: RenderSettings(samplesPerSide: 1))
            #expect(view.rgb.contains { $0 > 0 }, "\(file.lastPathComponent) renders something")
        }
    }

    @Test("a minimal document gives the room, the object and defaults")
    func minimalDocument() throws {
        let document = try parse(minimal)
        #expect(document.samplesPerPixel == 4)
        #expect(document.scene.shapes.count == 6)
        #expect(document.scene.shapes.last?.instanceID == 1)
        #expect(document.scene.camera.width == 32 && document.scene.camera.height == 24)
        #expect(close(document.scene.camera.verticalFieldOfView, 50 * .pi / 180))
    }

    @Test("a room with a ceiling loads, and a typo inside the ceiling is named")
    func ceiling() throws {
        let document = try parse(minimal.replacingOccurrences(
            of: "\"walls\": { \"color\": [0.5, 0.5, 0.5] } },",
            with: "\"walls\": { \"color\": [0.5, 0.5, 0.5] }, \"ceiling\": { \"color\": [0.9, 0.9, 0.9] } },"))
        #expect(document.scene.shapes.count == 7, "floor, 4 walls, ceiling, sphere")
        let error = try #require(self.error(
            replacing: "\"walls\": { \"color\": [0.5, 0.5, 0.5] } },",
            with: "\"walls\": { \"color\": [0.5, 0.5, 0.5] }, \"ceiling\": { \"colour\": [1, 1, 1] } },"))
        #expect(error.path.hasPrefix("$.room.ceiling"))
    }

    @Test("an unknown key is named with its path")
    func unknownKey() throws {
        let error = try #require(self.error(replacing: "\"size\": 1,", with: "\"size\": 1, \"raduis\": 2,"))
        #expect(error.path == "$.shapes[0].raduis")
        #expect(error.found.contains("unknown key"))
        #expect(error.file == "test.json")
    }

    @Test("a missing field is named")
    func missingField() throws {
        let error = try #require(self.error(replacing: "\"intensity\": 4", with: "\"color\": [1, 1, 1]"))
        #expect(error.path == "$.lights[0]")
        #expect(error.expected.contains("intensity"))
    }

    @Test("a wrong type says what was expected and found")
    func wrongType() throws {
        let error = try #require(self.error(replacing: "\"width\": 32", with: "\"width\": \"32\""))
        #expect(error.path == "$.image.width")
        #expect(error.expected == "an integer")
        #expect(error.found == "the string \"32\"")
        let vector = try #require(self.error(replacing: "\"position\": [3, 0, 1]", with: "\"position\": [3, 0]"))
        #expect(vector.path == "$.camera.position")
        #expect(vector.found == "an array of 2 elements")
        let kind = try #require(self.error(replacing: "\"sphere\"", with: "\"torus\""))
        #expect(kind.path == "$.shapes[0].type" && kind.expected.contains("\"icosahedron\""))
        let colour = try #require(self.error(replacing: "[1, 0, 0]", with: "[1, 0, 2]"))
        #expect(colour.path == "$.shapes[0].material.color[2]")
        let spp = try #require(self.error(replacing: "\"height\": 24", with: "\"height\": 24, \"samplesPerPixel\": 8"))
        #expect(spp.path == "$.image.samplesPerPixel" && spp.expected.contains("perfect square"))
    }

    @Test("invalid JSON is reported, not crashed on")
    func invalidJSON() throws {
        #expect(throws: SpecError.self) { try self.parse("{ \"image\": ") }
        #expect(throws: SpecError.self) { try self.parse("[1, 2, 3]") }
        #expect(throws: SpecError.self) {
            try SceneDocument.load(contentsOf: URL(fileURLWithPath: "/nonexistent/scene.json"))
        }
    }
}
