/// The Deeper Analysis page served at `GET /`: `Resources/index.html`, plain HTML, CSS and
/// JavaScript, no build step and nothing fetched from elsewhere.
///
/// SwiftPM compiles the file into the binary as bytes (`.embedInCode`), so `deeper-api` copied on
/// its own to another machine still serves it, and the page stays a file that editors and
/// linters understand.
///
/// The flow: Refresh posts a job to `/api/deeper-analysis/compute`; progress arrives as events
/// on `/ws` (status polling takes over when the socket is closed or quiet); once the job is
/// `completed` the page reads `/api/deeper-analysis/result/{id}` and fills the table, which
/// sorts on a header click and filters as you type. Every failure is shown on the page.
/// `?autorefresh=1` presses Refresh once the page has loaded (for kiosks and the browser test).
///
/// Live mode (`?live=1`, or the switch) fills the table from `/api/deeper-analysis/live` and
/// updates it in place from `/ws?live=1`; a click on a symbol (`?symbol=X`) opens its chart,
/// drawn by the page as SVG from `/api/deeper-analysis/live/{symbol}`.
///
/// When the server has an `API_TOKEN`, the page asks for it at the first 401 and keeps it in
/// `sessionStorage` (this tab only, gone when the tab closes); it sends it as
/// `Authorization: Bearer` and, on the WebSocket, as `?token=`. A link may carry it in the
/// fragment (`/#token=…`, never sent to the server), which the page stores and removes from the
/// address bar.
enum IndexPage {
    /// `Resources/index.html`, byte for byte.
    static let html: [UInt8] = PackageResources.index_html
}

/// The OpenAPI 3.1 document served at `GET /openapi.yaml`: the repository's `openapi.yaml`
/// (linked from `Resources/`), compiled into the binary like the page, so the server always
/// serves the contract it was built against.
enum OpenAPIDocument {
    /// `openapi.yaml`, byte for byte.
    static let yaml: [UInt8] = PackageResources.openapi_yaml
}
