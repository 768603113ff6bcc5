// RWVAP's plain reference: one print at a time, Int128 products, following SPEC §7. The one
// reference both the whole-symbol reference and the fast segment sums are held to.

extension ReferenceKernels {
    /// Exact sums of one RWVAP window. A print is effective when `size ≤ effectiveSizeLimit`
    /// (see `MetricsAssembly.effectiveSizeLimit`), excluded otherwise.
    public static func rwvapSums(_ columns: PrintColumns, window: some Collection<Int>, effectiveSizeLimit: Int64)
        -> RWVAPSums
    {
        var s = RWVAPSums()
        for i in window {
            let size = Int64(columns.size[i])
            if size <= effectiveSizeLimit {
                s.effectiveCount += 1
                s.effectiveVolume += size
                s.effectivePriceVolume += Int128(columns.price[i]) * Int128(size)
            } else {
                s.excludedCount += 1
                s.excludedVolume += size
            }
        }
        return s
    }
}
