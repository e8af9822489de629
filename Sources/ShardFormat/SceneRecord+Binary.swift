// The record payload layout of format version 1; <doc:ShardFileFormat> specifies it.

extension SceneRecord {
    /// Checks the record against `schema` and encodes its payload (the bytes a record's
    /// CRC-32C covers).
    /// - Parameters:
    ///   - schema: The shard's schema.
    ///   - path: The shard being written, for error messages.
    /// - Throws: ``ShardFormatError/invalidInput(path:field:expected:found:)`` naming the first
    ///   field that does not fit the schema.
    func encodedPayload(schema: DatasetSchema, path: String) throws(ShardFormatError) -> [UInt8] {
        try validate(against: schema, path: path)
        let blobBytes = views.reduce(0) { $0 + $1.image.count + ($1.depth?.count ?? 0) + ($1.mask?.count ?? 0) }
        var out: [UInt8] = []
        out.reserveCapacity(64 + views.count * 124 + blobBytes + labels.objects.count * 64 + labels.lights.count * 64)
        out.appendLittleEndian(sceneIndex)
        out.appendLittleEndian(sceneSeed)
        out.appendLittleEndian(UInt32(views.count))
        for view in views {
            out.appendFloat(view.pose.x)
            out.appendFloat(view.pose.y)
            out.appendFloat(view.pose.z)
            out.appendFloat(view.pose.yaw)
            out.appendFloat(view.pose.pitch)
            for element in 0..<16 {
                out.appendFloat(view.cameraToWorld[element])
            }
            out.appendFloat(view.intrinsics.fx)
            out.appendFloat(view.intrinsics.fy)
            out.appendFloat(view.intrinsics.cx)
            out.appendFloat(view.intrinsics.cy)
            out.appendBlob(view.image)
            if let depth = view.depth { out.appendBlob(depth) }
            if let mask = view.mask { out.appendBlob(mask) }
        }
        out.appendBlob(Array(labels.room.wallTexture.utf8))
        out.appendBlob(Array(labels.room.floorTexture.utf8))
        out.appendLittleEndian(UInt32(labels.objects.count))
        for object in labels.objects {
            out.appendBlob(Array(object.shape.utf8))
            out.appendBlob(Array(object.colorName.utf8))
            out.appendFloat3(object.color)
            out.appendFloat3(object.position)
            out.appendFloat3(object.size)
            out.appendFloat(object.yaw)
            out.appendFloat(object.pitch)
            out.appendFloat(object.roll)
        }
        out.appendLittleEndian(UInt32(labels.lights.count))
        for light in labels.lights {
            out.appendBlob(Array(light.kind.utf8))
            out.appendFloat3(light.position)
            out.appendFloat3(light.direction)
            out.appendFloat3(light.color)
            out.appendFloat(light.intensity)
        }
        return out
    }

