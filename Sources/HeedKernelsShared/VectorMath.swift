// Vectorised exp, erf, erfc, tanh and the two GELUs on VF (the variant's vector: SIMD8<Float>,
// one ymm register, or SIMD16<Float>, one zmm).
// Every lane evaluates each piece and a select picks the right one (the far-tail erfc piece
// is skipped when no lane of the vector needs it).
// Accuracy (VectorMathTests, ActivationTests; worst over dense ranges and extremes): exp 1 ulp,
// erf 2.2, erfc 3.5, tanh 1.3, gelu 4 (deep tail), geluTanh 3 ulp. No NaN handling (inputs
// are finite or +-inf).
//
// exp:  Cephes expf (x = n ln2 + r, degree-5 polynomial) with 2^n applied as two exact
//       power-of-two factors, so the result underflows gradually and overflows to +inf.
// erf:  |x| < 0.5:        erf(u) = u P(u^2)                     (minimax, degree 4 in u^2)
//       0.5 <= |x| < 2.2: erfc(u) = exp(-u^2) R1(u - 1.35)      (minimax, degree 10)
//       |x| >= 2.2:       erfc(u) = exp(-u^2) R2(1 / u)         (minimax, degree 7)
//       The other function is 1 minus the piece, never 1 minus a number close to 1
//       (erf < 0.53 below 0.5, erfc < 0.48 above). u^2 is carried as hi + lo (FMA), so
//       erfc keeps its relative accuracy far into the tail. Coefficients: Lawson's algorithm
//       against mpmath (relative error), checked in float32.
// tanh: Cephes tanhf: odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1).
//
// Codegen notes (checked with objdump, measured): the stdlib's SIMD comparisons (`.<`) build
// masks lane by lane, `replacing(with:where:)`, `lowHalf` and the SIMD conversions are lane
// loops that can make a caller so large that the inliner gives up on `@inline(__always)`, and
// `pointwiseMin` is an out-of-line call: each cost 3-10x. Selects, min and max are written as
// tiny lane loops that LLVM turns into single vblendvps / vminps / vmaxps instructions.

enum VectorMath {
    typealias V = VF

    /// e^x per lane; -inf gives 0, large x +inf.
    @inline(__always)
    static func exp(_ x: V) -> V {
        expCore(lanewiseMin(lanewiseMax(x, V(repeating: -104)), V(repeating: 89)), lo: nil)
    }

    /// e^x per lane for x <= 0 (including -inf, which gives 0): one clamp less than `exp`.
    @inline(__always)
    static func expNonPositive(_ x: V) -> V {
        expCore(lanewiseMax(x, V(repeating: -104)), lo: nil)
    }

