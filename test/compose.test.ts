// The container deployment (Dockerfile, docker-compose.yml, deploy/nginx.conf, .env.example),
// checked without a Docker engine:
//  1. statically, against the app itself: every replica's environment, interpolated from
//     .env.example, passes the app's own loadConfig(); its URLs point at the compose services with the
//     right ports and passwords; nginx balances over exactly the app services on the app's port,
//     upgrades /ws and never forwards /metrics; the image runs the production server with what it needs;
//  2. live: the same nginx.conf text (hosts and ports substituted) under a real nginx in front of
//     real replicas with the compose environment, a real PostgreSQL and a password-protected Redis.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ENV_VARS, loadConfig } from "../server/config";
import { freshPgDatabase, newSession, TestClient, tempDir, waitFor } from "./helpers";
import { freePort, RedisProcess, ReplicaProcess } from "./processes";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

// ---------------------------------------------------------------------------------------------
// Compose: .env files and ${VAR} interpolation (the subset of the Compose specification we use,
// plus the other forms so that an unexpected one fails loudly rather than passing through).

type Vars = Record<string, string>;

/** Parse a .env file the way Compose does for simple files: KEY=VALUE, # comments, quotes. */
function parseDotenv(src: string): Vars {
  const vars: Vars = {};
  for (const raw of src.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`.env line is not KEY=VALUE: ${raw}`);
    let v = m[2];
    if (/^'.*'$/.test(v) || /^".*"$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    vars[m[1]] = v;
  }
  return vars;
}

/** Interpolate one string; `used` collects every variable name referenced. */
function interpolate(s: string, vars: Vars, where: string, used?: Set<string>): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const n = s[i + 1];
    if (n === "$") {
      out += "$"; // $$ is a literal $, left to the container
      i += 2;
      continue;
    }
    if (n === "{") {
      let depth = 1;
      let j = i + 2;
      for (; j < s.length; j++) {
        if (s[j] === "{") depth++;
        else if (s[j] === "}" && --depth === 0) break;
      }
      if (depth !== 0) throw new Error(`${where}: unclosed \${ in '${s}'`);
      out += expandBraced(s.slice(i + 2, j), vars, where, used);
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (m) {
      used?.add(m[0]);
      if (vars[m[0]] === undefined) throw new Error(`${where}: $${m[0]} is not set and has no default`);
      out += vars[m[0]];
      i += 1 + m[0].length;
      continue;
    }
    throw new Error(`${where}: a lone '$' in '${s}' (write $$ for a literal dollar)`);
  }
  return out;
}

function expandBraced(body: string, vars: Vars, where: string, used?: Set<string>): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) throw new Error(`${where}: cannot interpolate \${${body}}`);
  const [, name, op, rest = ""] = m;
  used?.add(name);
  const val = vars[name];
  const isSet = val !== undefined;
  const nonEmpty = isSet && val !== "";
  const sub = () => interpolate(rest, vars, where, used);
  switch (op) {
    case undefined:
      if (!isSet) throw new Error(`${where}: \${${name}} is not set and has no default`);
      return val;
    case ":-":
      return nonEmpty ? val : sub();
    case "-":
      return isSet ? val : sub();
    case ":?":
      if (!nonEmpty) throw new Error(`${where}: required variable ${name} is missing or empty: ${rest}`);
      return val;
    case "?":
      if (!isSet) throw new Error(`${where}: required variable ${name} is missing: ${rest}`);
      return val;
    case ":+":
      return nonEmpty ? sub() : "";
    case "+":
      return isSet ? sub() : "";
  }
  throw new Error(`${where}: unknown interpolation operator ${op}`);
}

/** Interpolate every string value of a parsed document (keys are left alone, as Compose does). */
function interpolateDeep(v: unknown, vars: Vars, where: string, used?: Set<string>): unknown {
  if (typeof v === "string") return interpolate(v, vars, where, used);
  if (Array.isArray(v)) return v.map((x, i) => interpolateDeep(x, vars, `${where}[${i}]`, used));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateDeep(x, vars, `${where}.${k}`, used)]));
  }
  return v;
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  env_file?: string | string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** A service's environment as a plain map (list or map form; null = "from the shell" = absent). */
function envOf(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const e of s.environment) {
      const i = e.indexOf("=");
      if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
    }
  } else if (s.environment) {
    for (const [k, v] of Object.entries(s.environment)) if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}

function commandArgs(s: Service): string[] {
  if (Array.isArray(s.command)) return s.command.map(String);
  return s.command ? s.command.split(/\s+/).filter(Boolean) : [];
}

function dependsOn(s: Service): Array<{ name: string; condition: string }> {
  if (!s.depends_on) return [];
  if (Array.isArray(s.depends_on)) return s.depends_on.map((name) => ({ name, condition: "service_started" }));
  return Object.entries(s.depends_on).map(([name, d]) => ({ name, condition: d?.condition ?? "service_started" }));
}

// ---------------------------------------------------------------------------------------------
// nginx: a small tokenizer and block parser, enough to read directives and their nesting.

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