    private func validate(against schema: DatasetSchema, path: String) throws(ShardFormatError) {
        func fail(_ field: String, _ expected: String, _ found: String) -> ShardFormatError {
            .invalidInput(path: path, field: "scene \(sceneIndex): \(field)", expected: expected, found: found)
        }
        guard views.count == schema.viewsPerScene else {
            throw fail("views", "\(schema.viewsPerScene) views (schema)", "\(views.count)")
        }
        let limit = Int(UInt32.max)
        for (index, view) in views.enumerated() {
            switch schema.imageEncoding {
            case .png:
                guard view.image.starts(with: ShardLayout.pngSignature), view.image.count <= limit else {
                    throw fail("views[\(index)].image", "a PNG stream under 4 GiB", "\(view.image.count) bytes starting \(Self.prefixHex(view.image))")
                }
            case .raw:
                guard view.image.count == schema.rawImageByteCount else {
                    throw fail("views[\(index)].image", "\(schema.rawImageByteCount) raw RGB8 bytes", "\(view.image.count) bytes")
                }
            case .jpeg:
                guard view.image.starts(with: ShardLayout.jpegSignature), view.image.count <= limit else {
                    throw fail("views[\(index)].image", "a JPEG stream under 4 GiB", "\(view.image.count) bytes starting \(Self.prefixHex(view.image))")
                }
            }
            guard (view.depth != nil) == schema.hasDepth else {
                throw fail("views[\(index)].depth", schema.hasDepth ? "a depth PNG (schema)" : "no depth (schema)", view.depth == nil ? "none" : "a depth image")
            }
            guard (view.mask != nil) == schema.hasMasks else {
                throw fail("views[\(index)].mask", schema.hasMasks ? "a mask PNG (schema)" : "no mask (schema)", view.mask == nil ? "none" : "a mask image")
            }
            // Each checked by name, without an array of the two per view (the writer validates every record).
            if let depth = view.depth, !depth.starts(with: ShardLayout.pngSignature) || depth.count > limit {
                throw fail("views[\(index)].depth", "a PNG stream under 4 GiB", "\(depth.count) bytes starting \(Self.prefixHex(depth))")
            }
            if let mask = view.mask, !mask.starts(with: ShardLayout.pngSignature) || mask.count > limit {
                throw fail("views[\(index)].mask", "a PNG stream under 4 GiB", "\(mask.count) bytes starting \(Self.prefixHex(mask))")
            }
        }
        let strings = [labels.room.wallTexture, labels.room.floorTexture] + labels.objects.flatMap { [$0.shape, $0.colorName] } + labels.lights.map(\.kind)
        if let long = strings.first(where: { $0.utf8.count > limit }) {
            throw fail("labels", "strings under 4 GiB", "\(long.utf8.count) bytes")
        }
        guard labels.objects.count <= limit, labels.lights.count <= limit else {
            throw fail("labels", "fewer than 2^32 objects and lights", "\(labels.objects.count) and \(labels.lights.count)")
        }
    }

    private static func prefixHex(_ bytes: [UInt8]) -> String {
        bytes.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }

