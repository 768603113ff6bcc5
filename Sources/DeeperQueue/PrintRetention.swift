/// How much of the print stream the contract keeps (docs/REDIS.md, "Retention"): feeds trim the
/// stream to `streamTradingDays` of arrivals, workers keep `workerTradingDays` of prints.
public enum PrintRetention {
    /// Trading days of prints a worker keeps in memory, before each symbol's newest print:
    /// rwvap_5d at "now" needs 5, one more covers a job whose as_of lies in the previous session.
    public static let workerTradingDays = 6

    /// Trading days of arrivals the feeds keep in the stream: one more than a worker keeps, so a
    /// worker that starts reads every print it must keep.
    public static let streamTradingDays = workerTradingDays + 1
}
