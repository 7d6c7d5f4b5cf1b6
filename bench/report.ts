// Rendering of benchmark results: Markdown tables for docs/BENCHMARKS.md and the SVG chart of p99
// latency against placement rate (Tessera and the baseline) that the README links.

import { CURSOR_TICK_MS, CURSORS_PER_FRAME } from "../lib/limits";
import type { Results, SweepResult } from "./run";

const fmt = (v: number | null | undefined, unit = "") => (v === null || v === undefined ? "–" : `${v.toLocaleString("en-US")}${unit}`);
/** Cores to two decimals (scenario 9 keeps four for its per-connection figures). */
const c2 = (v: number | undefined) => (v === undefined ? "–" : (Math.round(v * 100) / 100).toString());

export function markdownTables(r: Results): string {
  const lines: string[] = [];
  lines.push(`Run \`${r.command}\` on ${r.date.slice(0, 16).replace("T", " ")} UTC — ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memGb} GB, Node ${r.machine.node}, Linux ${r.machine.kernel}; load average ${r.machine.loadAvgAtStart[0]} at the start (\`other\` CPU: processes outside the benchmark).${r.quick ? " **Quick run (short steps).**" : ""}`);
  lines.push("");
  if (r.targets?.length) {
    lines.push("| target | goal | measured | met |", "|---|---|---|---|");
    for (const t of r.targets) lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met === null ? "–" : t.met ? "yes" : "**no**"} |`);
    lines.push("");
  }
  for (const s of r.sweeps) {
    const c = s.commit;
    lines.push(
      `**Scenario 1 — fan-out sweep, ${s.target}:** ${s.clients.toLocaleString("en-US")} clients over 2 processes (connected in ${(s.connect.ms / 1000).toFixed(1)} s), ${s.placers} of them placing (${s.arrivals} arrivals), ${(r.params.stepMs / 1000).toFixed(0)} s per rate. ` +
        `Every client counts its records and checks its seqs; latency (placer's send → receipt) is measured at ${s.sampled} sampled clients (${(100 * r.params.latencySample).toFixed(0)} %, a separate process). CPU in cores (this machine has ${r.machine.cpus}). ` +
        `**Commit latency** — an idle placer alone, ${c.rate}/s: ack p50 **${fmt(c.p50)} ms** (p99 ${fmt(c.p99)}); its placements reached the sample at p50 ${fmt(c.receiptP50)} / p99 ${fmt(c.receiptP99)} ms.`,
    );
    lines.push("");
    lines.push("| rate /s | acked | clients complete | missing | p50 ms | p50 − commit | p99 ms | max ms | ack p50 / p99 ms | hub frames/s · wait ms | CPU server | redis | postgres | generator | other | server RSS MB | pass |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    for (const st of s.steps) {
      const clients = st.complete + st.incomplete;
      const delta = st.p50 !== null && c.p50 !== null ? `${st.p50 - c.p50 >= 0 ? "+" : ""}${st.p50 - c.p50}` : "–";
      lines.push(
        `| ${fmt(st.rate)} | ${fmt(st.acked)} | ${fmt(st.complete)} / ${fmt(clients)}${st.closed ? ` (${st.closed} dropped)` : ""} | ${fmt(st.missing)}${st.duplicates ? ` (+${fmt(st.duplicates)} dup)` : ""}${st.seqMismatch ? ` ⚠ ${st.seqMismatch}` : ""}${st.exited?.length ? ` ⚠ ${st.exited.join(", ")} exited` : ""} | ${fmt(st.p50)} | ${delta} | ${fmt(st.p99)} | ${fmt(st.max)} | ${fmt(st.ackP50)} / ${fmt(st.ackP99)} | ${st.framesPerS === null ? "–" : `${fmt(st.framesPerS)} · ${fmt(st.hubWaitMs)}`} | ${st.cpu.server} | ${st.cpu.redis} | ${st.cpu.postgres} | ${st.cpu.generator} | ${st.cpu.other} | ${st.serverRssMb.join(" + ")} | ${st.pass ? "✓" : "✗"} |`,
      );
    }
    lines.push("");
    if (s.retried.length) lines.push(`Steps run twice because the first attempt failed (first attempt's p99 / missing / other CPU): ${s.retried.map((st) => `${fmt(st.rate)}/s (${fmt(st.p99)} ms / ${fmt(st.missing)} / ${st.cpu.other})`).join(", ")}.`, "");
    lines.push(`Highest passing rate (p99 ≤ 100 ms, every client complete): **${fmt(s.bestRate)}/s**.`);
    lines.push("");
  }
  if (r.durable?.length) {
    lines.push("**Scenario 2 — durable throughput** (cooldown 0; clients split over both replicas; each sends its next placement when an ack returns):");
    lines.push("");
    lines.push("| clients | in flight each | acked placements/s | ack p50 ms | ack p99 ms | ack max ms | CPU server | postgres | generator | other |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const d of r.durable) {
      lines.push(`| ${d.clients} | ${d.window} | **${fmt(d.ackedPerS)}** | ${fmt(d.ackP50 === null ? null : Math.round(d.ackP50 * 10) / 10)} | ${fmt(d.ackP99)} | ${fmt(d.ackMax)} | ${d.cpu.server} | ${d.cpu.postgres} | ${d.cpu.generator} | ${d.cpu.other} |`);
    }
    lines.push("");
  }
  if (r.idle) {
    const i = r.idle;
    lines.push(`**Scenario 3 — idle connections on one replica:** ${fmt(i.opened)} of ${fmt(i.connections)} opened (${i.failed} failed) in ${i.seconds} s = **${fmt(i.perS)} connections/s**; RSS ${i.rssBeforeMb} → ${i.rssAfterMb} MB = **${(i.bytesPerConnection / 1024).toFixed(1)} KB per connection** (live JS heap + external after a full GC: ${(i.heapBytesPerConnection / 1024).toFixed(1)} KB per connection).`);
    lines.push("");
  }
  if (r.canvas) {
    const c = r.canvas as Record<string, Record<string, unknown>>;
    lines.push(`**Scenario 4 — \`GET /api/canvas\`**, ${c.board} board fully painted (1,000,000 bytes raw), times measured by a local client (request to last byte):`);
    lines.push("");
    lines.push("| request | p50 ms | p99 ms | bytes |", "|---|---:|---:|---:|");
    lines.push(`| first request after start (gzip built) | ${c.coldGzip.ms} | – | ${fmt(c.coldGzip.bytes as number)} |`);
    const row = (name: string, x: Record<string, unknown>) => lines.push(`| ${name} | ${x.p50Ms} | ${x.p99Ms} | ${fmt(x.bytes as number)} |`);
    row("gzip, cached", c.warmGzip);
    row("identity, cached", c.warmRaw);
    row("If-None-Match → 304", c.notModified);
    row(`gzip while 1,000 placements/s change the seq (${c.underPlacements1000PerS.distinctSeqs} distinct seqs served)`, c.underPlacements1000PerS);
    lines.push("");
  }
  if (r.outage) {
    const o = r.outage as Record<string, unknown> & { latency: { p50: number; p99: number; max: number } };
    lines.push(
      `**Scenario 5 — Redis outage:** ${fmt(o.clients as number)} clients, ${fmt(o.rate as number)} placements/s, redis-server killed for ${(o.outageMs as number) / 1000} s and restarted. Replicas saw it down after ${o.noticedDownMs} ms and up again ${o.redisUpAfterMs} ms after the restart; the load ran on through the restart and stopped ${o.loadStoppedAfterMs} ms after it; every client had every acked placement **${o.catchUpMs} ms** after the last ack (catch-up); ${fmt(o.expected as number)} records owed, ${fmt(o.missing as number)} missing (${fmt(o.incompleteClients as number)} clients incomplete), ${fmt(o.duplicates as number)} duplicates; latency at the sample over the whole episode p50 ${o.latency.p50} / p99 ${o.latency.p99} / max ${o.latency.max} ms.`,
    );
    lines.push("");
  }
  if (r.crowd) {
    lines.push(
      `**Scenario 6 — crowd presence:** N distinct users (one session each) join one board at ${r.params.crowdJoinPerS}/s, alternating between the 2 replicas; nothing else happens. Every client counts the \`stats\` and \`user_list\` frames it receives (bytes on the wire, WebSocket header included) from the first join until every client's last \`stats\` says N (+ 0.5 s). Per client per second = all presence bytes / Σ seconds each client was connected in that window. Server CPU: both replicas, from /proc, over the same window.`,
    );
    lines.push("");
    lines.push("| N | joined | join s | window s | presence total | all clients per s | per client per s | largest frame | frames | server CPU s | CPU ms per join | last list (shown / total) | converged |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    const range = (x: { min: number; max: number } | null) => (x ? (x.min === x.max ? fmt(x.min) : `${fmt(x.min)}–${fmt(x.max)}`) : "–");
    for (const c of r.crowd.rows) {
      lines.push(
        `| ${fmt(c.n)} | ${fmt(c.opened)}${c.failed ? ` (${c.failed} failed)` : ""} | ${c.joinSeconds} | ${c.windowSeconds} | ${(c.totalBytes / 1e6).toFixed(1)} MB | ${(c.bytesPerS / 1e6).toFixed(2)} MB/s | ${(c.bytesPerClientPerS / 1024).toFixed(2)} KB/s | ${(c.largestFrame / 1024).toFixed(1)} KB | ${fmt(c.frames)} | ${c.serverCpuSeconds} | ${c.serverCpuMsPerJoin} | ${range(c.lastListUsers)} / ${range(c.lastListTotal)} (${c.listShape ?? "–"}) | ${c.converged ? "✓" : "✗"} |`,
      );
    }
    for (const s of r.crowd.skipped) lines.push(`| ${fmt(s.n)} | skipped: ${s.reason} | | | | | | | | | | | |`);
    lines.push("");
  }
  if (r.cursors) {
    const cu = r.cursors;
    lines.push(
      `**Scenario 8 — live cursors** (issue 11): ${fmt(cu.users)} distinct users on one board, alternating between the 2 replicas; each sends a \`view\` (a square of the given side at a random place) and then ${cu.movesPerS} \`cursor\` moves a second (a random walk; SPEC §11's limit). Every client counts the \`cursors\` frames it receives (bytes on the wire); CPU from /proc over the same ${(r.params.cursorMs / 1000).toFixed(0)} s after a ${(r.params.cursorWarmupMs / 1000).toFixed(0)}-s warm-up. The server sends a viewer at most ${1000 / CURSOR_TICK_MS} frames a second of at most ${CURSORS_PER_FRAME} cursors each. The frame rate of a page that sees 100 moving cursors is measured in Chromium by \`e2e/performance.spec.ts\`: [docs/UI-PERFORMANCE.md](UI-PERFORMANCE.md).`,
    );
    lines.push("");
    lines.push("| view side px | others in view (expected) | sent per client: msgs/s · bytes/s | received per client: frames/s · bytes/s | positions per client per s (lowest / median / highest) | largest frame | CPU server | server CPU per client | redis | generator | other |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const c of cu.rows) {
      const [lo, med, hi] = c.entriesPerClientPerSRange;
      lines.push(
        `| ${fmt(c.viewSide)} | ${fmt(c.expectedInView)} | ${c.sentPerClientPerS} · ${fmt(c.sentBytesPerClientPerS)} | ${c.framesPerClientPerS} · ${fmt(c.bytesPerClientPerS)} | ${lo} / **${med}** / ${hi} | ${(c.largestFrame / 1024).toFixed(1)} KB | ${c.cpu.server} | **${c.serverCpuMsPerClientPerS} ms/s** | ${c.cpu.redis} | ${c.cpu.generator} | ${c.cpu.other} |`,
      );
      if (c.closed) lines.push(`| | ⚠ ${c.closed} clients closed | | | | | | | | | |`);
    }
    lines.push("");
  }
  if (r.bundle) {
    const b = r.bundle;
    lines.push(
      b.error
        ? `**JavaScript shipped by \`/\`:** not measured (${b.error}).`
        : `**JavaScript shipped by \`/\`** (\`node --import tsx scripts/bundle-size.ts --json\`, gzip -9 of every chunk the page loads): **${((b.totalGzipBytes ?? 0) / 1000).toFixed(1)} KB** in ${b.chunks} chunks (${((b.totalBytes ?? 0) / 1000).toFixed(1)} KB raw; limit ${((b.limitGzipBytes ?? 0) / 1000).toFixed(0)} KB), from the build of ${b.builtAt?.slice(0, 16).replace("T", " ")} UTC (commit ${b.commit} checked out at the run).`,
    );
    lines.push("");
  }
  if (r.startup) {
    const st = r.startup;
    lines.push(
      `**Scenario 7 — start-up with a long history:** placements generated in SQL (random x, y over ${"1000×1000"}, random colours, ${fmt(r.params.startupUsers)} users), then a replica started: time from process spawn to the first 200 from \`/api/health\`, and its RSS then. With an empty database: ${(st.schemaStartMs / 1000).toFixed(2)} s the first time (migrations create the schema), then ${(st.emptyStartMs / 1000).toFixed(2)} s and ${st.emptyRssMb} MB — the fixed cost of any start (Node, tsx, the server's modules, connections).`,
    );
    lines.push("");
    lines.push("| placements | fill (SQL) s | first start → healthy s | RSS MB | restart → healthy s | RSS MB | newest snapshot before restart |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|");
    for (const x of st.rows) {
      lines.push(`| ${fmt(x.placements)} | ${x.fillSeconds} | ${(x.firstStartMs / 1000).toFixed(2)} | ${x.firstRssMb} | ${(x.restartMs / 1000).toFixed(2)} | ${x.restartRssMb} | ${x.newestSnapshotBeforeRestart === null ? "no snapshots table" : fmt(x.newestSnapshotBeforeRestart)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------- SVG

export function latencySvg(r: Results): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 170, t: 40, b: 55 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const rates = r.sweeps.flatMap((s) => s.steps.map((st) => st.rate));
  const xMin = Math.min(10, ...rates);
  const xMax = Math.max(10_000, ...rates);
  const yMin = 1;
  const yMax = Math.max(10_000, ...r.sweeps.flatMap((s) => s.steps.map((st) => st.p99 ?? 1)));
  const lx = (v: number) => m.l + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw;
  const ly = (v: number) => m.t + ph - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.l}" y="22" font-size="14" font-weight="600">p99 latency (send → receipt) against placement rate</text>`);
  // grid and axes
  for (const v of [10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000].filter((v) => v >= xMin && v <= xMax)) {
    out.push(`<line x1="${lx(v)}" y1="${m.t}" x2="${lx(v)}" y2="${m.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${lx(v)}" y="${m.t + ph + 16}" text-anchor="middle">${v.toLocaleString("en-US")}</text>`);
  }
  for (let v = 1; v <= yMax; v *= 10) {
    out.push(`<line x1="${m.l}" y1="${ly(v)}" x2="${m.l + pw}" y2="${ly(v)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${ly(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  out.push(`<line x1="${m.l}" y1="${ly(100)}" x2="${m.l + pw}" y2="${ly(100)}" stroke="#c33" stroke-dasharray="5 4"/>`);
  out.push(`<text x="${m.l + pw - 4}" y="${ly(100) - 5}" text-anchor="end" fill="#c33">100 ms target</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">placements per second (log scale)</text>`);
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">p99 latency (log scale)</text>`);
  const colors = ["#1f6feb", "#d1242f", "#2da44e"];
  r.sweeps.forEach((s: SweepResult, k) => {
    const c = colors[k % colors.length];
    const pts = s.steps.filter((st) => st.p99 !== null);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((st) => `${lx(st.rate).toFixed(1)},${ly(st.p99!).toFixed(1)}`).join(" ")}"/>`);
    for (const st of pts) {
      const x = lx(st.rate).toFixed(1);
      const y = ly(st.p99!).toFixed(1);
      out.push(st.pass ? `<circle cx="${x}" cy="${y}" r="4" fill="${c}"/>` : `<circle cx="${x}" cy="${y}" r="4" fill="#fff" stroke="${c}" stroke-width="2"/>`);
    }
    const ly0 = m.t + 14 + k * 34;
    out.push(`<line x1="${m.l + pw + 14}" y1="${ly0}" x2="${m.l + pw + 34}" y2="${ly0}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${m.l + pw + 40}" y="${ly0 + 4}">${escapeXml(`${s.target}, ${s.clients.toLocaleString("en-US")}`)}</text>`);
    out.push(`<text x="${m.l + pw + 40}" y="${ly0 + 18}" fill="#555">best: ${s.bestRate.toLocaleString("en-US")}/s</text>`);
  });
  out.push(`<text x="${m.l + pw + 14}" y="${m.t + 90}" fill="#555">● passed (p99 ≤ 100 ms,</text>`);
  out.push(`<text x="${m.l + pw + 14}" y="${m.t + 104}" fill="#555">   zero loss)</text>`);
  out.push(`<text x="${m.l + pw + 14}" y="${m.t + 120}" fill="#555">○ failed</text>`);
  out.push(`<text x="${m.l}" y="${H - 32 + 30}" fill="#777" font-size="10">${escapeXml(`${r.command} · ${r.date.slice(0, 10)} · ${r.machine.cpus} cores shared by servers, Redis, PostgreSQL and load generator`)}</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// ---------------------------------------------------------------- docs/SCALING.md

/** Scenario 9's tables (docs/SCALING.md): the same work on 1, 2 and 4 replicas, and what each part costs. */
export function capacityTables(r: Results): string {
  const c = r.capacity;
  if (!c) return "";
  const lines: string[] = [];
  lines.push(
    `Run \`${r.command}\` on ${r.date.slice(0, 16).replace("T", " ")} UTC — ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}; load average ${r.machine.loadAvgAtStart[0]} at the start.${r.quick ? " **Quick run.**" : ""} ` +
      `Each replica count gets a fresh database and the same work: the ${fmt(r.params.sweepPlacers)} placers alone at ${fmt(c.rate)} placements/s for ${(c.stepMs / 1000).toFixed(0)} s; then ${fmt(c.clients)} clients spread evenly (the placers among them), ${(c.idleMs / 1000).toFixed(0)} s idle, ${(c.stepMs / 1000).toFixed(0)} s at ${fmt(c.rate)} placements/s (${r.params.arrivals}: the fan-out step) and ${(c.stepMs / 1000).toFixed(0)} s at ${fmt(r.params.capacitySlowRate)}/s (the slow step); then ${fmt(c.joins)} distinct users joining at ${c.joinPerS}/s. CPU from /proc in cores (the machine has ${r.machine.cpus}: replicas, Redis, PostgreSQL and the load generator share them).`,
  );
  lines.push("");
  lines.push("**Memory and idle connections**");
  lines.push("");
  lines.push("| replicas | clients | RSS per replica, no clients MB | RSS per replica, connected MB | memory per connection: RSS · live heap KB | idle: server cores | idle: server CPU per connection | idle: Redis commands/s |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const x of c.rows) {
    lines.push(
      `| ${x.replicas} | ${fmt(x.clients)}${x.failed ? ` (${x.failed} failed)` : ""} | ${x.rssIdleMb.join(" / ")} | ${x.rssConnectedMb.join(" / ")} | ${x.rssPerConnectionKb} · **${x.heapPerConnectionKb}** | ${c2(x.idle.cpu.server)} | **${x.idle.serverUsPerConnectionPerS} µs/s** | ${fmt(x.idle.redisCommandsPerS)} |`,
    );
  }
  lines.push("");
  lines.push(`**Fan-out step: ${fmt(c.rate)} placements/s to ${fmt(c.clients)} clients**`);
  lines.push("");
  lines.push(
    "| replicas | delivered records | missing | p50 / p99 ms | frames/s · records per frame | socket writes/s | CPU server · redis · postgres · generator · other | server per delivered record (net of idle) | placers alone: p50 / p99 ms · writes/s · server cores | slow step: p50 / p99 ms · writes/s · server cores | fit: server per placement · per socket write | pass |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
  for (const x of c.rows) {
    const s = x.step;
    const a = s.placersOnly;
    const w = s.slow;
    lines.push(
      `| ${x.replicas} | ${fmt(s.delivered)} | ${fmt(s.missing)}${s.incomplete ? ` (${s.incomplete} clients incomplete)` : ""} | ${fmt(s.p50)} / ${fmt(s.p99)} | ${fmt(s.framesPerS)} · ${s.recordsPerFrame} | ${fmt(Math.round(s.writes / (c.stepMs / 1000)))} | ${c2(s.cpu.server)} · ${c2(s.cpu.redis)} · ${c2(s.cpu.postgres)} · ${c2(s.cpu.generator)} · ${c2(s.cpu.other)} | **${fmt(s.serverNsPerDeliveredRecord)} ns** | ${fmt(a.p50)} / ${fmt(a.p99)} · ${fmt(Math.round(a.writes / (c.stepMs / 1000)))} · ${c2(a.serverCores)} | ${fmt(w.p50)} / ${fmt(w.p99)} · ${fmt(Math.round(w.writes / (c.stepMs / 1000)))} · ${c2(w.serverCores)}${w.missing ? ` ⚠ ${fmt(w.missing)} missing` : ""} | **${fmt(s.split.usPerPlacement)} µs · ${fmt(s.split.usPerWrite)} µs** | ${s.pass ? "✓" : "✗"} |`,
    );
  }
  lines.push("");
  lines.push("**Redis and PostgreSQL per placement; joins**");
  lines.push("");
  lines.push("| replicas | Redis CPU per placement | Redis commands · PUBLISH per placement | Redis bytes out per placement | PostgreSQL CPU per placement | placements per group commit | WAL bytes per placement | join: server CPU per join | join: Redis CPU · commands per join | join: PostgreSQL CPU per join | joined in s |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const x of c.rows) {
    const s = x.step;
    const j = x.join;
    lines.push(
      `| ${x.replicas} | ${s.redisUsPerPlacement} µs | ${s.redisCommandsPerPlacement} · ${s.redisPublishesPerPlacement} | ${fmt(s.redisBytesOutPerPlacement)} B | ${s.postgresUsPerPlacement} µs | ${s.placementsPerCommit} | ${fmt(s.walBytesPerPlacement)} B | **${j.serverMsPerJoin} ms** | ${j.redisUsPerJoin} µs · ${j.redisCommandsPerJoin} | ${j.postgresUsPerJoin} µs | ${j.seconds}${j.converged ? "" : " (did not converge)"}${j.failed ? ` (${j.failed} failed)` : ""} |`,
    );
  }
  return lines.join("\n");
}
