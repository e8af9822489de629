extension GQNConfiguration {
    private enum CodingKeys: String, CodingKey {
        case name, imageSize, representationChannels, hiddenChannels, latentChannels, steps, lstmKernel, scale
        case representation, contextAggregation, batchSize, maxContextViews, sharedCores, schedule
        case priorReconstructionWeight
    }

    /// Decodes a configuration; one written before `contextAggregation` existed sums, and one
    /// written before `priorReconstructionWeight` existed has weight 0, as every model did then.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name),
            imageSize: try container.decode(Int.self, forKey: .imageSize),
            representationChannels: try container.decode(Int.self, forKey: .representationChannels),
            hiddenChannels: try container.decode(Int.self, forKey: .hiddenChannels),
            latentChannels: try container.decode(Int.self, forKey: .latentChannels),
            steps: try container.decode(Int.self, forKey: .steps),
            lstmKernel: try container.decode(Int.self, forKey: .lstmKernel),
            scale: try container.decode(Int.self, forKey: .scale),
            representation: try container.decode(RepresentationKind.self, forKey: .representation),
            batchSize: try container.decode(Int.self, forKey: .batchSize),
            maxContextViews: try container.decode(Int.self, forKey: .maxContextViews),
            sharedCores: try container.decode(Bool.self, forKey: .sharedCores),
            schedule: try container.decode(GQNTrainingSchedule.self, forKey: .schedule),
            contextAggregation: try container.decodeIfPresent(ContextAggregation.self, forKey: .contextAggregation) ?? .sum,
            priorReconstructionWeight: try container.decodeIfPresent(Double.self, forKey: .priorReconstructionWeight) ?? 0)
    }

    /// Encodes every field; `contextAggregation` only when it is not the paper's sum and
    /// `priorReconstructionWeight` only when it is not 0, so the checkpoints of models trained
    /// on the paper's objective keep the bytes they had before these fields existed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(imageSize, forKey: .imageSize)
        try container.encode(representationChannels, forKey: .representationChannels)
        try container.encode(hiddenChannels, forKey: .hiddenChannels)
        try container.encode(latentChannels, forKey: .latentChannels)
        try container.encode(steps, forKey: .steps)
        try container.encode(lstmKernel, forKey: .lstmKernel)
        try container.encode(scale, forKey: .scale)
        try container.encode(representation, forKey: .representation)
        if contextAggregation != .sum { try container.encode(contextAggregation, forKey: .contextAggregation) }
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(maxContextViews, forKey: .maxContextViews)
        try container.encode(sharedCores, forKey: .sharedCores)
        try container.encode(schedule, forKey: .schedule)
        if priorReconstructionWeight != 0 {
            try container.encode(priorReconstructionWeight, forKey: .priorReconstructionWeight)
        }
    }
}