function parseNginx(src: string): Directive[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < src.length && src[i] !== "\n") i++;
    else if (c === "{" || c === "}" || c === ";") tokens.push(src[i++]);
    else if (c === "'" || c === '"') {
      const j = src.indexOf(c, i + 1);
      if (j < 0) throw new Error("nginx: unterminated quote");
      tokens.push(src.slice(i + 1, j));
      i = j + 1;
    } else {
      let j = i;
      while (j < src.length && !/[\s{};]/.test(src[j])) j++;
      tokens.push(src.slice(i, j));
      i = j;
    }
  }
  let p = 0;
  const block = (top: boolean): Directive[] => {
    const out: Directive[] = [];
    while (p < tokens.length) {
      if (tokens[p] === "}") {
        if (top) throw new Error("nginx: unbalanced }");
        p++;
        return out;
      }
      const words: string[] = [];
      while (p < tokens.length && tokens[p] !== ";" && tokens[p] !== "{" && tokens[p] !== "}") words.push(tokens[p++]);
      if (tokens[p] === ";") {
        p++;
        out.push({ name: words[0], args: words.slice(1) });
      } else if (tokens[p] === "{") {
        p++;
        out.push({ name: words[0], args: words.slice(1), block: block(false) });
      } else throw new Error(`nginx: directive '${words.join(" ")}' is not terminated`);
    }
    if (!top) throw new Error("nginx: unclosed {");
    return out;
  };
  return block(true);
}

const all = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name);
const one = (ds: Directive[] | undefined, name: string) => all(ds, name)[0];

/** nginx time ("3600", "3600s", "60m", "1h", "1d") in seconds. */
function nginxSeconds(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  if (!m) throw new Error(`not an nginx time: ${v}`);
  const mult = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? "s"]!;
  return Number(m[1]) * mult;
}

