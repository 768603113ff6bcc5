// Temporary stand-in until the reference kernels land.
public enum ReferenceKernels {
    public static func analyzeSymbol(
        _ columns: PrintColumns, range: Range<Int>, avgADV: ExactDecimal?, asOf: AsOf,
        parameters: AnalysisParameters
    ) -> SymbolMetrics { fatalError() }
    public static func topPrices(_ columns: PrintColumns, window: Range<Int>, limit: Int) -> [PriceWeight] { fatalError() }
}
