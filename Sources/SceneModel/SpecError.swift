/// A problem in a JSON scene or family spec: which file, where in it (a JSON path such as
/// `$.shapes[2].size`), what was expected and what was found.
public struct SpecError: Error, Equatable, CustomStringConvertible {
    /// The file the JSON came from, when known.
    public var file: String?
    /// The JSON path of the offending value.
    public var path: String
    /// What a valid value looks like.
    public var expected: String
    /// What the input holds instead.
    public var found: String

    /// Creates an error.
    public init(file: String? = nil, path: String, expected: String, found: String) {
        self.file = file
        self.path = path
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "\(file.map { "\($0): " } ?? "")at \(path): expected \(expected), found \(found)"
    }
}
