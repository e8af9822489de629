extension GQNConfiguration {
    /// The reference configurations of DESIGN.md section 5, by name (`--config`).
    public enum Preset: String, Sendable, Hashable, Codable, CaseIterable {
        /// ``GQNConfiguration/tiny``.
        case tiny
        /// ``GQNConfiguration/small``.
        case small
        /// ``GQNConfiguration/paper``.
        case paper

        /// The configuration it names.
        public var configuration: GQNConfiguration {
            switch self {
            case .tiny: return .tiny
            case .small: return .small
            case .paper: return .paper
            }
        }
    }
}
