// GET /metrics in the Prometheus text format (prom-client). One registry per replica, so several
// replicas in one test process never share series. Counters are read at scrape time from the
// plain counters the components keep, so the hot paths stay free of metric-library calls.

import client from "prom-client";
import type { RedisStatus, RejectCode } from "../lib/protocol";

export interface MetricSources {
  connections: () => number;
  messages: () => { in: number; out: number };
  placements: () => { accepted: number; rejected: Record<RejectCode, number>; commits: number };
  pubsub: () => Record<string, { published: number; received: number; failed: number; rejected: number }>;
  redis: () => RedisStatus;
  seq: () => number;
  catchUp: () => { runs: number; recovered: number; failures: number };
  /** PIXELS frames and records sent (every room ever held), and board main's current gap between frames (ms). */
  fanout: () => { frames: number; records: number; gapMs: number };
  /** Board bodies and PNGs encoded (each once per board state, shared by every request). */
  encodes: () => { boardBodies: number; pngEncodes: number };
}

/** Set a counter to an absolute value read from elsewhere (the value only ever grows). */
function setCounter(c: client.Counter, value: number, labels?: Record<string, string>): void {
  if (labels) {
    c.remove(labels);
    c.inc(labels, value);
  } else {
    c.reset();
    c.inc(value);
  }
}

export class Metrics {
  readonly registry = new client.Registry();
  readonly fanoutLatency: client.Histogram;

  constructor(instanceId: string, s: MetricSources) {
    this.registry.setDefaultLabels({ instance_id: instanceId });
    client.collectDefaultMetrics({ register: this.registry, prefix: "tessera_process_" });
    const registers = [this.registry];

    new client.Gauge({
      name: "tessera_connections",
      help: "Open WebSocket connections on this replica",
      registers,
      collect() {
        this.set(s.connections());
      },
    });
    new client.Counter({
      name: "tessera_ws_messages_total",
      help: "WebSocket messages received (in) and sent (out)",
      labelNames: ["direction"],
      registers,
      collect() {
        const m = s.messages();
        setCounter(this, m.in, { direction: "in" });
        setCounter(this, m.out, { direction: "out" });
      },
    });
    new client.Counter({
      name: "tessera_placements_accepted_total",
      help: "Placements committed by this replica",
      registers,
      collect() {
        setCounter(this, s.placements().accepted);
      },
    });
    new client.Counter({
      name: "tessera_placements_rejected_total",
      help: "Placements rejected by this replica, by reason",
      labelNames: ["reason"],
      registers,
      collect() {
        for (const [reason, n] of Object.entries(s.placements().rejected)) setCounter(this, n, { reason });
      },
    });
    new client.Counter({
      name: "tessera_commits_total",
      help: "Group-commit transactions",
      registers,
      collect() {
        setCounter(this, s.placements().commits);
      },
    });
    for (const kind of ["published", "received", "failed", "rejected"] as const) {
      new client.Counter({
        name: `tessera_pubsub_${kind}_total`,
        help: `Redis pub/sub messages ${kind}, per channel`,
        labelNames: ["channel"],
        registers,
        collect() {
          for (const [channel, c] of Object.entries(s.pubsub())) setCounter(this, c[kind], { channel });
        },
      });
    }
    new client.Gauge({
      name: "tessera_redis_status",
      help: "This replica's Redis state (1 for the current state)",
      labelNames: ["state"],
      registers,
      collect() {
        const now = s.redis();
        for (const state of ["up", "down", "disabled"]) this.set({ state }, state === now ? 1 : 0);
      },
    });
    new client.Gauge({
      name: "tessera_board_seq",
      help: "Highest seq such that every placement up to it is on this replica's board",
      registers,
      collect() {
        this.set(s.seq());
      },
    });
    new client.Counter({
      name: "tessera_catchup_recovered_total",
      help: "Placements this replica read from the database because pub/sub did not bring them",
      registers,
      collect() {
        setCounter(this, s.catchUp().recovered);
      },
    });
    new client.Counter({
      name: "tessera_fanout_frames_total",
      help: "PIXELS frames sent (each written to every client of its room)",
      registers,
      collect() {
        setCounter(this, s.fanout().frames);
      },
    });
    new client.Counter({
      name: "tessera_fanout_records_total",
      help: "Placement records sent in PIXELS frames",
      registers,
      collect() {
        setCounter(this, s.fanout().records);
      },
    });
    new client.Gauge({
      name: "tessera_fanout_gap_seconds",
      help: "Board main's current gap between PIXELS frames (adapts to what a frame costs)",
      registers,
      collect() {
        this.set(s.fanout().gapMs / 1000);
      },
    });
    new client.Counter({
      name: "tessera_png_encodes_total",
      help: "Board PNGs encoded (in the render worker), one per board state and scale",
      registers,
      collect() {
        setCounter(this, s.encodes().pngEncodes);
      },
    });
    new client.Counter({
      name: "tessera_board_bodies_total",
      help: "Board bodies copied and gzipped, one per board state",
      registers,
      collect() {
        setCounter(this, s.encodes().boardBodies);
      },
    });
    this.fanoutLatency = new client.Histogram({
      name: "tessera_fanout_latency_seconds",
      help: "Time a placement waited in this replica's tick before its PIXELS frame went to the sockets",
      buckets: [0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
