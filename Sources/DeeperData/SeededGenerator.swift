import Foundation

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64: a small, fast, deterministic
/// generator for synthetic data. Never used for anything that needs to be unpredictable.
///
/// `init(seed:stream:)` derives independent streams from one seed, so a synthetic symbol's
/// draws depend only on `(seed, its index)` and not on how many other symbols exist.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream into the seed before expanding, so (seed, stream) pairs that differ in
        // either coordinate start far apart.
        var sm = Self.splitMix(seed ^ Self.splitMix(stream &+ 0x632B_E59B_D9B4_E019))
        s0 = Self.splitMixNext(&sm)
        s1 = Self.splitMixNext(&sm)
        s2 = Self.splitMixNext(&sm)
        s3 = Self.splitMixNext(&sm)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is the one fixed point
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        // Wrapping operators: this is modular arithmetic by design.
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), 53 random bits.
    @inline(__always)
    mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    @inline(__always)
    mutating func uniformPositive() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// Uniform integer in `0..<bound` (multiply-shift; the bias is below 2^-32 for our bounds).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        // Swift's `>>` binds tighter than `&*`: the parentheses matter.
        Int(((next() >> 32) &* UInt64(bound)) >> 32)
    }

    /// A standard normal deviate (Box–Muller, cosine branch only).
    mutating func normal() -> Double {
        let u1 = uniformPositive()
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Log-normal with the given median and shape σ.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * normal())
    }

    /// A Poisson count with mean `lambda`: Knuth's product method for small means, a rounded
    /// normal approximation above 30 (where it is accurate to well under 1% in the mean).
    mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda < 30 {
            let limit = exp(-lambda)
            var k = 0
            var product = uniformPositive()
            while product > limit {
                k += 1
                product *= uniformPositive()
            }
            return k
        }
        return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded()))
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    // MARK: - SplitMix64

    @inline(__always)
    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func splitMixNext(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

