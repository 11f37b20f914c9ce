/// The debug view's page: plain HTML and a little JavaScript, nothing loaded from elsewhere.
/// Every value shown is set as text (never as HTML), so nothing from an event can run as script.
enum DebugPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>tiktok-offline · live events</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #111; }
      form { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
      label { display: flex; flex-direction: column; font-size: 12px; color: #555; }
      input { font: inherit; padding: .3rem .4rem; min-width: 16rem; }
      button { font: inherit; padding: .35rem .9rem; }
      #status { margin: .5rem 0 1rem; color: #555; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
      td.outcome { font-weight: 600; }
      tr[data-outcome="delivered"] td.outcome { color: #0a7a2f; }
      tr[data-outcome="stored"] td.outcome { color: #1c5fb8; }
      tr[data-outcome="rejected"] td.outcome, tr[data-outcome="dead-lettered"] td.outcome { color: #b3261e; }
      tr[data-outcome="skipped"] td.outcome { color: #7a5a00; }
      pre { margin: .3rem 0 0; font-size: 12px; white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: .4rem; }
      details summary { cursor: pointer; color: #555; }
    </style>
    </head>
    <body>
    <h1>Live events</h1>
    <form id="watch">
      <label>Admin token <input id="token" type="password" autocomplete="off" required></label>
      <label>Test event code (empty: every event) <input id="code" autocomplete="off"></label>
      <button id="start" type="submit">Watch</button>
    </form>
    <div id="status">Not connected.</div>
    <div id="dropped"></div>
    <table>
      <thead><tr><th>Time</th><th>Message id</th><th>Mapping</th><th>Outcome</th><th>Details</th></tr></thead>
      <tbody id="events"></tbody>
    </table>
    <script>
    "use strict";
    const rows = new Map();
    let controller = null;
    let dropped = 0;
    const statusLine = document.getElementById("status");
    const body = document.getElementById("events");

    function cell(row, text, className) {
      const td = document.createElement("td");
      td.textContent = text == null ? "" : String(text);
      if (className) td.className = className;
      row.appendChild(td);
      return td;
    }

    function show(message) {
      if (message.outcome === "dropped") {
        dropped += message.dropped || 0;
        document.getElementById("dropped").textContent =
          "This view fell behind: " + dropped + " messages went by unread (the service keeps only the newest for viewers).";
        return;
      }
      const key = (message.message_id || "") + "|" + (message.mapping || "");
      let row = rows.get(key);
      if (!row) {
        row = document.createElement("tr");
        row.dataset.messageId = message.message_id || "";
        cell(row, new Date().toLocaleTimeString());
        cell(row, message.message_id);
        cell(row, message.mapping || "(no mapping)");
        cell(row, "", "outcome");
        cell(row, "", "details");
        body.insertBefore(row, body.firstChild);
        rows.set(key, row);
      }
      row.dataset.outcome = message.outcome;
      row.querySelector("td.outcome").textContent = message.outcome;
      const details = row.querySelector("td.details");
      const parts = [];
      if (message.reason) parts.push(message.reason);
      if (message.request_id) parts.push("request_id " + message.request_id);
      if (message.test_event_code) parts.push("test code " + message.test_event_code);
      let line = details.querySelector("div.summary");
      if (!line) { line = document.createElement("div"); line.className = "summary"; details.insertBefore(line, details.firstChild); }
      line.textContent = parts.join(" · ");
      if (message.trace && message.trace.length) {
        const box = document.createElement("details");
        const summary = document.createElement("summary");
        summary.textContent = "trace (" + message.trace.length + (message.trace.length === 1 ? " stage)" : " stages)");
        const pre = document.createElement("pre");
        pre.textContent = message.trace.map(step => JSON.stringify(step)).join("\n");
        box.appendChild(summary);
        box.appendChild(pre);
        details.appendChild(box);
      }
    }

    async function watch(token, code) {
      if (controller) controller.abort();
      controller = new AbortController();
      const url = "/debug/events" + (code ? "?test_event_code=" + encodeURIComponent(code) : "");
      statusLine.textContent = "Connecting…";
      let response;
      try {
        response = await fetch(url, { headers: { "Authorization": "Bearer " + token }, signal: controller.signal });
      } catch (error) {
        statusLine.textContent = "Cannot connect: " + error.message;
        return;
      }
      if (response.status === 401) { statusLine.textContent = "The admin token was refused."; return; }
      if (!response.ok) { statusLine.textContent = "The service answered " + response.status + "."; return; }
      statusLine.textContent = code ? "Watching events with test code " + code + "." : "Watching every event.";
      statusLine.dataset.state = "watching";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split("\n").filter(l => l.startsWith("data: ")).map(l => l.slice(6)).join("\n");
            if (data) show(JSON.parse(data));
          }
        }
        statusLine.textContent = "The stream ended (the service stopped?).";
      } catch (error) {
        if (error.name !== "AbortError") statusLine.textContent = "The stream broke: " + error.message;
      }
      statusLine.dataset.state = "";
    }

    document.getElementById("watch").addEventListener("submit", event => {
      event.preventDefault();
      watch(document.getElementById("token").value, document.getElementById("code").value.trim());
    });
    </script>
    </body>
    </html>
    """#
}
