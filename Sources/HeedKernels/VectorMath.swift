// Vectorised exp, erf, erfc, tanh and the two GELUs on SIMD8<Float> (one ymm register).
// Branch-free: every lane evaluates each piece and a select picks the right one.
// Accuracy (checked against Foundation in VectorMathTests): exp <= 2 ulp, erf/erfc/tanh and the
// GELUs a few ulp over the whole float range; no NaN handling (inputs are finite or +-inf).
//
// exp:  Cephes expf (x = n ln2 + r, degree-5 polynomial) with 2^n applied as two exact
//       power-of-two factors, so the result underflows gradually and overflows to +inf.
// erf:  |x| < 0.9:        erf(u) = u P(u^2)                     (minimax, degree 6 in u^2)
//       0.5 <= |x| < 2.2: erfc(u) = exp(-u^2) R1(u - 1.35)      (minimax, degree 10)
//       (erf uses the first form below 0.9, erfc the second above 0.5: no 1 - (almost 1))
//       |x| >= 2.2:       erfc(u) = exp(-u^2) R2(1 / u)         (minimax, degree 7)
//       u^2 is carried as hi + lo (FMA), so erfc keeps its relative accuracy far into the tail.
//       Coefficients fitted with Lawson's algorithm against mpmath (relative error).
// tanh: Cephes tanhf: odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1).

