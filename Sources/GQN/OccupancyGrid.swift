/// A coarse grid of cells over the room's floor: where the objects are, as a set of
/// occupied cells.
///
/// The floor `[-size/2, size/2]^2` (the room is centred on the origin) is cut into
/// `cells x cells` equal squares; cell `row * cells + column` has
/// `column = floor((x + size/2) / (size/cells))` and `row` likewise from `y`, clamped to the
/// grid (an object centred outside the floor counts in the border cell nearest it). A cell
/// is occupied when at least one object's centre lies in it; an object's extent is ignored.
public struct OccupancyGrid: Sendable, Equatable, Codable {
    /// Cells per side.
    public var cells: Int
    /// The side of the square floor, in scene units (GQN rooms are 7 x 7).
    public var size: Float

    /// Creates a grid of `cells x cells` over a `size x size` floor.
    public init(cells: Int = 3, size: Float = 7) {
        self.cells = cells
        self.size = size
    }

    /// The number of cells, `cells * cells`.
    public var count: Int { cells * cells }

    /// The cell holding the floor point (`x`, `y`).
    public func cell(x: Float, y: Float) -> Int {
        func index(_ value: Float) -> Int {
            let scaled = ((value + size / 2) / size * Float(cells)).rounded(.down)
            return scaled.isFinite ? Swift.min(Swift.max(Int(scaled), 0), cells - 1) : 0
        }
        return index(y) * cells + index(x)
    }
}