    /// Decodes a record payload whose CRC-32C has already been checked.
    ///
    /// Copies each image once, into the record's arrays; nothing else is copied.
    /// - Parameters:
    ///   - payload: The payload bytes.
    ///   - payloadOffset: File offset of `payload[0]`, for error messages.
    ///   - schema: The shard's schema; the record must fit it.
    ///   - path: The shard, for error messages.
    ///   - record: The record's index in the shard, for error messages.
    init(
        payload: UnsafeRawBufferPointer, payloadOffset: UInt64, schema: DatasetSchema, path: String, record: Int
    ) throws(ShardFormatError) {
        var cursor = ByteCursor(bytes: payload, baseOffset: payloadOffset, path: path, record: record)
        let sceneIndex = try cursor.readUInt64("sceneIndex")
        let sceneSeed = try cursor.readUInt64("sceneSeed")
        let viewCountOffset = cursor.fileOffset
        let viewCount = try cursor.readUInt32("viewCount")
        guard viewCount == schema.viewsPerScene else {
            throw .malformed(
                path: path, record: record, offset: viewCountOffset, field: "viewCount",
                expected: "\(schema.viewsPerScene) (schema)", found: "\(viewCount)"
            )
        }
        var views: [ViewRecord] = []
        views.reserveCapacity(Int(viewCount))
        for v in 0..<Int(viewCount) {
            let pose = CameraPose(
                x: try cursor.readFloat("views[\(v)].pose"), y: try cursor.readFloat("views[\(v)].pose"),
                z: try cursor.readFloat("views[\(v)].pose"), yaw: try cursor.readFloat("views[\(v)].pose"),
                pitch: try cursor.readFloat("views[\(v)].pose")
            )
            var matrix = SIMD16<Float>()
            for element in 0..<16 {
                matrix[element] = try cursor.readFloat("views[\(v)].cameraToWorld")
            }
            let intrinsics = CameraIntrinsics(
                fx: try cursor.readFloat("views[\(v)].intrinsics"), fy: try cursor.readFloat("views[\(v)].intrinsics"),
                cx: try cursor.readFloat("views[\(v)].intrinsics"), cy: try cursor.readFloat("views[\(v)].intrinsics")
            )
            let imageOffset = cursor.fileOffset
            let image = try cursor.readLengthPrefixedBytes("views[\(v)].image")
            switch schema.imageEncoding {
            case .png:
                try Self.requirePNG(image, field: "views[\(v)].image", offset: imageOffset, path: path, record: record)
            case .jpeg:
                guard image.starts(with: ShardLayout.jpegSignature) else {
                    throw .malformed(
                        path: path, record: record, offset: imageOffset + 4, field: "views[\(v)].image",
                        expected: "a JPEG stream (signature ff d8 ff)", found: "\(image.count) bytes starting \(Self.prefixHex(image))"
                    )
                }
            case .raw:
                guard image.count == schema.rawImageByteCount else {
                    throw .malformed(
                        path: path, record: record, offset: imageOffset, field: "views[\(v)].image length",
                        expected: "\(schema.rawImageByteCount) (raw RGB8, schema)", found: "\(image.count)"
                    )
                }
            }
            var depth: [UInt8]?
            if schema.hasDepth {
                let offset = cursor.fileOffset
                let bytes = try cursor.readLengthPrefixedBytes("views[\(v)].depth")
                try Self.requirePNG(bytes, field: "views[\(v)].depth", offset: offset, path: path, record: record)
                depth = bytes
            }
            var mask: [UInt8]?
            if schema.hasMasks {
                let offset = cursor.fileOffset
                let bytes = try cursor.readLengthPrefixedBytes("views[\(v)].mask")
                try Self.requirePNG(bytes, field: "views[\(v)].mask", offset: offset, path: path, record: record)
                mask = bytes
            }
            views.append(ViewRecord(image: image, pose: pose, cameraToWorld: matrix, intrinsics: intrinsics, depth: depth, mask: mask))
        }
        let room = RoomLabel(
            wallTexture: try cursor.readString("labels.room.wallTexture"),
            floorTexture: try cursor.readString("labels.room.floorTexture")
        )
        let objectCount = try cursor.readUInt32("labels.objectCount")
        var objects: [ObjectLabel] = []
        // Each object takes at least 56 bytes, so a corrupt count cannot reserve much memory.
        objects.reserveCapacity(min(Int(objectCount), cursor.remaining / 56))
        for o in 0..<Int(objectCount) {
            objects.append(ObjectLabel(
                shape: try cursor.readString("labels.objects[\(o)].shape"),
                colorName: try cursor.readString("labels.objects[\(o)].colorName"),
                color: try cursor.readFloat3("labels.objects[\(o)].color"),
                position: try cursor.readFloat3("labels.objects[\(o)].position"),
                size: try cursor.readFloat3("labels.objects[\(o)].size"),
                yaw: try cursor.readFloat("labels.objects[\(o)].yaw"),
                pitch: try cursor.readFloat("labels.objects[\(o)].pitch"),
                roll: try cursor.readFloat("labels.objects[\(o)].roll")
            ))
        }
        let lightCount = try cursor.readUInt32("labels.lightCount")
        var lights: [LightLabel] = []
        lights.reserveCapacity(min(Int(lightCount), cursor.remaining / 44))
        for l in 0..<Int(lightCount) {
            lights.append(LightLabel(
                kind: try cursor.readString("labels.lights[\(l)].kind"),
                position: try cursor.readFloat3("labels.lights[\(l)].position"),
                direction: try cursor.readFloat3("labels.lights[\(l)].direction"),
                color: try cursor.readFloat3("labels.lights[\(l)].color"),
                intensity: try cursor.readFloat("labels.lights[\(l)].intensity")
            ))
        }
        try cursor.requireEnd("record payload")
        self.init(
            sceneIndex: sceneIndex, sceneSeed: sceneSeed, views: views,
            labels: SceneLabels(room: room, objects: objects, lights: lights)
        )
    }

    /// Fails unless `bytes` (read from the length field at `offset`) start with the PNG signature.
    private static func requirePNG(
        _ bytes: [UInt8], field: String, offset: UInt64, path: String, record: Int
    ) throws(ShardFormatError) {
        guard bytes.starts(with: ShardLayout.pngSignature) else {
            throw .malformed(
                path: path, record: record, offset: offset + 4, field: field,
                expected: "a PNG stream (signature 89 50 4e 47 0d 0a 1a 0a)",
                found: "\(bytes.count) bytes starting \(prefixHex(bytes))"
            )
        }
    }
}

extension [UInt8] {
    /// Appends a `UInt32` byte count and the bytes; callers have checked the count fits.
    fileprivate mutating func appendBlob(_ blob: [UInt8]) {
        appendLittleEndian(UInt32(truncatingIfNeeded: blob.count))
        append(contentsOf: blob)
    }
}