    /// e^(x + lo) for x in [-110.25, 89] and an optional small correction |lo| <= ulp(x).
    /// Polynomials use Estrin's scheme: a shorter dependency chain than Horner's, which is
    /// what bounds these loops (one vector's chain is longer than the out-of-order window).
    @inline(__always)
    static func expCore(_ x: V, lo: V?) -> V {
        let magic = V(repeating: 12_582_912)                        // 1.5 * 2^23: rounds to integer
        let t = magic.addingProduct(x, V(repeating: 1.442_695_04))  // n + magic
        let n = t - magic
        var r = x.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_40e-4))
        if let lo { r += lo }   // |lo| can reach 1e-5 (low part of a large argument): not negligible
        // P(r) = p5 + p4 r + p3 r^2 + p2 r^3 + p1 r^4 + p0 r^5 (Cephes expf)
        let r2 = r * r
        let r4 = r2 * r2
        let q0 = V(repeating: 5.000_000_120_1e-1).addingProduct(r, V(repeating: 1.666_666_545_9e-1))
        let q1 = V(repeating: 4.166_579_589_4e-2).addingProduct(r, V(repeating: 8.333_451_907_3e-3))
        let q2 = V(repeating: 1.398_199_950_7e-3).addingProduct(r, V(repeating: 1.987_569_150e-4))
        let p = q0.addingProduct(q1, r2).addingProduct(q2, r4)
        let q = r.addingProduct(p, r2)                               // e^r - 1
        // 2^n = 2^k1 * 2^k2 with k1 = n >> 1: each factor is a normal float for n in [-160, 129].
        let ni = unsafeBitCast(t, to: VI.self) &- unsafeBitCast(magic, to: VI.self)
        let k1 = ni &>> 1
        let k2 = ni &- k1
        let s1 = unsafeBitCast((k1 &+ 127) &<< 23, to: V.self)
        let s2 = unsafeBitCast((k2 &+ 127) &<< 23, to: V.self)
        return s1.addingProduct(q, s1) * s2                          // (1 + q) 2^k1 2^k2
    }

    /// erf(x) per lane.
    @inline(__always)
    static func erf(_ x: V) -> V {
        let u = lanewiseMin(absolute(x), V(repeating: 10.5))
        let uu = u * u
        let (erfSmall, erfcLarge) = erfPieces(u, z: uu, zLo: (-uu).addingProduct(u, u))
        return withSign(select(ifNegative: u - 0.5, erfSmall, else: 1 - erfcLarge), of: x)
    }

    /// erfc(x) = 1 - erf(x) per lane, with relative accuracy for large x.
    @inline(__always)
    static func erfc(_ x: V) -> V {
        let u = lanewiseMin(absolute(x), V(repeating: 10.5))
        let uu = u * u
        let (erfSmall, erfcLarge) = erfPieces(u, z: uu, zLo: (-uu).addingProduct(u, u))
        let erfcU = select(ifNegative: u - 0.5, 1 - erfSmall, else: erfcLarge)   // erfc(|x|)
        return select(ifNegative: x, 2 - erfcU, else: erfcU)
    }

    /// tanh(x) per lane.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        let u = absolute(x)
        let z = x * x
        let z2 = z * z
        let p = V(repeating: -3.333_328_194_22e-1).addingProduct(z, V(repeating: 1.333_144_220_36e-1))
            .addingProduct(z2, V(repeating: -5.373_971_555_31e-2).addingProduct(z, V(repeating: 2.063_908_879_54e-2)))
            .addingProduct(z2 * z2, V(repeating: -5.704_988_727_45e-3))
        let small = x.addingProduct(p * z, x)
        let e = expCore(2 * lanewiseMin(u, V(repeating: 10)), lo: nil)
        let large = withSign(1 - 2 / (e + 1), of: x)
        return select(ifNegative: u - 0.625, small, else: large)
    }

    /// x / (1 + e^-x) per lane (SiLU, torch.nn.functional.silu), as x * sigmoid(x) with
    /// e = e^-|x| (never overflows): sigmoid = 1 / (1 + e) for x >= 0, e / (1 + e) below, so the
    /// deep negative tail keeps its relative accuracy until e^x underflows.
    @inline(__always)
    static func silu(_ x: V) -> V {
        let e = expNonPositive(-absolute(x))
        let r = 1 / (1 + e)
        return x * select(ifNegative: x, e * r, else: r)
    }

    /// 0.5 x (1 + erf(x / sqrt 2)) per lane (transformers' "gelu"); the negative tail goes
    /// through erfc, so tiny outputs keep their relative accuracy.
    @inline(__always)
    static func gelu(_ x: V) -> V {
        // gelu(x) = 0.5 x erfc(-x / sqrt 2): 0.5 x erfc(u) for x < 0, 0.5 x (2 - erfc(u)) else.
        // |x| <= 14.8 keeps u <= 10.5; beyond, the result is x or -0 either way.
        let ax = lanewiseMin(absolute(x), V(repeating: 14.8))
        let xx = ax * ax
        let xxLo = (-xx).addingProduct(ax, ax)
        let u = ax * V(repeating: 0.707_106_769_1)
        // u^2 = x^2 / 2 exactly as hi + lo (scaling by 0.5 is exact).
        let (erfSmall, erfcLarge) = erfPieces(u, z: xx * 0.5, zLo: xxLo * 0.5)
        let erfcU = select(ifNegative: u - 0.5, 1 - erfSmall, else: erfcLarge)
        let factor = select(ifNegative: x, erfcU, else: 2 - erfcU)
        return (0.5 * x) * factor
    }

    /// 0.5 x (1 + tanh(y)), y = sqrt(2/pi) (x + 0.044715 x^3), per lane ("gelu_new"), as
    /// x / (1 + e^(-2y)) = x e^(2y) / (1 + e^(2y)) with t = e^(-2|y|) <= 1, so nothing
    /// overflows. e^(-2|y|) is ill-conditioned in y (float rounding of 2y would cost |2y| ulp),
    /// so 2y = c x (1 + a x^2) is formed as a float pair hi + lo with FMA-based exact products.
    @inline(__always)
    static func geluTanh(_ x: V) -> V {
        // 2|y| from |x| (clamped: beyond 100 the result is x or -0 either way).
        let ax = lanewiseMin(absolute(x), V(repeating: 100))
        let ah = V(repeating: 4.471_499_845e-02), al = V(repeating: 1.546_144_435e-09)   // 0.044715
        let ch = V(repeating: 1.595_769_167), cl = V(repeating: -4.534_068_054e-08)     // 2 sqrt(2/pi)
        // s = x^2 (exact pair), t = a s
        let sh = ax * ax, sl = (-sh).addingProduct(ax, ax)
        let th = ah * sh
        let tl = (-th).addingProduct(ah, sh) + (al * sh).addingProduct(ah, sl)
        // w = 1 + t (TwoSum)
        let wh = 1 + th
        let bb = wh - 1
        let wl = ((1 - (wh - bb)) + (th - bb)) + tl
        // p = c |x|, then 2|y| = p w
        let ph = ch * ax
        let pl = (-ph).addingProduct(ch, ax) + cl * ax
        let yh = ph * wh
        let yl = (-yh).addingProduct(ph, wh) + (ph * wl).addingProduct(pl, wh)
        let t = expCore(lanewiseMax(-yh, V(repeating: -104)), lo: -yl)   // e^(-2|y|)
        let numerator = select(ifNegative: x, t, else: V(repeating: 1))
        return x * numerator / (1 + t)
    }

    /// Sum of the lanes (a fixed tree: lanes i and i + 8 first when there are 16).
    @inline(__always)
    static func sum(_ v: V) -> Float {
        var s = SIMD8<Float>()
        for i in 0..<8 { s[i] = v[i] }
        if V.scalarCount == 16 { for i in 0..<8 { s[i] += v[i + 8] } }
        return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
    }

    /// Largest of the lanes.
    @inline(__always)
    static func max(_ v: V) -> Float {
        var m = v[0]
        for i in 1..<V.scalarCount { m = Swift.max(m, v[i]) }
        return m
    }

    /// Per lane: `a` where `m` has its sign bit set (m < 0 or -0), else `b`: one vblendvps.
    @inline(__always)
    static func select(ifNegative m: V, _ a: V, else b: V) -> V {
        var r = b
        for i in 0..<V.scalarCount { r[i] = Int32(bitPattern: m[i].bitPattern) < 0 ? a[i] : b[i] }
        return r
    }

    /// Lane-wise minimum: one vminps (no NaN handling).
    @inline(__always)
    static func lanewiseMin(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<V.scalarCount { r[i] = Swift.min(a[i], b[i]) }
        return r
    }

    /// Lane-wise maximum: one vmaxps (no NaN handling).
    @inline(__always)
    static func lanewiseMax(_ a: V, _ b: V) -> V {
        var r = a
        for i in 0..<V.scalarCount { r[i] = Swift.max(a[i], b[i]) }
        return r
    }

    /// True when every lane of `m` has its sign bit set.
    @inline(__always)
    static func allNegative(_ m: V) -> Bool {
        var acc: UInt32 = 0xffff_ffff
        for i in 0..<V.scalarCount { acc &= m[i].bitPattern }
        return acc & 0x8000_0000 != 0
    }

    // MARK: - pieces

    @inline(__always)
    static func absolute(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: VU.self) & 0x7fff_ffff, to: V.self)
    }

    /// |value| with the sign of `sign`.
    @inline(__always)
    static func withSign(_ value: V, of sign: V) -> V {
        let s = unsafeBitCast(sign, to: VU.self) & 0x8000_0000
        return unsafeBitCast(unsafeBitCast(value, to: VU.self) | s, to: V.self)
    }

    /// For 0 <= u <= 10.5 with u^2 = z + zLo exactly: (erf(u), valid for u < 0.5;
    /// erfc(u), valid for u >= 0.5). Below 0.5, erfc = 1 - erf loses nothing (erf < 0.53);
    /// above, erf = 1 - erfc loses at most a bit (erfc < 0.48).
    @inline(__always)
    static func erfPieces(_ u: V, z: V, zLo: V) -> (V, V) {
        // erf(u) = u P(u^2) on [0, 0.5)
        var pa = V(repeating: 4.717_990_075_765_929e-3)
        pa = V(repeating: -2.675_718_427_128_491_8e-2).addingProduct(pa, z)
        pa = V(repeating: 1.128_282_280_990_414_9e-1).addingProduct(pa, z)
        pa = V(repeating: -3.761_260_857_284_298e-1).addingProduct(pa, z)
        pa = V(repeating: 1.128_379_165_567_345).addingProduct(pa, z)
        let erfSmall = u * pa
        // erfc(u) = exp(-u^2) R1(u - 1.35) on [0.5, 2.2): even and odd halves as two Horner
        // chains in v1^2 (half the depth of one chain, nearly Horner's rounding)
        let v1 = u - 1.35
        let w1 = v1 * v1
        var re = V(repeating: 4.489_345_883e-05)
        re = V(repeating: 3.453_392_710e-04).addingProduct(re, w1)
        re = V(repeating: 2.745_600_184e-03).addingProduct(re, w1)
        re = V(repeating: 1.796_036_214e-02).addingProduct(re, w1)
        re = V(repeating: 9.296_499_193e-02).addingProduct(re, w1)
        re = V(repeating: 3.479_605_615e-01).addingProduct(re, w1)
        var ro = V(repeating: -1.439_334_446e-04)
        ro = V(repeating: -9.795_940_714e-04).addingProduct(ro, w1)
        ro = V(repeating: -7.209_823_932e-03).addingProduct(ro, w1)
        ro = V(repeating: -4.225_441_441e-02).addingProduct(ro, w1)
        ro = V(repeating: -1.888_856_292e-01).addingProduct(ro, w1)
        var r = re.addingProduct(ro, v1)
        // erfc(u) = exp(-u^2) R2(1 / u) on [2.2, 10.5] (Estrin in v2), only when some lane
        // needs it (for the GELU: |x| >= 3.1, rare in activations).
        if !allNegative(u - 2.2) {
            let v2 = 1 / lanewiseMax(u, V(repeating: 0.5))
            let v2s = v2 * v2
            let c01 = V(repeating: 4.189_467_120e-07).addingProduct(v2, V(repeating: 5.641_795_993e-01))
            let c23 = V(repeating: 2.437_197_509e-06).addingProduct(v2, V(repeating: -2.798_210_382e-01))
            let c45 = V(repeating: -3.235_881_031e-02).addingProduct(v2, V(repeating: 6.409_271_955e-01))
            let c67 = V(repeating: -7.974_770_069e-01).addingProduct(v2, V(repeating: 3.503_550_589e-01))
            let r2 = c01.addingProduct(v2s, c23).addingProduct(v2s * v2s, c45.addingProduct(v2s, c67))
            r = select(ifNegative: u - 2.2, r, else: r2)
        }
        let e = expCore(-z, lo: -zLo)   // z <= 110.25: no clamp needed
        return (erfSmall, e * r)
    }
}
