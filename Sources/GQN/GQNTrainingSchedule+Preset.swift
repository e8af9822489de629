extension GQNTrainingSchedule {
    /// A schedule by name, as `gqn-train fit --schedule` takes it.
    ///
    /// ``paper`` stays the default everywhere: a run's schedule is part of what its command
    /// line reproduces, earlier runs and checkpoints resume unchanged, and ``short`` depends on
    /// a length that only the caller knows.
    public enum Preset: String, Sendable, Hashable, Codable, CaseIterable {
        /// ``GQNTrainingSchedule/paper``: fixed lengths (sigma over 200k steps, the learning
        /// rate over 1.6M), whatever the run's length.
        case paper
        /// ``GQNTrainingSchedule/short(annealSteps:)``: the paper's schedule compressed so the
        /// learning rate reaches its final value at a given step, usually the run's last.
        case short

        /// Whether the preset's lengths come from an annealing length (`--anneal-steps`).
        public var takesAnnealSteps: Bool { self == .short }
    }

    /// The schedule a preset names.
    /// - Parameters:
    ///   - preset: The name.
    ///   - annealSteps: For ``Preset/short``, the step (counted from 1) that first trains at
    ///     the final learning rate, usually the run's last; ``Preset/paper`` ignores it.
    public init(preset: Preset, annealSteps: Int) {
        switch preset {
        case .paper: self = .paper
        case .short: self = .short(annealSteps: annealSteps)
        }
    }
}
