import Tensors

/// The network that encodes one (image, viewpoint) context view; scene representations
/// are the sum over the context views.
struct RepresentationNetwork {
    let kind: RepresentationKind
    let layers: [Convolution]
    let channels: Int

    /// Adds the network's parameters (named `representation.*`) to `set`.
    init(_ configuration: GQNConfiguration, in set: ParameterSet) throws {
        let r = configuration.representationChannels
        let v = GQNConfiguration.viewpointSize
        kind = configuration.representation
        channels = r
        switch kind {
        case .tower, .pool:
            // Eslami et al. Fig. S1.
            layers = [
                try Convolution("representation.conv1", in: set, 3, r, kernel: 2, stride: 2),
                try Convolution("representation.skip1", in: set, r, r, kernel: 2, stride: 2),
                try Convolution("representation.conv2", in: set, r, r / 2, kernel: 3, padding: 1),
                try Convolution("representation.conv3", in: set, r / 2, r, kernel: 2, stride: 2),
                try Convolution("representation.skip2", in: set, r + v, r, kernel: 3, padding: 1),
                try Convolution("representation.conv4", in: set, r + v, r / 2, kernel: 3, padding: 1),
                try Convolution("representation.conv5", in: set, r / 2, r, kernel: 3, padding: 1),
                try Convolution("representation.conv6", in: set, r, r, kernel: 1),
            ]
        case .pyramid:
            // Three k2 s2 halvings, then one convolution over the remaining image/8 grid.
            let last = configuration.imageSize / 8
            layers = [
                try Convolution("representation.conv1", in: set, 3 + v, 32, kernel: 2, stride: 2),
                try Convolution("representation.conv2", in: set, 32, 64, kernel: 2, stride: 2),
                try Convolution("representation.conv3", in: set, 64, 128, kernel: 2, stride: 2),
                try Convolution("representation.conv4", in: set, 128, r, kernel: last, stride: last),
            ]
        }
    }

    /// Encodes `[N, 3, H, W]` images seen from `[N, 7]` viewpoints.
    /// - Returns: `[N, r, H/4, W/4]` (tower) or `[N, r, 1, 1]` (pool, pyramid).
    func encode(images x: Tensor, viewpoints v: Tensor, _ p: ParameterSource) throws -> Tensor {
        let n = x.shape[0]
        switch kind {
        case .tower, .pool:
            let l = layers
            let a = try l[0](x, p).relu()
            let skip1 = try l[1](a, p).relu()
            let b = try l[3](try l[2](a, p).relu(), p).relu() + skip1
            let grid = b.shape[2]
            let withView = try Tensor.concatenate([b, try v.expanded(to: [n, v.shape[1], grid, grid])])
            let skip2 = try l[4](withView, p).relu()
            let c = try l[6](try l[5](withView, p).relu(), p).relu() + skip2
            let tower = try l[7](c, p).relu()
            guard kind == .pool else { return tower }
            return try tower.reshaped(to: [n, channels, grid * grid]).mean(alongAxis: 2).reshaped(to: [n, channels, 1, 1])
        case .pyramid:
            let size = x.shape[2]
            var y = try Tensor.concatenate([x, try v.expanded(to: [n, v.shape[1], size, size])])
            for layer in layers { y = try layer(y, p).relu() }
            return y
        }
    }

    /// Forward flops of the network's convolutions on `images` images of side `size`.
    func forwardFlops(images: Int, imageSize size: Int) -> Double {
        switch kind {
        case .tower, .pool:
            let (half, quarter) = (size / 2, size / 4)
            let inputSizes = [size, half, half, half, quarter, quarter, quarter, quarter]
            return zip(layers, inputSizes).reduce(0) { $0 + $1.0.forwardFlops(images: images, inputSize: $1.1) }
        case .pyramid:
            let inputSizes = [size, size / 2, size / 4, size / 8]
            return zip(layers, inputSizes).reduce(0) { $0 + $1.0.forwardFlops(images: images, inputSize: $1.1) }
        }
    }
}
