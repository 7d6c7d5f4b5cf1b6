// The Kubernetes manifests (deploy/k8s), checked without a cluster:
//  1. the kustomization is read the way `kubectl apply -k` reads it (and, where kubectl is
//     installed, compared with `kubectl kustomize`'s own rendering);
//  2. every object is validated against the Kubernetes JSON schemas (kubernetes-models) and
//     type-checked against its TypeScript model, whose excess-property check catches misspelt or
//     misplaced fields the schemas let through;
//  3. the objects are checked against each other and against the app: environment variables,
//     ports and probes, Service/Ingress/HPA/PDB targets, the shutdown timeline, Secrets, sizing.
// Every consistency check is a function returning its problems, and a table of broken manifests
// below shows each one fails when it should.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Namespace, Secret, Service } from "kubernetes-models/v1";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { WS_HEARTBEAT_INTERVAL_MS } from "../lib/limits";
import { SHUTDOWN_DEADLINE_MS } from "../lib/limits";
import { ConfigError, ENV_VARS, loadConfig } from "../server/config";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIR = path.join(ROOT, "deploy/k8s");
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

/** Every environment variable Tessera reads (server/config.ts's own list). */
const APP_ENV_VARS: readonly string[] = ENV_VARS;

/** Paths the probes may use: the health endpoint, and one answered without database or Redis. */
const HEALTH_PATH = "/api/health";
const LIVENESS_PATHS = [HEALTH_PATH, "/api/live"];

// ---------------------------------------------------------------------------------------------
// Loading: kustomization.yaml's resources, namespace and images, as kustomize applies them.

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const KUSTOMIZATION_KEYS = ["apiVersion", "kind", "namespace", "resources", "images"];

