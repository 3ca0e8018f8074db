import HeedAnalysis

/// The seeded generator of the experiments (HeedAnalysis/Experiments/Masking.swift), the only
/// copy: JSON and framing tests draw their random documents and split points from it.
public typealias SplitMix64 = HeedAnalysis.SplitMix64