/** Headers a location sends upstream: its own proxy_set_header lines, or else the server's. */
function proxyHeaders(location: Directive, server: Directive): Map<string, string> {
  const own = all(location.block, "proxy_set_header");
  const lines = own.length > 0 ? own : all(server.block, "proxy_set_header");
  return new Map(lines.map((d) => [d.args[0].toLowerCase(), d.args[1] ?? ""]));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile: instructions (continuations joined, comments dropped) grouped into stages.

interface Instruction {
  cmd: string;
  args: string;
}
interface Stage {
  base: string;
  name: string | null;
  instructions: Instruction[];
}

function parseDockerfile(src: string): { args: Vars; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let cur = "";
  for (const raw of src.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#") || (!line && !cur)) continue;
    if (line.endsWith("\\")) {
      cur += line.slice(0, -1) + " ";
      continue;
    }
    cur += line;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(cur.trim());
    if (m) instructions.push({ cmd: m[1].toUpperCase(), args: m[2].trim() });
    cur = "";
  }
  const args: Vars = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.cmd === "FROM") {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile: cannot read FROM ${ins.args}`);
      const base = m[1].replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => args[n] ?? "");
      stages.push({ base, name: m[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.cmd === "ARG") {
        const [k, v = ""] = ins.args.split("=");
        args[k] = v.replace(/^"(.*)"$/, "$1");
      }
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { args, stages };
}

/** ENV instructions of a stage as a map (both `ENV K=V K2=V2` and the legacy `ENV K V`). */
function stageEnv(stage: Stage): Vars {
  const env: Vars = {};
  for (const ins of stage.instructions.filter((i) => i.cmd === "ENV")) {
    if (!ins.args.includes("=") || /^\S+\s+[^=]*$/.test(ins.args)) {
      const [k, ...rest] = ins.args.split(/\s+/);
      env[k] = rest.join(" ");
      continue;
    }
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[m[1]] = m[3] ?? m[2];
  }
  return env;
}

/** COPY/ADD: flags, sources, destination. */
function copyParts(ins: Instruction): { from: string | null; sources: string[]; dest: string } {
  const words = ins.args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
  }
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

// ---------------------------------------------------------------------------------------------
// What the server needs at run time: files reachable by relative imports from server/index.ts,
// and the packages it imports.

function serverImports(): { dirs: Set<string>; files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const resolve = (from: string, spec: string): string | null => {
    const base = spec.startsWith("@/") ? path.join(ROOT, spec.slice(2)) : path.resolve(path.dirname(from), spec);
    for (const cand of [base, `${base}.ts`, `${base}.tsx`, `${base}.js`, path.join(base, "index.ts")]) {
      if (fs.existsSync(cand) && fs.statSync(cand).isFile()) return cand;
    }
    return null;
  };
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = fs.readFileSync(file, "utf8");
    const specs = [
      ...[...src.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+["']([^"']+)["']/gm)].map((m) => m[1]),
      ...[...src.matchAll(/^\s*import\s+["']([^"']+)["']/gm)].map((m) => m[1]),
      ...[...src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]),
    ];
    for (const spec of specs) {
      if (spec.startsWith(".") || spec.startsWith("@/")) {
        const target = resolve(file, spec);
        if (!target) throw new Error(`${path.relative(ROOT, file)} imports ${spec}, which does not exist`);
        if (/\.(ts|tsx|js|mjs)$/.test(target)) visit(target);
        else files.add(target);
      } else {
        const bare = spec.startsWith("node:") ? spec.slice(5) : spec;
        if (builtinModules.includes(bare) || builtinModules.includes(bare.split("/")[0])) continue;
        const parts = spec.split("/");
        packages.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
      }
    }
  };
  visit(path.join(ROOT, "server/index.ts"));
  const dirs = new Set([...files].map((f) => path.relative(ROOT, f).split(path.sep)[0]));
  return { dirs, files, packages };
}

// ---------------------------------------------------------------------------------------------
// Load everything once.

const composeSrc = read("docker-compose.yml");
const rawCompose = parseYaml(composeSrc, { merge: true }) as Compose;
const envExample = parseDotenv(read(".env.example"));
const usedVars = new Set<string>();
const compose = interpolateDeep(rawCompose, envExample, "docker-compose.yml", usedVars) as Compose;
const services = compose.services;
/** The Tessera replicas: services built from this repository's Dockerfile. */
const appNames = Object.keys(services).filter((n) => services[n].build !== undefined);
const pkg = JSON.parse(read("package.json")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies?: Record<string, string>;
};

const appEnv = (name: string) => envOf(services[name]);
/** The app's own view of a replica's environment (throws ConfigError like the server at start). */
const appConfig = (name: string) => loadConfig(appEnv(name));

function serviceUsingImage(prefix: string): string {
  const name = Object.keys(services).find((n) => (services[n].image ?? "").split(":")[0] === prefix);
  if (!name) throw new Error(`no service runs the ${prefix} image`);
  return name;
}
const pgService = serviceUsingImage("postgres");
const redisService = serviceUsingImage("redis");
const lbService = serviceUsingImage("nginx");

/** The nginx config compose mounts into the load balancer, as a path in this repository. */
function lbConfigFile(): string {
  for (const v of services[lbService].volumes ?? []) {
    const [src, dst] = typeof v === "string" ? v.split(":") : [v.source ?? "", v.target ?? ""];
    if (dst.startsWith("/etc/nginx/")) return path.relative(ROOT, path.resolve(ROOT, src));
  }
  throw new Error(`${lbService} mounts no nginx configuration`);
}
const nginxRel = lbConfigFile();
const nginxSrc = read(nginxRel);
const nginx = parseNginx(nginxSrc);
const nginxServer = one(nginx, "server")!;

function redisPassword(): string | null {
  const args = commandArgs(services[redisService]);
  const i = args.indexOf("--requirepass");
  return i >= 0 ? args[i + 1] : null;
}

// ---------------------------------------------------------------------------------------------

describe("docker-compose.yml against the app", () => {
  it("has three Tessera replicas sharing one config through a YAML anchor, plus postgres, redis and lb", () => {
    expect(appNames).toEqual(["app1", "app2", "app3"]);
    expect(Object.keys(services).sort()).toEqual(["app1", "app2", "app3", "lb", "postgres", "redis"]);
    expect(composeSrc).toMatch(/^x-[\w-]+:\s*&[\w-]+/m);
    for (const name of appNames) {
      const section = composeSrc.split(new RegExp(`^  ${name}:\\s*$`, "m"))[1]?.split(/^  \S/m)[0] ?? "";
      expect(section, `${name} merges the shared anchor`).toMatch(/<<:\s*\*[\w-]+/);
    }
    const images = new Set(appNames.map((n) => services[n].image));
    expect(images.size, "every replica runs the same image").toBe(1);
    expect(services[redisService].image).toMatch(/^redis:7(\b|$)/);
    expect(services[pgService].image).toMatch(/^postgres:15(\b|$)/);
    expect(services[lbService].image).toMatch(/^nginx:1\.27(\b|$)/);
  });

  it("sets every variable a replica needs, and each passes the app's own loadConfig()", () => {
    const ids = new Set<string>();
    for (const name of appNames) {
      const env = appEnv(name);
      for (const v of ["DATABASE_URL", "REDIS_URL", "SESSION_SECRET", "INSTANCE_ID", "TRUST_PROXY"]) {
        expect(env[v], `${name} sets ${v}`).toBeTruthy();
      }
      const config = appConfig(name); // throws with the app's own message when a value is bad
      expect(config.databaseUrl).toBeTruthy();
      expect(config.redisUrl).toBeTruthy();
      expect(config.sessionSecret!.length).toBeGreaterThanOrEqual(16);
      expect(config.trustProxy, `${name}: TRUST_PROXY=true behind the load balancer`).toBe(true);
      expect(config.instanceId).toBe(env.INSTANCE_ID);
      ids.add(config.instanceId);
    }
    expect(ids.size, "INSTANCE_ID is distinct per replica").toBe(appNames.length);
    // Shared by all: a session made on one replica must be valid on every other.
    expect(new Set(appNames.map((n) => appEnv(n).SESSION_SECRET)).size).toBe(1);
    expect(new Set(appNames.map((n) => appEnv(n).DATABASE_URL)).size).toBe(1);
    expect(new Set(appNames.map((n) => appEnv(n).REDIS_URL)).size).toBe(1);
  });

  it("names only variables the app reads (no typos that would silently fall back to defaults)", () => {
    // ENV_VARS is the app's own list; each name in it is really read by server/config.ts.
    const configSrc = read("server/config.ts");
    for (const v of ENV_VARS) {
      expect(new RegExp(`env\\.${v}\\b|env,\\s*"${v}"`).test(configSrc), `server/config.ts reads ${v} (listed in ENV_VARS)`).toBe(true);
    }
    for (const name of appNames) {
      for (const key of Object.keys(appEnv(name))) expect(ENV_VARS as readonly string[], `${name}: ${key} is one of the app's ENV_VARS`).toContain(key);
    }
  });

  it("keeps /metrics private: a metrics port exposed to the compose network only, the token optional", () => {
    for (const name of appNames) {
      const config = appConfig(name);
      expect(config.metricsPort, `${name}: METRICS_PORT is set for the network's Prometheus`).not.toBeNull();
      expect(config.metricsPort, `${name}: the metrics port is not the app's port`).not.toBe(config.port);
      expect(config.metricsPort).toBeGreaterThan(0);
      // Listening on every interface is only private because the port is never published on the host.
      expect((services[name].expose ?? []).map(String), `${name} exposes METRICS_PORT to the compose network`).toContain(String(config.metricsPort));
      expect(services[name].ports, `${name} publishes nothing on the host`).toBeUndefined();
      // METRICS_TOKEN comes from .env (empty there by default: not on the app port at all).
      expect(config.metricsToken, `${name}: .env.example sets no metrics token`).toBeNull();
      expect(rawCompose.services[name].environment as Record<string, string>).toMatchObject({ METRICS_TOKEN: "${METRICS_TOKEN:-}" });
    }
    expect(loadConfig({ ...appEnv(appNames[0]), METRICS_TOKEN: "a-token-of-sixteen+" }).metricsToken).toBe("a-token-of-sixteen+");
  });

  it("points DATABASE_URL at the postgres service and REDIS_URL at the redis service, with their credentials", () => {
    const pgEnv = envOf(services[pgService]);
    const redisArgs = commandArgs(services[redisService]);
    const redisPortArg = redisArgs.indexOf("--port");
    const redisPort = redisPortArg >= 0 ? redisArgs[redisPortArg + 1] : "6379";
    const pw = redisPassword();
    expect(pw, "redis runs with --requirepass").toBeTruthy();
    for (const name of appNames) {
      const db = new URL(appConfig(name).databaseUrl!);
      expect(db.hostname).toBe(pgService);
      expect(db.port || "5432").toBe("5432");
      expect(decodeURIComponent(db.username)).toBe(pgEnv.POSTGRES_USER ?? "postgres");
      expect(decodeURIComponent(db.password), "DATABASE_URL password = POSTGRES_PASSWORD (URL-safe)").toBe(pgEnv.POSTGRES_PASSWORD);
      expect(db.pathname.slice(1)).toBe(pgEnv.POSTGRES_DB ?? pgEnv.POSTGRES_USER ?? "postgres");

      const redis = new URL(appConfig(name).redisUrl!);
      expect(redis.hostname).toBe(redisService);
      expect(redis.port || "6379").toBe(redisPort);
      expect(decodeURIComponent(redis.password), "REDIS_URL password = --requirepass (URL-safe)").toBe(pw);
    }
  });

  it("documents every interpolated variable in .env.example, with the required ones filled in", () => {
    for (const v of usedVars) expect(Object.keys(envExample), `.env.example lists ${v}`).toContain(v);
    for (const m of composeSrc.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) {
      expect(envExample[m[1]], `.env.example gives a placeholder for required ${m[1]}`).toBeTruthy();
    }
    // Without the file's values (an empty .env) compose must refuse rather than start with no secrets.
    expect(() => interpolateDeep(rawCompose, {}, "docker-compose.yml")).toThrow(/required variable/);
    // .env (real secrets) must never be committed; .env.example must be.
    expect(spawnSync("git", ["check-ignore", "-q", ".env"], { cwd: ROOT }).status).toBe(0);
    expect(spawnSync("git", ["check-ignore", "-q", ".env.example"], { cwd: ROOT }).status).toBe(1);
  });

  it("only depends on services that exist, waiting for health where a healthcheck exists", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const d of dependsOn(s)) {
        expect(Object.keys(services), `${name} depends on ${d.name}`).toContain(d.name);
        expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(d.condition);
        if (d.condition === "service_healthy") expect(services[d.name].healthcheck?.test, `${d.name} has a healthcheck`).toBeTruthy();
      }
    }
    for (const name of appNames) {
      const deps = Object.fromEntries(dependsOn(services[name]).map((d) => [d.name, d.condition]));
      expect(deps).toEqual({ [pgService]: "service_healthy", [redisService]: "service_healthy" });
      const test = JSON.stringify(services[name].healthcheck?.test);
      expect(test).toContain(`:${appConfig(name).port}/api/health`);
    }
    expect(dependsOn(services[lbService]).map((d) => d.name).sort()).toEqual(appNames);
  });

  it("mounts and builds from files that exist", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const src = typeof v === "string" ? v.split(":")[0] : v.type === "bind" ? (v.source ?? "") : "";
        if (src.startsWith(".") || src.startsWith("/")) {
          expect(fs.existsSync(path.resolve(ROOT, src)), `${name} mounts ${src}`).toBe(true);
        } else if (src) {
          expect(Object.keys(compose.volumes ?? {}), `${name}'s named volume ${src} is declared`).toContain(src);
        }
      }
      for (const f of [s.env_file ?? []].flat()) expect(fs.existsSync(path.resolve(ROOT, f)), `${name} env_file ${f}`).toBe(true);
      if (s.build !== undefined) {
        const b = typeof s.build === "string" ? { context: s.build } : s.build;
        const ctx = path.resolve(ROOT, b.context ?? ".");
        expect(fs.existsSync(path.join(ctx, b.dockerfile ?? "Dockerfile")), `${name} builds from an existing Dockerfile`).toBe(true);
      }
    }
  });

  it("publishes the load balancer on ${TESSERA_PORT:-8080} to the port nginx listens on", () => {
    const ports = services[lbService].ports ?? [];
    expect(ports).toHaveLength(1);
    const p = ports[0];
    const target = typeof p === "string" ? p.split(":").pop() : String(p.target);
    expect(target).toBe(one(nginxServer.block, "listen")!.args[0]);
    expect(composeSrc).toMatch(/\$\{TESSERA_PORT:-8080\}:80\b/);
    for (const name of appNames) expect(services[name].ports, `${name} is reached only through ${lbService}`).toBeUndefined();
  });

  it("is accepted by `docker compose config` (or docker-compose v1) when one is installed", (ctx) => {
    // Neither needs a Docker engine to parse, interpolate and validate the file.
    const cli = [
      ["docker", "compose"],
      ["docker-compose"],
    ].find(([bin, ...sub]) => spawnSync(bin, [...sub, "version"], { stdio: "ignore" }).status === 0);
    if (!cli) {
      ctx.skip("neither the docker compose plugin nor docker-compose is installed; checked by this file's own parser only");
      return;
    }
    const [bin, ...sub] = cli;
    // Only .env.example: variables from this shell would take precedence over the file.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: process.env.NODE_ENV };
    const res = spawnSync(bin, [...sub, "--env-file", ".env.example", "-f", "docker-compose.yml", "config", "--quiet"], { cwd: ROOT, encoding: "utf8", env });
    expect(res.status, `${cli.join(" ")} config: ${res.stderr}`).toBe(0);
  });
});