function loadKustomization(): { k: Kustomization; objects: Obj[] } {
  const k = parseYaml(fs.readFileSync(path.join(DIR, "kustomization.yaml"), "utf8")) as Kustomization;
  const objects: Obj[] = [];
  for (const file of k.resources) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(DIR, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
      const o = doc.toJS() as Obj | null;
      if (o) objects.push(o);
    }
  }
  for (const o of objects) {
    if (k.namespace && o.kind !== "Namespace") o.metadata.namespace = k.namespace;
    for (const c of podSpecOf(o)?.containers ?? []) {
      const image = k.images?.find((i) => imageName(c.image) === i.name);
      if (image) c.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ""}`;
    }
  }
  return { k, objects };
}

const imageName = (image: string) => image.replace(/[:@].*$/, "");
const podSpecOf = (o: Obj): any => (o.kind === "Deployment" ? o.spec?.template?.spec : undefined);
const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const clone = <T>(v: T): T => structuredClone(v);

/** Every label of `selector` is on `labels`. */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** A container port by name or number. */
function containerPort(c: any, port: string | number | undefined): number | undefined {
  if (typeof port === "number") return (c.ports ?? []).some((p: any) => p.containerPort === port) ? port : undefined;
  return (c.ports ?? []).find((p: any) => p.name === port)?.containerPort;
}

/** Kubernetes quantities (CPU in cores, memory in bytes). */
function quantity(q: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const f: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? f[m[2]] : 1);
}

/** The seconds a preStop hook waits: the sleep action, or an exec of `sleep N`. */
function preStopSeconds(c: any): number | null {
  const h = c.lifecycle?.preStop;
  if (h?.sleep) return Number(h.sleep.seconds);
  const m = /(?:^|\s|\/)sleep\s+(\d+)/.exec((h?.exec?.command ?? []).join(" "));
  return m ? Number(m[1]) : null;
}

/** The Ingress rule ingress-nginx would pick for host + path: Exact first, then the longest Prefix. */
function route(objs: Obj[], host: string, p: string): { ingress: Obj; backend: any } | null {
  let best: { ingress: Obj; backend: any; score: number } | null = null;
  for (const ing of byKind(objs, "Ingress")) {
    for (const rule of ing.spec?.rules ?? []) {
      if (rule.host && rule.host !== host) continue;
      for (const rp of rule.http?.paths ?? []) {
        const prefix = rp.path === "/" ? "/" : rp.path.replace(/\/$/, "");
        const hit =
          rp.pathType === "Exact" ? rp.path === p : rp.pathType === "Prefix" && (prefix === "/" || p === prefix || p.startsWith(prefix + "/"));
        const score = rp.pathType === "Exact" ? Infinity : prefix.length;
        if (hit && (!best || score > best.score)) best = { ingress: ing, backend: rp.backend, score };
      }
    }
  }
  return best && { ingress: best.ingress, backend: best.backend };
}

/** The environment one pod gets: literal values, downward-API fields, and Secret keys. */
function podEnv(objs: Obj[], c: any, pod = { name: "tessera-6d8f7b9c5-x2k9q", ip: "10.42.0.17" }): Record<string, string> {
  const env: Record<string, string> = {};
  const secret = (name: string) => byKind(objs, "Secret").find((s) => s.metadata.name === name);
  const secretValue = (s: Obj | undefined, key: string) =>
    s?.stringData?.[key] ?? (s?.data?.[key] !== undefined ? Buffer.from(s.data[key], "base64").toString() : undefined);
  for (const from of c.envFrom ?? []) {
    const s = from.secretRef ? secret(from.secretRef.name) : undefined;
    const cm = from.configMapRef ? byKind(objs, "ConfigMap").find((o) => o.metadata.name === from.configMapRef.name) : undefined;
    const keys = Object.keys({ ...(cm?.data ?? {}), ...(s?.data ?? {}), ...(s?.stringData ?? {}) });
    for (const k of keys) env[(from.prefix ?? "") + k] = String(cm?.data?.[k] ?? secretValue(s, k));
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef) {
      const f = e.valueFrom.fieldRef.fieldPath;
      env[e.name] = f === "metadata.name" ? pod.name : f === "status.podIP" ? pod.ip : `<${f}>`;
    } else if (e.valueFrom?.secretKeyRef) {
      const v = secretValue(secret(e.valueFrom.secretKeyRef.name), e.valueFrom.secretKeyRef.key);
      if (v !== undefined) env[e.name] = v;
    }
  }
  return env;
}

/** Names of every variable a container sets (env and envFrom). */
function envNames(objs: Obj[], c: any): string[] {
  const names = (c.env ?? []).map((e: any) => e.name as string);
  for (const from of c.envFrom ?? []) {
    const src = from.secretRef
      ? byKind(objs, "Secret").find((s) => s.metadata.name === from.secretRef.name)
      : byKind(objs, "ConfigMap").find((s) => s.metadata.name === from.configMapRef?.name);
    for (const k of Object.keys({ ...(src?.data ?? {}), ...(src?.stringData ?? {}) })) names.push((from.prefix ?? "") + k);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Schemas

const MODELS: Record<string, { validate(): void } & (new (data: any) => { validate(): void })> = {
  "apps/v1/Deployment": Deployment as any,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler as any,
  "networking.k8s.io/v1/Ingress": Ingress as any,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget as any,
  "v1/Namespace": Namespace as any,
  "v1/Secret": Secret as any,
  "v1/Service": Service as any,
};
/** The TypeScript model of each kind: module and interface. */
const TYPES: Record<string, [string, string]> = {
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "IDeployment"],
  "autoscaling/v2/HorizontalPodAutoscaler": ["kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler", "IHorizontalPodAutoscaler"],
  "networking.k8s.io/v1/Ingress": ["kubernetes-models/networking.k8s.io/v1/Ingress", "IIngress"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "IPodDisruptionBudget"],
  "v1/Namespace": ["kubernetes-models/v1/Namespace", "INamespace"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "ISecret"],
  "v1/Service": ["kubernetes-models/v1/Service", "IService"],
};
const gvk = (o: Obj) => `${o.apiVersion}/${o.kind}`;
const label = (o: Obj) => `${o.kind}/${o.metadata?.name}`;

function schemaProblems(objs: Obj[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    const Model = MODELS[gvk(o)];
    if (!Model) {
      out.push(`${label(o)}: no schema for ${gvk(o)} in this test (add it to MODELS and TYPES)`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      out.push(`${label(o)}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Type-check each object as a literal of its model's interface (excess properties are errors). */
function typeProblems(objs: Obj[]): string[] {
  const file = path.join(ROOT, "test", "__k8s_manifests__.ts");
  const imports = new Map<string, string>();
  const lines: string[] = [];
  objs.forEach((o, i) => {
    const t = TYPES[gvk(o)];
    if (!t) return; // reported by schemaProblems
    const alias = `T${imports.size}`;
    if (!imports.has(t[0])) imports.set(t[0], alias);
    lines.push(`// ${label(o)}\nexport const m${i}: ${imports.get(t[0])}.${t[1]} = ${JSON.stringify(o, null, 1)};`);
  });
  const text = [...imports].map(([mod, alias]) => `import type * as ${alias} from "${mod}";`).join("\n") + "\n" + lines.join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    // Only what the literals need: no DOM, no @types.
    lib: ["lib.es2022.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (path.resolve(name) === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const { line } = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0 };
    const owner = text.split("\n").slice(0, line + 1).reverse().find((l) => l.startsWith("// ")) ?? "";
    return `${owner.slice(3)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Consistency checks: each returns its problems (empty = fine).

const deployments = (objs: Obj[]) => byKind(objs, "Deployment");
const containersOf = (objs: Obj[]) => deployments(objs).flatMap((d) => (podSpecOf(d)?.containers ?? []).map((c: any) => ({ d, c })));

const CHECKS: Record<string, (objs: Obj[]) => string[]> = {
  "object names are DNS-1123 labels, unique per kind": (objs) => {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const o of objs) {
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.metadata?.name ?? "")) out.push(`${label(o)}: not a DNS-1123 label`);
      if (seen.has(label(o))) out.push(`${label(o)} is defined twice`);
      seen.add(label(o));
    }
    return out;
  },

  "every environment variable set is one the app reads, once": (objs) => {
    const out: string[] = [];
    for (const { d, c } of containersOf(objs)) {
      const names = envNames(objs, c);
      for (const n of names) if (!APP_ENV_VARS.includes(n)) out.push(`${label(d)}/${c.name}: sets ${n}, which Tessera does not read`);
      for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) out.push(`${label(d)}/${c.name}: sets ${n} twice`);
    }
    return out;
  },

  "INSTANCE_ID is the pod's own name": (objs) =>
    containersOf(objs).flatMap(({ d, c }) => {
      const e = (c.env ?? []).find((x: any) => x.name === "INSTANCE_ID");
      return e?.valueFrom?.fieldRef?.fieldPath === "metadata.name" ? [] : [`${label(d)}/${c.name}: INSTANCE_ID must come from metadata.name (unique per replica)`];
    }),

  "PORT, the container port, the Dockerfile and the probes agree": (objs) => {
    const out: string[] = [];
    const exposed = /^EXPOSE\s+(\d+)/m.exec(read("Dockerfile"))?.[1];
    for (const { d, c } of containersOf(objs)) {
      const where = `${label(d)}/${c.name}`;
      const port = Number(podEnv(objs, c).PORT ?? 3000);
      const http = containerPort(c, "http");
      if (http !== port) out.push(`${where}: containerPort 'http' is ${http}, PORT is ${port}`);
      if (String(port) !== exposed) out.push(`${where}: PORT ${port} but the Dockerfile exposes ${exposed}`);
      for (const [probe, paths] of [
        ["startupProbe", [HEALTH_PATH]],
        ["readinessProbe", [HEALTH_PATH]],
        ["livenessProbe", LIVENESS_PATHS],
      ] as const) {
        const p = c[probe];
        if (!p?.httpGet) {
          out.push(`${where}: no HTTP ${probe}`);
          continue;
        }
        if (!(paths as readonly string[]).includes(p.httpGet.path)) out.push(`${where}: ${probe} asks ${p.httpGet.path}, expected one of ${paths.join(", ")}`);
        if (containerPort(c, p.httpGet.port) !== port) out.push(`${where}: ${probe} port ${p.httpGet.port} is not PORT ${port}`);
      }
    }
    return out;
  },

  "the Deployment's selector picks its own pods": (objs) =>
    deployments(objs).flatMap((d) => (selects(d.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels) ? [] : [`${label(d)}: selector does not match the pod labels`])),

  "Services select the Deployment's pods and target its container port": (objs) => {
    const out: string[] = [];
    for (const s of byKind(objs, "Service")) {
      const d = deployments(objs).find((x) => selects(s.spec?.selector, x.spec?.template?.metadata?.labels));
      if (!d) {
        out.push(`${label(s)}: selector matches no Deployment's pods`);
        continue;
      }
      for (const p of s.spec?.ports ?? []) {
        if (!podSpecOf(d).containers.some((c: any) => containerPort(c, p.targetPort ?? p.port) !== undefined)) {
          out.push(`${label(s)}: port ${p.name ?? p.port} targets ${p.targetPort}, which no container of ${label(d)} has`);
        }
      }
    }
    if (byKind(objs, "Service").length === 0) out.push("no Service");
    return out;
  },

  "Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes": (objs) => {
    const out: string[] = [];
    const hosts = [...new Set(byKind(objs, "Ingress").flatMap((i) => (i.spec?.rules ?? []).map((r: any) => r.host)))];
    if (hosts.length === 0) out.push("no Ingress rule");
    const minTimeout = (2 * WS_HEARTBEAT_INTERVAL_MS) / 1000;
    for (const host of hosts) {
      for (const p of ["/", "/ws", "/api/health", "/api/pixel", "/api/boards/main/pixel", "/api/boards/main/canvas"]) {
        const r = route(objs, host, p);
        if (!r) {
          out.push(`${host}${p}: no Ingress path serves it`);
          continue;
        }
        const svc = byKind(objs, "Service").find((s) => s.metadata.name === r.backend?.service?.name);
        const want = r.backend?.service?.port;
        if (!svc) out.push(`${host}${p}: backend Service ${r.backend?.service?.name} does not exist`);
        else if (!(svc.spec?.ports ?? []).some((sp: any) => (want?.name !== undefined ? sp.name === want.name : sp.port === want?.number))) {
          out.push(`${host}${p}: Service ${svc.metadata.name} has no port ${want?.name ?? want?.number}`);
        }
        const a = r.ingress.metadata.annotations ?? {};
        if (p === "/ws") {
          for (const t of ["proxy-read-timeout", "proxy-send-timeout"]) {
            const v = Number(a[`nginx.ingress.kubernetes.io/${t}`]);
            if (!(v >= minTimeout)) out.push(`${host}/ws (${label(r.ingress)}): ${t} ${a[`nginx.ingress.kubernetes.io/${t}`]} s, needs ≥ ${minTimeout} s (2 × WS_HEARTBEAT_INTERVAL_MS)`);
          }
          if (a["nginx.ingress.kubernetes.io/proxy-buffering"] !== "off") out.push(`${host}/ws (${label(r.ingress)}): proxy-buffering is not off`);
        }
        if (p.endsWith("/pixel") && a["nginx.ingress.kubernetes.io/proxy-next-upstream"] !== "off") {
          out.push(`${host}${p} (${label(r.ingress)}): a placement could be retried on another replica (proxy-next-upstream is not off)`);
        }
      }
      const tls = byKind(objs, "Ingress").every((i) => (i.spec?.tls ?? []).some((t: any) => t.hosts?.includes(host) && t.secretName));
      if (!tls) out.push(`${host}: not every Ingress has TLS for it`);
    }
    return out;
  },

  "ALLOWED_ORIGINS is the Ingress host over https": (objs) => {
    const hosts = new Set(byKind(objs, "Ingress").flatMap((i) => (i.spec?.rules ?? []).map((r: any) => r.host)));
    return containersOf(objs).flatMap(({ d, c }) => {
      const origins = (podEnv(objs, c).ALLOWED_ORIGINS ?? "").split(",").filter(Boolean);
      const want = [...hosts].map((h) => `https://${h}`);
      return origins.length > 0 && origins.every((o) => want.includes(o)) && want.every((w) => origins.includes(w))
        ? []
        : [`${label(d)}: ALLOWED_ORIGINS '${origins.join(",")}' is not the Ingress origin(s) ${want.join(",")}`];
    });
  },

  "the grace period covers the preStop sleep and the server's shutdown deadline": (objs) =>
    deployments(objs).flatMap((d) => {
      const spec = podSpecOf(d);
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      return spec.containers.flatMap((c: any) => {
        const sleep = preStopSeconds(c);
        if (sleep === null || !(sleep > 0)) return [`${label(d)}/${c.name}: no preStop sleep (new connections would still be routed to a closing replica)`];
        const need = sleep + SHUTDOWN_DEADLINE_MS / 1000;
        return grace > need ? [] : [`${label(d)}: terminationGracePeriodSeconds ${grace} ≤ preStop ${sleep} s + SHUTDOWN_DEADLINE_MS ${SHUTDOWN_DEADLINE_MS / 1000} s`];
      });
    }),

  "the HorizontalPodAutoscaler targets the Deployment, whose containers request what it measures": (objs) => {
    const out: string[] = [];
    const hpas = byKind(objs, "HorizontalPodAutoscaler");
    if (hpas.length === 0) out.push("no HorizontalPodAutoscaler");
    for (const h of hpas) {
      const ref = h.spec?.scaleTargetRef ?? {};
      const d = deployments(objs).find((x) => x.metadata.name === ref.name);
      if (ref.kind !== "Deployment" || ref.apiVersion !== "apps/v1" || !d) {
        out.push(`${label(h)}: scaleTargetRef ${ref.apiVersion}/${ref.kind}/${ref.name} is not a Deployment here`);
        continue;
      }
      if (!(h.spec.minReplicas >= 2 && h.spec.minReplicas <= h.spec.maxReplicas)) out.push(`${label(h)}: replicas ${h.spec.minReplicas}…${h.spec.maxReplicas}`);
      for (const m of h.spec?.metrics ?? []) {
        if (m.type !== "Resource" || m.resource?.target?.type !== "Utilization") continue;
        for (const c of podSpecOf(d).containers) {
          if (!c.resources?.requests?.[m.resource.name]) out.push(`${label(h)}: ${c.name} requests no ${m.resource.name}, so ${m.resource.name} utilization is undefined`);
        }
      }
    }
    return out;
  },

  "the PodDisruptionBudget covers the Deployment's pods and allows a disruption": (objs) => {
    const out: string[] = [];
    const pdbs = byKind(objs, "PodDisruptionBudget");
    if (pdbs.length === 0) out.push("no PodDisruptionBudget");
    for (const p of pdbs) {
      const d = deployments(objs).find((x) => selects(p.spec?.selector?.matchLabels, x.spec?.template?.metadata?.labels));
      if (!d) {
        out.push(`${label(p)}: selects no Deployment's pods`);
        continue;
      }
      const min = byKind(objs, "HorizontalPodAutoscaler").find((h) => h.spec?.scaleTargetRef?.name === d.metadata.name)?.spec?.minReplicas ?? d.spec.replicas ?? 1;
      const allowed = p.spec.maxUnavailable !== undefined ? Number(p.spec.maxUnavailable) : min - Number(p.spec.minAvailable);
      if (!(allowed >= 1 && allowed < min)) out.push(`${label(p)}: allows ${allowed} of ${min} replicas down (want at least one, and not all)`);
    }
    return out;
  },

  "every Secret referenced exists with the keys required, and every Secret key is used": (objs) => {
    const out: string[] = [];
    const used = new Set<string>();
    for (const { d, c } of containersOf(objs)) {
      const refs = [...(c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef).filter(Boolean)];
      for (const r of refs) {
        const s = byKind(objs, "Secret").find((x) => x.metadata.name === r.name);
        used.add(`${r.name}/${r.key}`);
        if (!s) out.push(`${label(d)}/${c.name}: Secret ${r.name} does not exist`);
        else if (!r.optional && s.stringData?.[r.key] === undefined && s.data?.[r.key] === undefined) out.push(`${label(d)}/${c.name}: Secret ${r.name} has no key ${r.key}`);
      }
      for (const f of c.envFrom ?? []) if (f.secretRef) for (const s of byKind(objs, "Secret").filter((x) => x.metadata.name === f.secretRef.name)) for (const k of Object.keys({ ...s.data, ...s.stringData })) used.add(`${s.metadata.name}/${k}`);
    }
    for (const s of byKind(objs, "Secret")) {
      for (const k of Object.keys({ ...(s.data ?? {}), ...(s.stringData ?? {}) })) if (!used.has(`${s.metadata.name}/${k}`)) out.push(`Secret ${s.metadata.name}: key ${k} is never used`);
    }
    return out;
  },

  "requests fit under limits, for CPU and memory": (objs) =>
    containersOf(objs).flatMap(({ d, c }) =>
      ["cpu", "memory"].flatMap((r) => {
        const req = c.resources?.requests?.[r];
        const lim = c.resources?.limits?.[r];
        if (req === undefined || lim === undefined) return [`${label(d)}/${c.name}: no ${r} request and limit`];
        return quantity(req) <= quantity(lim) ? [] : [`${label(d)}/${c.name}: ${r} request ${req} exceeds the limit ${lim}`];
      }),
    ),

  "/metrics: METRICS_PORT is the 'metrics' port, on the pod address, scraped there, exposed by no Service": (objs) => {
    const out: string[] = [];
    for (const { d, c } of containersOf(objs)) {
      const env = podEnv(objs, c);
      const port = containerPort(c, "metrics");
      if (env.METRICS_PORT === undefined) continue;
      if (Number(env.METRICS_PORT) !== port) out.push(`${label(d)}: METRICS_PORT ${env.METRICS_PORT}, 'metrics' containerPort ${port}`);
      if (d.spec.template.metadata?.annotations?.["prometheus.io/port"] !== env.METRICS_PORT) out.push(`${label(d)}: prometheus.io/port is not METRICS_PORT`);
      const host = (c.env ?? []).find((e: any) => e.name === "METRICS_HOST");
      if (host?.valueFrom?.fieldRef?.fieldPath !== "status.podIP") out.push(`${label(d)}: METRICS_HOST should be the pod's own address (status.podIP), not a public or wildcard one`);
      for (const s of byKind(objs, "Service")) {
        for (const p of s.spec?.ports ?? []) if (containerPort(c, p.targetPort ?? p.port) === port) out.push(`${label(s)}: exposes the metrics port`);
      }
    }
    return out;
  },

  "the image is the Dockerfile's, named as kustomization.yaml rewrites it, run as its non-root user": (objs) => {
    const out: string[] = [];
    const { k } = loadKustomization();
    const dockerUser = /^USER\s+(\S+)/m.exec(read("Dockerfile"))?.[1];
    for (const d of deployments(objs)) {
      const spec = podSpecOf(d);
      for (const c of spec.containers) {
        if (!k.images?.some((i) => c.image === `${i.newName ?? i.name}${i.newTag ? `:${i.newTag}` : ""}`)) out.push(`${label(d)}/${c.name}: image ${c.image} is not rewritten by kustomization.yaml's images`);
      }
      // The official node images' `node` user is uid 1000.
      if (dockerUser !== "node" || spec.securityContext?.runAsUser !== 1000 || spec.securityContext?.runAsNonRoot !== true) {
        out.push(`${label(d)}: runs as ${spec.securityContext?.runAsUser} (runAsNonRoot ${spec.securityContext?.runAsNonRoot}); the Dockerfile's user is ${dockerUser} (uid 1000)`);
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------

const { k: kustomization, objects } = loadKustomization();

describe("deploy/k8s: the kustomization", () => {
  it("lists every manifest in the folder, each existing, with fields kustomize knows", () => {
    expect(kustomization.apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
    expect(kustomization.kind).toBe("Kustomization");
    for (const key of Object.keys(kustomization)) expect(KUSTOMIZATION_KEYS, `kustomization.yaml: ${key}`).toContain(key);
    const yamls = fs.readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
    expect([...kustomization.resources].sort()).toEqual(yamls);
    expect(byKind(objects, "Namespace").map((n) => n.metadata.name)).toEqual([kustomization.namespace]);
  });

  const kubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
  if (!kubectl) console.warn("k8s.test.ts: kubectl not installed; the kustomization is read by this test alone");
  it.skipIf(!kubectl)("renders with `kubectl kustomize` to exactly the objects this test checks", () => {
    const r = spawnSync("kubectl", ["kustomize", DIR], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const rendered = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
    const sort = (a: Obj[]) => [...a].sort((x, y) => key(x).localeCompare(key(y)));
    expect(sort(rendered)).toEqual(sort(objects));
  });
});

describe("deploy/k8s: the Kubernetes schemas", () => {
  it("has the objects SPEC §14 asks for", () => {
    const kinds = objects.map((o) => o.kind);
    for (const k of ["Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret"]) expect(kinds).toContain(k);
  });

  it("validates every object against its JSON schema", () => {
    expect(schemaProblems(objects)).toEqual([]);
  });

  it("type-checks every object against its model (no unknown or misplaced fields)", () => {
    expect(typeProblems(objects)).toEqual([]);
  }, 60_000);
});

describe("deploy/k8s: consistency with itself and with the app", () => {
  for (const [name, check] of Object.entries(CHECKS)) {
    it(name, () => {
      expect(check(objects)).toEqual([]);
    });
  }

  it("a pod's environment passes the app's own configuration check once the placeholders are replaced", () => {
    for (const { c } of containersOf(objects)) {
      const env = podEnv(objects, c);
      const real = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replaceAll("CHANGE-ME", `${k.toLowerCase()}-0123456789abcdef0123456789abcdef`)]),
      );
      const config = loadConfig(real);
      expect(config.port).toBe(containerPort(c, "http"));
      expect(config.instanceId).toBe(env.INSTANCE_ID);
      expect(config.trustProxy).toBe(true);
    }
  });

  it("refuses to start with the placeholder secrets as shipped", () => {
    for (const { c } of containersOf(objects)) {
      const env = podEnv(objects, c);
      expect(env.SESSION_SECRET).toBe("CHANGE-ME");
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/SESSION_SECRET/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Each check catches what it is for: one broken copy of the manifests per case.

const deploymentOf = (objs: Obj[]) => deployments(objs)[0];
const containerOf = (objs: Obj[]) => podSpecOf(deploymentOf(objs)).containers[0];
const envOf = (objs: Obj[], name: string) => containerOf(objs).env.find((e: any) => e.name === name);
const named = (objs: Obj[], kind: string, name: string) => byKind(objs, kind).find((o) => o.metadata.name === name)!;

const BREAKAGES: Array<[string, string, (objs: Obj[]) => void]> = [
  ["object names are DNS-1123 labels, unique per kind", "a Service named Tessera_Web", (o) => (byKind(o, "Service")[0].metadata.name = "Tessera_Web")],
  ["every environment variable set is one the app reads, once", "a misspelt variable", (o) => containerOf(o).env.push({ name: "SESION_SECRET", value: "x" })],
  ["every environment variable set is one the app reads, once", "a variable set twice", (o) => containerOf(o).env.push({ name: "LOG_LEVEL", value: "debug" })],
  ["INSTANCE_ID is the pod's own name", "a fixed INSTANCE_ID shared by all replicas", (o) => (envOf(o, "INSTANCE_ID").valueFrom = undefined, envOf(o, "INSTANCE_ID").value = "tessera")],
  ["PORT, the container port, the Dockerfile and the probes agree", "PORT changed alone", (o) => (envOf(o, "PORT").value = "8080")],
  ["PORT, the container port, the Dockerfile and the probes agree", "readiness on another path", (o) => (containerOf(o).readinessProbe.httpGet.path = "/healthz")],
  ["PORT, the container port, the Dockerfile and the probes agree", "liveness on a port nobody listens on", (o) => (containerOf(o).livenessProbe.httpGet.port = 8080)],
  ["PORT, the container port, the Dockerfile and the probes agree", "no startup probe", (o) => delete containerOf(o).startupProbe],
  ["the Deployment's selector picks its own pods", "pod label changed", (o) => (deploymentOf(o).spec.template.metadata.labels["app.kubernetes.io/component"] = "web")],
  ["Services select the Deployment's pods and target its container port", "Service selector typo", (o) => (byKind(o, "Service")[0].spec.selector["app.kubernetes.io/name"] = "tesera")],
  ["Services select the Deployment's pods and target its container port", "targetPort names no container port", (o) => (byKind(o, "Service")[0].spec.ports[0].targetPort = "web")],
  ["Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes", "default 60 s timeouts on /ws", (o) => delete named(o, "Ingress", "tessera-ws").metadata.annotations!["nginx.ingress.kubernetes.io/proxy-read-timeout"]],
  ["Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes", "buffering on /ws", (o) => (named(o, "Ingress", "tessera-ws").metadata.annotations!["nginx.ingress.kubernetes.io/proxy-buffering"] = "on")],
  ["Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes", "the writes Ingress removed (placements retried)", (o) => o.splice(o.indexOf(named(o, "Ingress", "tessera-writes")), 1)],
  ["Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes", "backend Service misnamed", (o) => (named(o, "Ingress", "tessera").spec.rules[0].http.paths[0].backend.service.name = "tessera-web")],
  ["Ingresses route the page, /ws and placements to the Service, with WebSocket timeouts and no retried writes", "backend port the Service lacks", (o) => (named(o, "Ingress", "tessera-ws").spec.rules[0].http.paths[0].backend.service.port = { name: "websocket" })],
  ["ALLOWED_ORIGINS is the Ingress host over https", "origin over http", (o) => (envOf(o, "ALLOWED_ORIGINS").value = "http://tessera.example.com")],
  ["the grace period covers the preStop sleep and the server's shutdown deadline", "grace period of 10 s", (o) => (podSpecOf(deploymentOf(o)).terminationGracePeriodSeconds = 10)],
  ["the grace period covers the preStop sleep and the server's shutdown deadline", "no preStop hook", (o) => delete containerOf(o).lifecycle],
  ["the grace period covers the preStop sleep and the server's shutdown deadline", "exec preStop sleeping 12 s", (o) => (containerOf(o).lifecycle.preStop = { exec: { command: ["sleep", "12"] } })],
  ["the HorizontalPodAutoscaler targets the Deployment, whose containers request what it measures", "HPA on another Deployment", (o) => (byKind(o, "HorizontalPodAutoscaler")[0].spec.scaleTargetRef.name = "tessera-web")],
  ["the HorizontalPodAutoscaler targets the Deployment, whose containers request what it measures", "no CPU request", (o) => delete containerOf(o).resources.requests.cpu],
  ["the PodDisruptionBudget covers the Deployment's pods and allows a disruption", "PDB blocking every drain", (o) => (byKind(o, "PodDisruptionBudget")[0].spec = { ...byKind(o, "PodDisruptionBudget")[0].spec, maxUnavailable: 0 })],
  ["the PodDisruptionBudget covers the Deployment's pods and allows a disruption", "PDB selecting nothing", (o) => (byKind(o, "PodDisruptionBudget")[0].spec.selector.matchLabels = { app: "tessera" })],
  ["every Secret referenced exists with the keys required, and every Secret key is used", "required key missing", (o) => delete byKind(o, "Secret")[0].stringData.SESSION_SECRET],
  ["every Secret referenced exists with the keys required, and every Secret key is used", "Secret misnamed", (o) => (envOf(o, "DATABASE_URL").valueFrom.secretKeyRef.name = "tessera-db")],
  ["every Secret referenced exists with the keys required, and every Secret key is used", "a key nobody reads", (o) => (byKind(o, "Secret")[0].stringData.METRICS_TOKN = "x")],
  ["requests fit under limits, for CPU and memory", "memory request above the limit", (o) => (containerOf(o).resources.requests.memory = "1Gi")],
  ["/metrics: METRICS_PORT is the 'metrics' port, on the pod address, scraped there, exposed by no Service", "METRICS_PORT off its container port", (o) => (envOf(o, "METRICS_PORT").value = "9100")],
  ["/metrics: METRICS_PORT is the 'metrics' port, on the pod address, scraped there, exposed by no Service", "metrics on every interface", (o) => (envOf(o, "METRICS_HOST").valueFrom = undefined, envOf(o, "METRICS_HOST").value = "0.0.0.0")],
  ["/metrics: METRICS_PORT is the 'metrics' port, on the pod address, scraped there, exposed by no Service", "the Service exposing metrics", (o) => byKind(o, "Service")[0].spec.ports.push({ name: "metrics", port: 9464, targetPort: "metrics" })],
  ["the image is the Dockerfile's, named as kustomization.yaml rewrites it, run as its non-root user", "image name the kustomization does not rewrite", (o) => (containerOf(o).image = "ghcr.io/other/tessera:1")],
  ["the image is the Dockerfile's, named as kustomization.yaml rewrites it, run as its non-root user", "running as root", (o) => (podSpecOf(deploymentOf(o)).securityContext.runAsUser = 0)],
];

describe("deploy/k8s: every check fails on a manifest broken the way it guards against", () => {
  it("has a breakage for every check", () => {
    const covered = new Set(BREAKAGES.map(([check]) => check));
    for (const name of Object.keys(CHECKS)) expect(covered, name).toContain(name);
  });

  it.each(BREAKAGES)("%s — %s", (check, _what, breakIt) => {
    const broken = clone(objects);
    breakIt(broken);
    expect(CHECKS[check], `no check named '${check}'`).toBeTypeOf("function");
    expect(CHECKS[check](broken).length).toBeGreaterThan(0);
  });

  it("the schema check rejects a wrongly typed field, the type check a misspelt and a misplaced one", () => {
    const broken = clone(objects);
    containerOf(broken).ports[0].containerPort = "3000";
    expect(schemaProblems(broken).join("\n")).toMatch(/containerPort must be integer/);
    // Two broken copies of the Deployment in one compilation (TypeScript reports the first excess
    // property of each literal): a misspelt field, and a valid field at the wrong level.
    const typo = clone(deploymentOf(objects));
    typo.metadata.name = "typo";
    const c = podSpecOf(typo).containers[0];
    c.readinessprobe = c.readinessProbe;
    delete c.readinessProbe;
    const misplaced = clone(deploymentOf(objects));
    misplaced.metadata.name = "misplaced";
    podSpecOf(misplaced).livenessProbe = { httpGet: { path: "/api/health", port: "http" } };
    const problems = typeProblems([typo, misplaced]).join("\n");
    expect(problems).toMatch(/Deployment\/typo: .*'"readinessprobe"' does not exist in type 'IContainer'/);
    expect(problems).toMatch(/Deployment\/misplaced: .*'"livenessProbe"' does not exist in type 'IPodSpec'/);
  }, 60_000);
});
