/// How the representations of the K context views combine into the scene representation.
public enum ContextAggregation: String, Sendable, Hashable, Codable, CaseIterable {
    /// Their sum, as in Eslami et al.: r grows with the number of views.
    case sum
    /// Their mean: r stays on one scale whatever the number of views.
    case mean
}