describe(`${nginxRel} against the compose services`, () => {
  /** Locations that forward to the replicas (the others answer by themselves). */
  const proxied = () => all(nginxServer.block, "location").filter((l) => one(l.block, "proxy_pass"));
  const upstreamName = () => {
    const pass = proxied().map((l) => one(l.block, "proxy_pass")!.args[0]);
    const names = new Set(pass.map((p) => /^http:\/\/([^/:]+)\/?$/.exec(p)?.[1]));
    expect(names.size, "all locations use one upstream").toBe(1);
    return [...names][0]!;
  };

  it("either proxies a location to the replicas or answers it itself: only /metrics, with 404", () => {
    const own = all(nginxServer.block, "location").filter((l) => !one(l.block, "proxy_pass"));
    expect(own.map((l) => l.args.join(" "))).toEqual(["^~ /metrics"]);
    expect(one(own[0].block, "return")?.args[0]).toBe("404");
    // A prefix location that wins over every regular expression: nothing under /metrics is proxied.
    expect(proxied().every((l) => !l.args[l.args.length - 1].startsWith("/metrics"))).toBe(true);
  });

  it("balances over exactly the app services, on the port the app listens on", () => {
    const up = all(nginx, "upstream").find((u) => u.args[0] === upstreamName());
    expect(up, "the upstream that proxy_pass names exists").toBeTruthy();
    const servers = all(up!.block, "server").map((s) => s.args[0]);
    expect(servers.map((s) => s.split(":")[0]).sort()).toEqual(appNames);
    for (const name of appNames) expect(servers).toContain(`${name}:${appConfig(name).port}`);
    const balance = up!.block!.map((d) => d.name).filter((n) => ["least_conn", "ip_hash", "hash", "random"].includes(n));
    expect(balance.length <= 1 && balance.every((b) => b === "least_conn")).toBe(true);
  });

  it("upgrades /ws with Upgrade and Connection headers and keeps it open for at least an hour", () => {
    const ws = all(nginxServer.block, "location").find((l) => l.args[l.args.length - 1] === "/ws");
    expect(ws, "a /ws location").toBeTruthy();
    const h = proxyHeaders(ws!, nginxServer);
    expect(h.get("upgrade")).toBe("$http_upgrade");
    const conn = h.get("connection") ?? "";
    const mapped = all(nginx, "map").some((m) => m.args[0] === "$http_upgrade" && m.args[1] === conn && one(m.block, "default")?.args[0] === "upgrade");
    expect(conn.toLowerCase() === "upgrade" || mapped, `Connection ${conn} is 'upgrade' for upgrade requests`).toBe(true);
    const version = one(ws!.block, "proxy_http_version") ?? one(nginxServer.block, "proxy_http_version");
    expect(version?.args[0]).toBe("1.1");
    expect(nginxSeconds(one(ws!.block, "proxy_read_timeout")?.args[0] ?? "60")).toBeGreaterThanOrEqual(3600);
  });

  it("tells the app the client address, scheme and host:port on every location", () => {
    for (const loc of proxied()) {
      const h = proxyHeaders(loc, nginxServer);
      const where = `location ${loc.args.join(" ")}`;
      expect(h.get("x-forwarded-for"), `${where}: X-Forwarded-For`).toBeTruthy();
      expect(h.get("x-forwarded-proto"), `${where}: X-Forwarded-Proto`).toBeTruthy();
      expect(h.get("host"), `${where}: Host`).toBeTruthy();
      // The /ws origin check compares Origin with X-Forwarded-Host (TRUST_PROXY) or else Host: that
      // one must keep the port ($http_host), or a browser's Origin http://host:8080 never matches.
      const seenHost = h.get("x-forwarded-host") ?? h.get("host");
      expect(seenHost, `${where}: the host the app checks Origin against keeps its port`).toBe("$http_host");
      // The edge proxy replaces any client-sent X-Forwarded-For, so the hop the app trusts is its own.
      expect(h.get("x-forwarded-for"), `${where}: X-Forwarded-For is not client-controlled`).toBe("$remote_addr");
    }
  });
});

