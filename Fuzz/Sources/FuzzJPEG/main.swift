import Foundation
import FuzzSupport
import ImageCodec

/// JPEG input (the frames of imported GQN datasets, shards whose encoding is `jpeg`): the header
/// read and the decode through libjpeg-turbo either fail cleanly or give an image of the size the
/// header states, which encodes again.
exit(FuzzSupport.run { input in
    let size = try? input.withUnsafeBytes { try JPEGCodec.dimensions(of: $0) }
    guard let bitmap = try? JPEGCodec.decodeRGB8(input) else { return }
    FuzzSupport.require(size != nil, "a JPEG decodes whose header could not be read")
    if let size {
        FuzzSupport.require(bitmap.width == size.width && bitmap.height == size.height,
                            "decoded \(bitmap.width)x\(bitmap.height), the header says \(size.width)x\(size.height)")
    }
    FuzzSupport.require(bitmap.samples.count == bitmap.width * bitmap.height * 3, "decoded samples do not fill the image")
})
