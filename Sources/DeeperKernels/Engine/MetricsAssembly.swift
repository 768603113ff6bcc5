/// Turns exact aggregates into the reported numbers. Both the reference and the fast kernels
/// end here, so the two agree to the last bit whenever their aggregates agree.
///
/// Each metric's part lives in its folder: `GRPAN/GRPAN.swift`, `RWVAP/RWVAP.swift`,
/// `SRPAN/SRPAN.swift`, `GODROD/GODROD.swift`.
public enum MetricsAssembly {
    @usableFromInline static let ticksPerDollar = 10_000.0
}
