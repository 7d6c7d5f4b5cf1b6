// `node --import tsx scripts/bundle-size.ts [--json] [--max-bytes N]`: the compressed size of the
// JavaScript the `/` page ships, from the production build in .next/ (run `npm run build` first).
//
// It reads the prerendered HTML of `/`, takes every distinct `/_next/static/chunks/*.js` it names
// (script tags, preloads and the chunk lists inside the inline React payload — everything the
// browser fetches to start the page), compresses each file on its own with gzip level 9 (as a
// server or CDN would send it) and adds them up. Scripts marked `noModule` (Next's polyfills for
// browsers without ES modules) are not fetched by any browser the page supports, and the inline
// scripts arrive with the document: both are reported beside the total, not in it. Exits 1 when
// the total is over the limit (default BUNDLE_MAX_GZIP_BYTES), so CI or the benchmark can watch it.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The page's JavaScript must stay under this, gzip -9 (issue 14: "under 200 KB compressed"). */
export const BUNDLE_MAX_GZIP_BYTES = 200_000;

const CHUNK_REF = /\/_next\/static\/chunks\/[A-Za-z0-9_.~\-/]+?\.js/g;
const NOMODULE_SCRIPT = /<script[^>]*\bsrc="([^"]+\.js)"[^>]*\bnoModule\b[^>]*>|<script[^>]*\bnoModule\b[^>]*\bsrc="([^"]+\.js)"[^>]*>/gi;
const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

export interface BundleReport {
  page: string;
  chunks: Array<{ file: string; bytes: number; gzipBytes: number }>;
  /** `noModule` scripts: named by the HTML, fetched only by browsers without ES modules. */
  noModule: Array<{ file: string; bytes: number; gzipBytes: number }>;
  totalBytes: number;
  totalGzipBytes: number;
  inlineScriptBytes: number;
  inlineScriptGzipBytes: number;
  limitGzipBytes: number;
}

const gz = (b: Buffer | string) => gzipSync(b, { level: 9 }).length;

/** Measure the build in `root`/.next for the page prerendered as `htmlFile`. */
export function measureBundle(root = ROOT, htmlFile = "index.html", limit = BUNDLE_MAX_GZIP_BYTES): BundleReport {
  const htmlPath = path.join(root, ".next", "server", "app", htmlFile);
  if (!fs.existsSync(htmlPath)) throw new Error(`${path.relative(root, htmlPath)} not found: run \`npm run build\` first`);
  const html = fs.readFileSync(htmlPath, "utf8");
  const noModule = new Set([...html.matchAll(NOMODULE_SCRIPT)].map((m) => m[1] ?? m[2]));
  const refs = [...new Set(html.match(CHUNK_REF) ?? [])].sort();
  if (refs.length === 0) throw new Error(`${htmlFile} names no JavaScript chunk: is this a Next.js build?`);
  const measure = (ref: string) => {
    const file = path.join(root, ".next", "static", ref.slice("/_next/static/".length));
    const data = fs.readFileSync(file);
    return { file: ref, bytes: data.length, gzipBytes: gz(data) };
  };
  const chunks = refs.filter((r) => !noModule.has(r)).map(measure);
  const inline = [...html.matchAll(INLINE_SCRIPT)].map((m) => m[1]).join("\n");
  return {
    page: "/",
    chunks,
    noModule: refs.filter((r) => noModule.has(r)).map(measure),
    totalBytes: chunks.reduce((n, c) => n + c.bytes, 0),
    totalGzipBytes: chunks.reduce((n, c) => n + c.gzipBytes, 0),
    inlineScriptBytes: Buffer.byteLength(inline),
    inlineScriptGzipBytes: gz(inline),
    limitGzipBytes: limit,
  };
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

function main(): void {
  const i = process.argv.indexOf("--max-bytes");
  const limit = i >= 0 ? Number(process.argv[i + 1]) : BUNDLE_MAX_GZIP_BYTES;
  if (!(limit > 0)) {
    console.error("bundle-size: --max-bytes needs a positive number of bytes");
    process.exit(2);
  }
  let r: BundleReport;
  try {
    r = measureBundle(ROOT, "index.html", limit);
  } catch (e) {
    console.error(`bundle-size: ${(e as Error).message}`);
    process.exit(2);
  }
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r));
  } else {
    for (const c of r.chunks) console.log(`${c.file.padEnd(52)} ${kb(c.bytes).padStart(10)} ${kb(c.gzipBytes).padStart(10)} gzip`);
    for (const c of r.noModule) console.log(`${c.file.padEnd(52)} ${kb(c.bytes).padStart(10)} ${kb(c.gzipBytes).padStart(10)} gzip (noModule, not counted)`);
    console.log(`inline scripts of the HTML (not counted)`.padEnd(52) + ` ${kb(r.inlineScriptBytes).padStart(10)} ${kb(r.inlineScriptGzipBytes).padStart(10)} gzip`);
    console.log(
      `bundle-size: page / ships ${r.chunks.length} JavaScript chunks, ${kb(r.totalBytes)} raw, ${kb(r.totalGzipBytes)} gzip -9 ` +
        `(limit ${kb(r.limitGzipBytes)}; 1 KB = 1000 bytes)`,
    );
  }
  if (r.totalGzipBytes > r.limitGzipBytes) {
    console.error(`bundle-size: over the limit by ${kb(r.totalGzipBytes - r.limitGzipBytes)}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
