/// The Deeper Analysis page served at `GET /`: plain HTML, CSS and JavaScript, no build step and
/// nothing fetched from elsewhere.
///
/// Kept in the binary as a string rather than a bundle resource, so that `deeper` copied on its
/// own to another machine still serves it.
///
/// The flow: Refresh posts a job to `/api/deeper-analysis/compute`; progress arrives as events
/// on `/ws` (status polling takes over when the socket is closed or quiet); once the job is
/// `completed` the page reads `/api/deeper-analysis/result/{id}` and fills the table, which
/// sorts on a header click and filters as you type. Every failure is shown on the page.
/// `?autorefresh=1` presses Refresh once the page has loaded (for kiosks and the browser test).
///
/// When the server has an `API_TOKEN`, the page asks for it at the first 401 and keeps it in
/// `sessionStorage` (this tab only, gone when the tab closes); it sends it as
/// `Authorization: Bearer` and, on the WebSocket, as `?token=`. A link may carry it in the
/// fragment (`/#token=…`, never sent to the server), which the page stores and removes from the
/// address bar.
enum IndexPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Deeper Analysis</title>
        <style>
          :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #1f6feb; --bad: #b42318; --good: #067647; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f8f9fb; }
          header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
          h1 { font-size: 18px; margin: 0 12px 0 0; }
          button { font: inherit; padding: 7px 16px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
          button:disabled { opacity: .55; cursor: default; }
          input[type=search] { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; min-width: 220px; }
          #status { color: var(--muted); }
          #status.busy::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 8px; border-radius: 50%;
            border: 2px solid var(--accent); border-right-color: transparent; animation: spin .8s linear infinite; vertical-align: -1px; }
          @keyframes spin { to { transform: rotate(360deg); } }
          #live { margin-left: auto; color: var(--muted); font-size: 12px; }
          #error { display: none; margin: 16px 24px 0; padding: 10px 14px; border: 1px solid #fda29b; background: #fef3f2; color: var(--bad); border-radius: 6px; white-space: pre-wrap; }
          main { padding: 16px 24px 32px; }
          #summary { color: var(--muted); margin-bottom: 10px; min-height: 1.4em; }
          table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
          th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
          th:first-child, td:first-child { text-align: left; }
          th { position: sticky; top: 0; background: #f2f4f7; cursor: pointer; user-select: none; font-weight: 600; }
          th.sorted-asc::after { content: " \25B2"; font-size: 10px; }
          th.sorted-desc::after { content: " \25BC"; font-size: 10px; }
          td.neg { color: var(--bad); }
          td.pos { color: var(--good); }
          td.null { color: #98a2b3; }
          tbody tr:hover { background: #f5f8ff; }
          #empty { color: var(--muted); padding: 24px 0; }
        </style>
        </head>
        <body>
        <header>
          <h1>Deeper Analysis</h1>
          <button id="refresh" type="button">Refresh</button>
          <input id="filter" type="search" placeholder="Filter symbols…" aria-label="Filter symbols">
          <span id="status">Idle</span>
          <span id="live">live updates: connecting…</span>
        </header>
        <div id="error" role="alert"></div>
        <main>
          <div id="summary"></div>
          <table id="results">
            <thead><tr>
              <th data-key="symbol" data-type="text">Symbol</th>
              <th data-key="last" data-type="num">Last</th>
              <th data-key="god" data-type="num">GOD</th>
              <th data-key="rod" data-type="num">ROD</th>
              <th data-key="grpan" data-type="num">GRPAN</th>
              <th data-key="rwvap" data-type="num" title="RWVAP over the last trading day">RWVAP 1d</th>
              <th data-key="srpan" data-type="num">SRPAN score</th>
              <th data-key="ticks" data-type="num">Ticks</th>
            </tr></thead>
            <tbody></tbody>
          </table>
          <div id="empty">No results yet: press Refresh to analyze every symbol.</div>
        </main>
        <script>
        "use strict";
        (function () {
          const $ = (id) => document.getElementById(id);
          const state = { rows: [], sortKey: "god", sortDir: "desc", filter: "", job: null, socket: null, socketOpen: false,
                          pollTimer: null, lastEventAt: 0, startedAt: 0 };

          // --- the API token (API_TOKEN), kept for this tab only ---
          const TOKEN_KEY = "deeper.apiToken";
          function storedToken() { try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; } }
          function storeToken(token) { try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode */ } }
          (function tokenFromFragment() {
            const match = location.hash.match(/[#&]token=([^&]*)/);
            if (!match) return;
            storeToken(decodeURIComponent(match[1]));
            history.replaceState(null, "", location.pathname + location.search);
          })();

          // fetch with the token; on a 401 asks for it (once per refusal) and tries again.
          async function api(path, options) {
            options = options || {};
            for (let attempt = 0; ; attempt++) {
              const headers = Object.assign({}, options.headers || {});
              const token = storedToken();
              if (token) headers["Authorization"] = "Bearer " + token;
              const response = await fetch(path, Object.assign({}, options, { headers: headers }));
              if (response.status !== 401 || attempt > 0) return response;
              const entered = window.prompt(token ? "The API refused the token. Token (API_TOKEN):" : "This API needs a token (API_TOKEN):");
              if (!entered || !entered.trim()) return response;
              storeToken(entered.trim());
            }
          }

          function showError(message) {
            const box = $("error");
            box.textContent = message;
            box.style.display = message ? "block" : "none";
          }

          function setStatus(text, busy) {
            const s = $("status");
            s.textContent = text;
            s.className = busy ? "busy" : "";
          }

          async function readJSON(response) {
            const text = await response.text();
            try { return JSON.parse(text); } catch (e) { return { success: false, error: text || response.statusText }; }
          }

          // --- live updates: one WebSocket for the page's life, reconnected when it drops ---
          let reconnectDelay = 500;
          function connectSocket() {
            let socket;
            try {
              const scheme = location.protocol === "https:" ? "wss://" : "ws://";
              const token = storedToken();
              socket = new WebSocket(scheme + location.host + "/ws" + (token ? "?token=" + encodeURIComponent(token) : ""));
            } catch (e) {
              $("live").textContent = "live updates unavailable (" + e.message + "): polling";
              return;
            }
            state.socket = socket;
            socket.onopen = () => {
              state.socketOpen = true;
              reconnectDelay = 500;
              $("live").textContent = "live updates: on";
            };
            socket.onmessage = (message) => {
              let event;
              try { event = JSON.parse(message.data); } catch (e) { return; }
              if (state.job && event.job_id === state.job) {
                state.lastEventAt = Date.now();
                onStatus(event);
              }
            };
            socket.onclose = () => {
              state.socketOpen = false;
              $("live").textContent = "live updates: reconnecting (polling meanwhile)";
              setTimeout(connectSocket, reconnectDelay);
              reconnectDelay = Math.min(reconnectDelay * 2, 10000);
            };
            socket.onerror = () => { /* onclose follows and reconnects */ };
          }

          // --- a job: queue it, follow it, read its result ---
          async function refresh() {
            showError("");
            $("refresh").disabled = true;
            setStatus("Queuing a job…", true);
            let reply;
            try {
              const response = await api("/api/deeper-analysis/compute", {
                method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
              reply = await readJSON(response);
              if (!response.ok || !reply.success) throw new Error(reply.error || ("HTTP " + response.status));
            } catch (e) {
              fail("Could not queue the analysis: " + e.message);
              return;
            }
            state.job = reply.job_id;
            state.startedAt = Date.now();
            state.lastEventAt = Date.now();
            setStatus("Queued (job " + reply.job_id.slice(0, 8) + ")", true);
            schedulePoll();
          }

          // Polls the status: every second without a socket, or when events have gone quiet
          // for three seconds (an event lost while the socket reconnected, say).
          function schedulePoll() {
            clearTimeout(state.pollTimer);
            state.pollTimer = setTimeout(async () => {
              if (!state.job) return;
              const quiet = Date.now() - state.lastEventAt > 3000;
              if (!state.socketOpen || quiet) {
                try {
                  const response = await api("/api/deeper-analysis/status/" + encodeURIComponent(state.job));
                  const status = await readJSON(response);
                  if (!response.ok) throw new Error(status.error || ("HTTP " + response.status));
                  onStatus(status);
                } catch (e) {
                  showError("Could not read the job's status: " + e.message + " (retrying)");
                }
              }
              if (state.job) schedulePoll();
            }, 1000);
          }

          function onStatus(status) {
            const seconds = ((Date.now() - state.startedAt) / 1000).toFixed(1);
            if (status.status === "completed") {
              const job = state.job;
              state.job = null;
              clearTimeout(state.pollTimer);
              loadResult(job);
            } else if (status.status === "failed") {
              fail("The analysis failed: " + (status.error || status.message || "no reason given"));
            } else {
              const who = status.worker ? " on " + status.worker : "";
              setStatus((status.status === "processing" ? "Processing" : "Queued") + who + " — " + (status.message || "") + " (" + seconds + " s)", true);
            }
          }

          async function loadResult(job) {
            setStatus("Reading the result…", true);
            try {
              const response = await api("/api/deeper-analysis/result/" + encodeURIComponent(job));
              const result = await readJSON(response);
              if (!response.ok || !result.success) throw new Error(result.error || result.message || ("HTTP " + response.status));
              state.rows = Object.keys(result.data || {}).map((symbol) => toRow(symbol, result.data[symbol]));
              $("summary").textContent = "Processed " + result.processed_count + " of " + result.total_symbols +
                " symbols · finished " + new Date(result.timestamp).toLocaleString() + " · job " + job;
              render();
              setStatus("Done in " + ((Date.now() - state.startedAt) / 1000).toFixed(1) + " s", false);
            } catch (e) {
              fail("Could not read the result: " + e.message);
              return;
            }
            $("refresh").disabled = false;
          }

          function fail(message) {
            state.job = null;
            clearTimeout(state.pollTimer);
            showError(message);
            setStatus("Failed", false);
            $("refresh").disabled = false;
          }

          function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }

          function toRow(symbol, m) {
            m = m || {};
            const rwvap = m.rwvap && m.rwvap.rwvap_1d ? m.rwvap.rwvap_1d.rwvap : null;
            return {
              symbol: symbol,
              last: num(m.last_price),
              god: num(m.god),
              rod: num(m.rod),
              grpan: num(m.grpan ? m.grpan.value : null),
              rwvap: num(rwvap),
              srpan: num(m.srpan ? m.srpan.srpan_score : null),
              ticks: num(m.tick_count),
            };
          }

          // --- the table ---
          const formats = {
            symbol: (v) => v, last: (v) => v.toString(), god: (v) => v.toFixed(4), rod: (v) => v.toFixed(4),
            grpan: (v) => v.toString(), rwvap: (v) => v.toFixed(4), srpan: (v) => v.toFixed(1), ticks: (v) => v.toString(),
          };
          const signed = { god: true, rod: true };

          function render() {
            const tbody = document.querySelector("#results tbody");
            const filter = state.filter.trim().toUpperCase();
            const rows = state.rows.filter((r) => !filter || r.symbol.toUpperCase().includes(filter));
            const key = state.sortKey, dir = state.sortDir === "asc" ? 1 : -1;
            rows.sort((a, b) => {
              const x = a[key], y = b[key];
              if (x === null && y === null) return a.symbol < b.symbol ? -1 : 1;
              if (x === null) return 1;   // nulls last, whichever the direction
              if (y === null) return -1;
              if (x < y) return -dir;
              if (x > y) return dir;
              return a.symbol < b.symbol ? -1 : 1;
            });
            const fragment = document.createDocumentFragment();
            for (const r of rows) {
              const tr = document.createElement("tr");
              tr.dataset.symbol = r.symbol;
              for (const k of ["symbol", "last", "god", "rod", "grpan", "rwvap", "srpan", "ticks"]) {
                const td = document.createElement("td");
                const v = r[k];
                if (v === null) { td.textContent = "—"; td.className = "null"; }
                else {
                  td.textContent = formats[k](v);
                  if (signed[k]) td.className = v < 0 ? "neg" : (v > 0 ? "pos" : "");
                }
                tr.appendChild(td);
              }
              fragment.appendChild(tr);
            }
            tbody.replaceChildren(fragment);
            for (const th of document.querySelectorAll("#results th")) {
              th.className = th.dataset.key === key ? "sorted-" + state.sortDir : "";
            }
            $("empty").style.display = rows.length ? "none" : "block";
            $("empty").textContent = state.rows.length ? "No symbol matches the filter." : "No results yet: press Refresh to analyze every symbol.";
          }

          for (const th of document.querySelectorAll("#results th")) {
            th.addEventListener("click", () => {
              const key = th.dataset.key;
              if (state.sortKey === key) state.sortDir = state.sortDir === "asc" ? "desc" : "asc";
              else { state.sortKey = key; state.sortDir = th.dataset.type === "text" ? "asc" : "desc"; }
              render();
            });
          }
          $("filter").addEventListener("input", (e) => { state.filter = e.target.value; render(); });
          $("refresh").addEventListener("click", refresh);
          window.addEventListener("error", (e) => showError("Page error: " + e.message));
          window.addEventListener("unhandledrejection", (e) => showError("Page error: " + (e.reason && e.reason.message || e.reason)));

          connectSocket();
          render();
          if (new URLSearchParams(location.search).get("autorefresh") === "1") $("refresh").click();
        })();
        </script>
        </body>
        </html>
        """#
}
