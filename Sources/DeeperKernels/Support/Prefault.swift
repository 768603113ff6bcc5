#if canImport(Glibc)
import Glibc
#endif

/// Fresh memory made resident before it is written, in one system call instead of a page fault
/// per 4 KiB page: a large buffer about to be filled (the store's columns, a chunk's prints).
///
/// Only advice: the contents never change (`MADV_POPULATE_WRITE` maps pages already present as
/// they are and new ones zeroed, as a first write would), and where the kernel lacks it (before
/// Linux 5.14, or not Linux) nothing happens and the pages fault in as usual. Buffers under 1 MiB
/// are left alone: the call would save little.
public enum Prefault {
    /// Buffers smaller than this are not worth a system call.
    public static let minimumBytes = 1 << 20

    /// Makes the whole pages inside `buffer` resident and writable.
    public static func populate(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard buffer.count >= minimumBytes, let base = buffer.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        // madvise wants a page-aligned start; the partial pages at either end fault as usual.
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + buffer.count) / page * page
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */)
        #endif
    }

    /// `populate` over a typed buffer's bytes.
    public static func populate<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
        populate(UnsafeMutableRawBufferPointer(buffer))
    }
}
