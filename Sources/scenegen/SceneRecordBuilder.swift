import ImageCodec
import RayTracer
import SceneFamilies
import ShardFormat

/// Renders every view of a sampled scene and packs it, with poses and labels, into the
/// record the shard format stores. Pure: the same scene gives the same bytes.
struct SceneRecordBuilder: Sendable {
    let samplesPerSide: Int
    let encoding: DatasetSchema.ImageEncoding
    let depth: Bool
    let masks: Bool

    /// The JPEG quality of `--encoding jpeg`.
    static let jpegQuality = 95

    /// Renders every view of one scene on the calling thread, nothing encoded: what
    /// ``record(for:)`` encodes, and what `scenegen bench --family` times on its own.
    func renderViews(of sampled: SampledScene) -> [RenderedView] {
        let renderer = Renderer(scene: sampled.scene)
        return sampled.cameras.enumerated().map { index, camera in
            let settings = RenderSettings(samplesPerSide: samplesPerSide, threads: 1, seed: sampled.renderSeed(view: index),
                                          depth: depth, instanceMask: masks)
            return renderer.render(camera: camera, settings: settings)
        }
    }

    /// Renders and encodes one scene on the calling thread.
    func record(for sampled: SampledScene) throws -> SceneRecord {
        try record(for: sampled, rendered: renderViews(of: sampled))
    }

    /// Encodes the views that ``renderViews(of:)`` rendered for `sampled` into its record.
    func record(for sampled: SampledScene, rendered: [RenderedView]) throws -> SceneRecord {
        let views = try zip(sampled.cameras, rendered).map { camera, view in
            let bitmap = Bitmap(width: view.width, height: view.height, channels: 3, samples: view.rgb)
            let image = switch encoding {
            case .png: try PNGCodec.encode(bitmap, compression: .fast)
            case .jpeg: try JPEGCodec.encode(bitmap, quality: Self.jpegQuality)
            case .raw: view.rgb
            }
            let k = camera.intrinsics
            return ViewRecord(
                image: image,
                pose: CameraPose(x: camera.position.x, y: camera.position.y, z: camera.position.z,
                                 yaw: camera.yaw, pitch: camera.pitch),
                cameraToWorld: SIMD16(camera.cameraToWorld),
                intrinsics: CameraIntrinsics(fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy),
                depth: try view.depthMillimetres.map {
                    try PNGCodec.encode(Bitmap(width: view.width, height: view.height, channels: 1, samples: $0), compression: .fast)
                },
                mask: try view.instanceMask.map {
                    try PNGCodec.encode(Bitmap(width: view.width, height: view.height, channels: 1, samples: $0), compression: .fast)
                })
        }
        return SceneRecord(sceneIndex: UInt64(sampled.index), sceneSeed: sampled.seed, views: views,
                           labels: Self.labels(sampled.groundTruth))
    }

    /// The shard format's labels for a family's ground truth.
    static func labels(_ truth: GroundTruth) -> SceneLabels {
        SceneLabels(
            room: RoomLabel(wallTexture: truth.wall ?? "", floorTexture: truth.floor ?? ""),
            objects: truth.objects.map { object in
                ObjectLabel(shape: object.shape.rawValue, colorName: object.colorName, color: object.color,
                            position: object.position, size: object.size, yaw: object.yaw, pitch: object.pitch,
                            roll: object.roll)
            },
            lights: truth.lights.map { light in
                LightLabel(kind: light.kind, position: light.position, direction: light.direction, color: light.color,
                           intensity: light.intensity)
            })
    }
}