public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// e^x per lane; -inf gives 0, large x +inf.
    @inlinable @inline(__always)
    public static func exp(_ x: V) -> V {
        expSplit(x, lo: V())
    }

    /// e^(x + lo) for a small correction `lo` (|lo| <= ulp(x)): e^x (1 + lo).
    @inlinable @inline(__always)
    static func expSplit(_ x: V, lo: V) -> V {
        let xc = lanewiseMin(lanewiseMax(x, V(repeating: -104)), V(repeating: 89))
        let magic = V(repeating: 12_582_912)                        // 1.5 * 2^23: rounds to integer
        let t = magic.addingProduct(xc, V(repeating: 1.442_695_04)) // n + magic
        let n = t - magic
        var r = xc.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_40e-4))
        r += lo
        var p = V(repeating: 1.987_569_150e-4)
        p = V(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = V(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = V(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = V(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = V(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let y = r.addingProduct(p, r * r) + 1
        // 2^n = 2^k1 * 2^k2 with k1 = n >> 1: each factor is a normal float for n in [-150, 129].
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let k1 = ni &>> 1
        let k2 = ni &- k1
        let s1 = unsafeBitCast((k1 &+ 127) &<< 23, to: V.self)
        let s2 = unsafeBitCast((k2 &+ 127) &<< 23, to: V.self)
        return y * s1 * s2
    }

    /// erf(x) per lane.
    @inlinable @inline(__always)
    public static func erf(_ x: V) -> V {
        let u = lanewiseMin(absolute(x), V(repeating: 10.5))
        let (erfU, erfcU) = erfPieces(u, squareHi: u * u, squareLo: (-(u * u)).addingProduct(u, u))
        let e = select(ifNegative: u - 0.9, erfU, else: 1 - erfcU)
        return withSign(e, of: x)
    }

    /// erfc(x) = 1 - erf(x) per lane, with relative accuracy for large x.
    @inlinable @inline(__always)
    public static func erfc(_ x: V) -> V {
        let u = lanewiseMin(absolute(x), V(repeating: 10.5))
        let (erfU, erfcU) = erfPieces(u, squareHi: u * u, squareLo: (-(u * u)).addingProduct(u, u))
        let positive = select(ifNegative: u - 0.5, 1 - erfU, else: erfcU)        // erfc(|x|)
        let negative = select(ifNegative: u - 0.9, 1 + erfU, else: 2 - erfcU)    // erfc(-|x|)
        return select(ifNegative: x, negative, else: positive)
    }

    /// tanh(x) per lane.
    @inlinable @inline(__always)
    public static func tanh(_ x: V) -> V {
        let u = absolute(x)
        let z = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = V(repeating: 2.063_908_879_54e-2).addingProduct(p, z)
        p = V(repeating: -5.373_971_555_31e-2).addingProduct(p, z)
        p = V(repeating: 1.333_144_220_36e-1).addingProduct(p, z)
        p = V(repeating: -3.333_328_194_22e-1).addingProduct(p, z)
        let small = x.addingProduct(p * z, x)
        let e = exp(2 * lanewiseMin(u, V(repeating: 10)))
        let large = withSign(1 - 2 / (e + 1), of: x)
        return select(ifNegative: u - 0.625, small, else: large)
    }

    /// 0.5 x (1 + erf(x / sqrt 2)) per lane (transformers' "gelu"); the negative tail goes
    /// through erfc, so tiny outputs keep their relative accuracy.
    @inlinable @inline(__always)
    public static func gelu(_ x: V) -> V {
        let xc = lanewiseMin(lanewiseMax(x, V(repeating: -15)), V(repeating: 15))
        let xx = xc * xc
        let xxLo = (-xx).addingProduct(xc, xc)
        let u = lanewiseMin(absolute(xc) * V(repeating: 0.707_106_781_2), V(repeating: 10.5))
        // u^2 = x^2 / 2 exactly as hi + lo (scaling by 0.5 is exact).
        let (erfU, erfcU) = erfPieces(u, squareHi: xx * 0.5, squareLo: xxLo * 0.5)
        let positive = select(ifNegative: u - 0.9, 1 + erfU, else: 2 - erfcU)    // 1 + erf(u)
        let negative = select(ifNegative: u - 0.5, 1 - erfU, else: erfcU)        // 1 - erf(u)
        let factor = select(ifNegative: x, negative, else: positive)
        return 0.5 * x * factor
    }

    /// 0.5 x (1 + tanh(y)), y = sqrt(2/pi) (x + 0.044715 x^3), per lane ("gelu_new"), as
    /// x / (1 + e^(-2y)) = x e^(2y) / (1 + e^(2y)) with t = e^(-2|y|) <= 1, so nothing
    /// overflows. The argument is formed in double precision: e^(-2|y|) is ill-conditioned in
    /// y, so float rounding there would cost |2y| ulp.
    @inlinable @inline(__always)
    public static func geluTanh(_ x: V) -> V {
        // |x| <= 100 keeps 2y finite; beyond, the result is x or -0 either way.
        let xc = lanewiseMin(lanewiseMax(x, V(repeating: -100)), V(repeating: 100))
        let lo = SIMD4<Double>(xc.lowHalf), hi = SIMD4<Double>(xc.highHalf)
        let c = SIMD4<Double>(repeating: 2 * (2 / Double.pi).squareRoot())
        let a = SIMD4<Double>(repeating: 0.044715)
        let sign = SIMD4<UInt64>(repeating: 1 << 63)
        // -2|y| in double: set the sign bit of 2y.
        let argLo = unsafeBitCast(unsafeBitCast(c * lo * (1 + a * lo * lo), to: SIMD4<UInt64>.self) | sign, to: SIMD4<Double>.self)
        let argHi = unsafeBitCast(unsafeBitCast(c * hi * (1 + a * hi * hi), to: SIMD4<UInt64>.self) | sign, to: SIMD4<Double>.self)
        let argF = V(lowHalf: SIMD4<Float>(argLo), highHalf: SIMD4<Float>(argHi))
        let errLo = SIMD4<Float>(argLo - SIMD4<Double>(argF.lowHalf))
        let errHi = SIMD4<Float>(argHi - SIMD4<Double>(argF.highHalf))
        let t = expSplit(argF, lo: V(lowHalf: errLo, highHalf: errHi))
        let numerator = select(ifNegative: x, t, else: V(repeating: 1))
        return x * numerator / (1 + t)
    }

    /// Sum of the 8 lanes.
    @inlinable @inline(__always)
    public static func sum(_ v: V) -> Float {
        let h = v.lowHalf + v.highHalf
        let q = h.lowHalf + h.highHalf
        return q[0] + q[1]
    }

    /// Largest of the 8 lanes.
    @inlinable @inline(__always)
    public static func max(_ v: V) -> Float {
        var m = v[0]
        for i in 1..<8 { m = Swift.max(m, v[i]) }
        return m
    }

    /// Per lane: `a` where `m` has its sign bit set (m < 0 or -0), else `b`: one vblendvps.
    /// The stdlib's SIMD comparisons (`.<`) build their masks lane by lane and `pointwiseMin`
    /// is an out-of-line call, both far slower; a mask made from the sign bit is not.
    @inlinable @inline(__always)
    public static func select(ifNegative m: V, _ a: V, else b: V) -> V {
        let bits = unsafeBitCast(m, to: SIMD8<Int32>.self) &>> 31
        return b.replacing(with: a, where: unsafeBitCast(bits, to: SIMDMask<SIMD8<Int32>>.self))
    }

    /// Lane-wise minimum (no NaN handling).
    @inlinable @inline(__always)
    public static func lanewiseMin(_ a: V, _ b: V) -> V { select(ifNegative: a - b, a, else: b) }

    /// Lane-wise maximum (no NaN handling).
    @inlinable @inline(__always)
    public static func lanewiseMax(_ a: V, _ b: V) -> V { select(ifNegative: a - b, b, else: a) }

    // MARK: - pieces

    @inlinable @inline(__always)
    static func absolute(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: V.self)
    }

    /// |value| with the sign of `sign`.
    @inlinable @inline(__always)
    static func withSign(_ value: V, of sign: V) -> V {
        let s = unsafeBitCast(sign, to: SIMD8<UInt32>.self) & 0x8000_0000
        return unsafeBitCast(unsafeBitCast(value, to: SIMD8<UInt32>.self) | s, to: V.self)
    }

    /// For 0 <= u <= 10.5 with u^2 = squareHi + squareLo: (erf(u) valid for
    /// u < 0.9, erfc(u) valid for u >= 0.5). erf takes the first below 0.9, erfc the second
    /// above 0.5, so neither is formed as 1 minus a number close to 1.
    @inlinable @inline(__always)
    static func erfPieces(_ u: V, squareHi: V, squareLo: V) -> (V, V) {
        let uc = u
        let z = squareHi
        // erf(u) = u P(u^2), u < 0.9
        var pa = V(repeating: 8.513_104_644_702_061e-05)
        pa = V(repeating: -8.175_639_434_665_944e-4).addingProduct(pa, z)
        pa = V(repeating: 5.203_859_173_179_974e-3).addingProduct(pa, z)
        pa = V(repeating: -2.686_050_846_891_442_3e-2).addingProduct(pa, z)
        pa = V(repeating: 1.128_371_503_296_188_3e-1).addingProduct(pa, z)
        pa = V(repeating: -3.761_263_497_985_822e-1).addingProduct(pa, z)
        pa = V(repeating: 1.128_379_166_764_365_4).addingProduct(pa, z)
        let erfU = uc * pa
        // erfc(u) = exp(-u^2) R(v): v = u - 1.35 on [0.5, 2.2), v = 1/u beyond.
        let near = uc - 2.2   // negative: u < 2.2
        let v = select(ifNegative: near, uc - 1.35, else: 1 / lanewiseMax(uc, V(repeating: 0.5)))
        @inline(__always) func coef(_ r1: Float, _ r2: Float) -> V {
            select(ifNegative: near, V(repeating: r1), else: V(repeating: r2))
        }
        var r = coef(4.489345883e-05, 0)
        r = coef(-1.439334446e-04, 0).addingProduct(r, v)
        r = coef(3.453392710e-04, 0).addingProduct(r, v)
        r = coef(-9.795940714e-04, 3.503550589e-01).addingProduct(r, v)
        r = coef(2.745600184e-03, -7.974770069e-01).addingProduct(r, v)
        r = coef(-7.209823932e-03, 6.409271955e-01).addingProduct(r, v)
        r = coef(1.796036214e-02, -3.235881031e-02).addingProduct(r, v)
        r = coef(-4.225441441e-02, -2.798210382e-01).addingProduct(r, v)
        r = coef(9.296499193e-02, 2.437197509e-06).addingProduct(r, v)
        r = coef(-1.888856292e-01, 5.641795993e-01).addingProduct(r, v)
        r = coef(3.479605615e-01, 4.189467120e-07).addingProduct(r, v)
        let e = expSplit(-z, lo: -squareLo)
        return (erfU, e * r)
    }
}