describe("Dockerfile against the app", () => {
  const { stages } = parseDockerfile(read("Dockerfile"));
  const final = stages[stages.length - 1];
  const ins = (s: Stage, cmd: string) => s.instructions.filter((i) => i.cmd === cmd);

  it("is multi-stage and ends on node:20-bookworm-slim as a non-root user", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(final.base).toBe("node:20-bookworm-slim");
    const user = ins(final, "USER").pop()?.args;
    expect(user, "USER in the final stage").toBeTruthy();
    expect(["root", "0", "0:0", "root:root"]).not.toContain(user);
    expect(stages.some((s) => s.instructions.some((i) => i.cmd === "RUN" && /\bnpm ci\b/.test(i.args)))).toBe(true);
    expect(stages.some((s) => s.instructions.some((i) => i.cmd === "RUN" && /\bnpm run build\b/.test(i.args)))).toBe(true);
  });

  it("runs the production server (npm start) and exposes the app's port", () => {
    const cmd = JSON.parse(ins(final, "CMD").pop()!.args) as string[];
    const start = pkg.scripts.start.split(/\s+/);
    const assignments = start.filter((w, i) => /^[A-Z_]+=/.test(w) && start.slice(0, i).every((x) => /^[A-Z_]+=/.test(x)));
    const command = start.slice(assignments.length);
    if (cmd.join(" ") !== "npm start") {
      expect(cmd, "CMD is npm start's command").toEqual(command);
      const env = stageEnv(final);
      for (const a of assignments) {
        const [k, v] = a.split("=");
        expect(env[k], `ENV ${k}=${v} in the final stage (npm start sets it)`).toBe(v);
      }
    }
    expect(stageEnv(final).NODE_ENV).toBe("production");
    const exposed = ins(final, "EXPOSE").flatMap((i) => i.args.split(/\s+/)).map((p) => p.split("/")[0]);
    expect(exposed).toEqual([String(appConfig(appNames[0]).port)]);
    const port = stageEnv(final).PORT;
    if (port) expect(port).toBe(exposed[0]);
    const hc = ins(final, "HEALTHCHECK").pop()?.args ?? "";
    expect(hc).toContain("/api/health");
  });

  it("puts into the image everything the server imports, with runtime-only dependencies", () => {
    const names = new Set(stages.map((s) => s.name).filter(Boolean));
    const present = new Set<string>();
    for (const c of ins(final, "COPY").map(copyParts)) {
      if (c.from) expect(names, `COPY --from=${c.from} names an earlier stage`).toContain(c.from);
      const dir = c.dest.endsWith("/") || c.dest === ".";
      for (const s of c.sources) present.add(dir ? path.basename(s) : path.basename(c.dest.replace(/\/$/, "")));
    }
    const { dirs, packages } = serverImports();
    for (const d of dirs) expect(present, `the image contains ${d}/ (imported by the server)`).toContain(d);
    for (const f of ["node_modules", ".next", "drizzle", "public", "package.json", "next.config.js", "tsconfig.json"]) {
      expect(present, `the image contains ${f}`).toContain(f);
    }
    // The runtime node_modules come from an install without dev dependencies: everything the server
    // imports, and the loader of the start command, must be a production dependency.
    const nm = ins(final, "COPY").map(copyParts).find((c) => c.sources.some((s) => s.endsWith("node_modules")));
    const depsStage = stages.find((s) => s.name === nm?.from);
    expect(depsStage?.instructions.some((i) => i.cmd === "RUN" && /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    for (const p of [...packages, "tsx", "next"]) expect(Object.keys(pkg.dependencies), `${p} is a production dependency`).toContain(p);
  });

  it("copies from the build context only files that exist and .dockerignore lets through", () => {
    const ignored = read(".dockerignore")
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#") && !l.startsWith("!"));
    for (const s of stages) {
      for (const c of [...ins(s, "COPY"), ...ins(s, "ADD")].map(copyParts)) {
        if (c.from) continue;
        for (const src of c.sources) {
          if (src === ".") continue;
          expect(fs.existsSync(path.join(ROOT, src)), `COPY ${src} exists`).toBe(true);
          expect(ignored, `.dockerignore keeps ${src}`).not.toContain(src);
        }
      }
    }
    for (const must of ["node_modules", ".next", ".env", "data", ".git"]) expect(ignored, `.dockerignore excludes ${must}`).toContain(must);
  });
});

// ---------------------------------------------------------------------------------------------
// Live: the same nginx.conf under a real nginx in front of real replicas.

function findNginx(): string | null {
  for (const cand of ["nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"]) {
    if (spawnSync(cand, ["-v"], { stdio: "ignore" }).status === 0) return cand;
  }
  return null;
}

/** nginx, or null and the reason (scripts/ensure-system-deps.sh installs it; tests install nothing). */
function ensureNginx(): { bin: string | null; reason: string } {
  const bin = findNginx();
  return { bin, reason: bin ? "" : "nginx is not installed (run scripts/ensure-system-deps.sh, or apt-get install nginx)" };
}

/** A GET with the path sent exactly as given (fetch would normalise dot segments and slashes first). */
function rawGet(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: pathname, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const nginxBin = ensureNginx();
if (!nginxBin.bin) console.warn(`compose.test.ts: SKIPPING the live load-balancer tests: ${nginxBin.reason}`);

describe.skipIf(!nginxBin.bin)("the compose topology live: nginx with deploy/nginx.conf in front of the replicas", () => {
  let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
  let redis: RedisProcess | undefined;
  const replicas: ReplicaProcess[] = [];
  const clients: TestClient[] = [];
  let nginxProc: ChildProcess | undefined;
  const nginxOutput: string[] = [];
  let workDir = "";
  let lbUrl = "";
  let lbPort = 0;
  const metricsPorts = new Map<string, number>();
  const METRICS_TOKEN = "compose-test-metrics-token";

  const connect = async (cookie: string, headers: Record<string, string> = {}) => {
    const c = await TestClient.connect(lbUrl, cookie, headers);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    // Redis with the compose file's password; PostgreSQL: a fresh database on this machine.
    const password = redisPassword()!;
    [db, redis] = await Promise.all([freshPgDatabase(), RedisProcess.start(["--requirepass", password])]);

    // The replicas get the compose environment, with only the service hosts mapped to this machine,
    // each metrics listener on a port of its own on loopback (the compose network's stand-in), and a
    // metrics token, so that a /metrics request nginx forwarded would be answered.
    const started = await Promise.all(
      appNames.map(async (name) => {
        const env = appEnv(name);
        const redisUrl = new URL(env.REDIS_URL);
        redisUrl.hostname = "127.0.0.1";
        redisUrl.port = String(redis!.port);
        const metricsPort = await freePort();
        metricsPorts.set(env.INSTANCE_ID, metricsPort);
        return ReplicaProcess.start({
          instanceId: env.INSTANCE_ID,
          env: {
            ...env,
            DATABASE_URL: db!.url,
            REDIS_URL: redisUrl.toString(),
            LOG_LEVEL: "warn",
            METRICS_PORT: String(metricsPort),
            METRICS_HOST: "127.0.0.1",
            METRICS_TOKEN,
          },
        });
      }),
    );
    replicas.push(...started);
    for (const r of replicas) {
      await waitFor(async () => ((await (await fetch(`${r.url}/api/health`)).json()) as { redis: string }).redis === "up", 10_000, `${r.instanceId}: redis up`);
    }

    // deploy/nginx.conf with appN:PORT → 127.0.0.1:<replica port> and `listen 80` → a free port,
    // included in the http block of a minimal main config that keeps every path in a temp dir.
    workDir = tempDir("tessera-nginx-");
    lbPort = await freePort();
    lbUrl = `http://127.0.0.1:${lbPort}`;
    let site = nginxSrc;
    appNames.forEach((name, i) => {
      const from = `${name}:${appConfig(name).port}`;
      expect(site.split(from).length - 1, `${nginxRel} names ${from} once`).toBe(1);
      site = site.replace(from, `127.0.0.1:${replicas[i].port}`);
    });
    expect(site.match(/^\s*listen\s+80;/gm), `${nginxRel} has one 'listen 80;'`).toHaveLength(1);
    site = site.replace(/^(\s*)listen\s+80;/m, `$1listen 127.0.0.1:${lbPort};`);
    fs.writeFileSync(path.join(workDir, "site.conf"), site);
    const t = (n: string) => path.join(workDir, n);
    fs.writeFileSync(
      t("nginx.conf"),
      [
        "worker_processes 1;",
        `pid ${t("nginx.pid")};`,
        "error_log stderr warn;",
        "events { worker_connections 512; }",
        "http {",
        "  access_log off;",
        `  client_body_temp_path ${t("client_body")};`,
        `  proxy_temp_path ${t("proxy")};`,
        `  fastcgi_temp_path ${t("fastcgi")};`,
        `  uwsgi_temp_path ${t("uwsgi")};`,
        `  scgi_temp_path ${t("scgi")};`,
        `  include ${t("site.conf")};`,
        "}",
        "",
      ].join("\n"),
    );
    const proc = spawn(nginxBin.bin!, ["-p", workDir, "-e", "stderr", "-c", t("nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
    nginxProc = proc;
    proc.stdout!.on("data", (d) => nginxOutput.push(d.toString()));
    proc.stderr!.on("data", (d) => nginxOutput.push(d.toString()));
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${nginxOutput.join("")}`);
        try {
          return (await fetch(`${lbUrl}/api/health`)).status === 200;
        } catch {
          return false;
        }
      },
      10_000,
      "nginx to proxy /api/health",
    );
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    const p = nginxProc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (p.exitCode === null) p.kill("SIGKILL");
    }
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await redis?.stop();
    await db?.drop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("answers /api/health through the load balancer from every replica in turn", async () => {
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const res = await fetch(`${lbUrl}/api/health`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { status: string; instanceId: string; redis: string; db: string };
        expect(body).toMatchObject({ status: "ok", redis: "up", db: "up" });
        seen.add(body.instanceId);
        return seen.size === appNames.length;
      },
      10_000,
      "every replica to answer through nginx",
    );
    expect([...seen].sort()).toEqual(appNames.map((n) => appEnv(n).INSTANCE_ID).sort());
  });

  it("keeps a session made through the load balancer valid on every replica", async () => {
    const { user, cookie } = await newSession(lbUrl, "alice");
    for (const r of replicas) {
      const res = await fetch(`${r.url}/api/session`, { headers: { cookie } });
      expect(res.status, `session valid on ${r.instanceId}`).toBe(200);
      expect(((await res.json()) as { user: { id: string } }).user.id).toBe(user.id);
    }
    for (let i = 0; i < appNames.length; i++) {
      const res = await fetch(`${lbUrl}/api/session`, { headers: { cookie } });
      expect(res.status).toBe(200);
    }
  });

  it("upgrades /ws through the load balancer, spreads connections, and fans placements out across replicas", async () => {
    // A browser sends Origin = the page's origin, host:port of the load balancer: the app's
    // same-origin check must pass behind nginx.
    const origin = { origin: lbUrl };
    const people = await Promise.all(["bob", "carol", "dave"].map((n) => newSession(lbUrl, n)));
    const conns: TestClient[] = [];
    for (const p of people) conns.push(await connect(p.cookie, origin)); // one at a time: least_conn sees each
    const instances = new Set(conns.map((c) => c.welcome.instanceId));
    expect(instances.size, "least_conn puts the three connections on three replicas").toBe(appNames.length);

    const [bob, carol, dave] = conns;
    const ack = await bob.place(7, 9, 3);
    expect(ack.type, JSON.stringify(ack)).toBe("ack");
    const seq = (ack as { seq: number }).seq;
    await carol.waitForSeqs([seq]);
    await dave.waitForSeqs([seq]);
    expect(carol.records.find((r) => r.seq === seq)).toMatchObject({ x: 7, y: 9, color: 3 });

    // A placement over HTTP through the load balancer reaches the WebSocket clients too.
    const res = await fetch(`${lbUrl}/api/pixel`, {
      method: "PUT",
      headers: { "content-type": "application/json", cookie: people[1].cookie },
      body: JSON.stringify({ x: 8, y: 9, color: 4 }),
    });
    expect(res.status).toBe(200);
    const httpSeq = ((await res.json()) as { seq: number }).seq;
    for (const c of conns) await c.waitForSeqs([seq, httpSeq]);
  });

  it("never forwards /metrics, while each replica serves it on its metrics port and to the token", async () => {
    const bearer = { authorization: `Bearer ${METRICS_TOKEN}` };
    // What nginx must keep out of reach: each replica answers the token on its own port, and
    // anyone on its metrics port (the compose network's Prometheus).
    for (const r of replicas) {
      const direct = await fetch(`${r.url}/metrics`, { headers: bearer });
      expect(direct.status, `${r.instanceId}: /metrics with the token on the app port`).toBe(200);
      expect(await direct.text()).toMatch(/^# HELP /m);
      const scraped = await fetch(`http://127.0.0.1:${metricsPorts.get(r.instanceId)}/metrics`);
      expect(scraped.status, `${r.instanceId}: /metrics on METRICS_PORT`).toBe(200);
      expect(await scraped.text()).toMatch(/^# HELP /m);
    }
    // Through the load balancer: 404 for every spelling, with or without the token, on every replica
    // (a few rounds: least_conn spreads plain requests round robin).
    const spellings = ["/metrics", "/metrics?x=1", "/metrics/", "/%6Detrics", "//metrics", "/api/../metrics", "/./metrics"];
    for (let round = 0; round < appNames.length; round++) {
      for (const p of spellings) {
        for (const headers of [{}, bearer]) {
          const res = await rawGet(lbPort, p, headers);
          expect(res.status, `GET ${p} through nginx${"authorization" in headers ? " with the token" : ""}`).toBe(404);
          expect(res.body, `GET ${p} through nginx`).not.toMatch(/# HELP|# TYPE/);
          expect(JSON.parse(res.body)).toEqual({ error: { code: "not_found", message: "not found" } });
        }
      }
    }
    // The app's other routes still pass (the location is no wider than /metrics…).
    expect((await fetch(`${lbUrl}/api/health`)).status).toBe(200);
  });

  it("still refuses a cross-site /ws upgrade behind the load balancer", async () => {
    const { cookie } = await newSession(lbUrl, "mallory");
    await expect(TestClient.connect(lbUrl, cookie, { origin: "http://evil.example" })).rejects.toThrow(/403/);
  });
});
