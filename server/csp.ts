// Security headers for pages, with a Content-Security-Policy that allows no inline script except
// the exact ones the production build prerendered: the pages are static, so their inline scripts
// (Next's bootstrap and our board prefetch) are known at start and allowed by hash.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

/** The prerendered pages of a production build, nested folders included (/boards, /b/…/…). */
function prerenderedPages(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return prerenderedPages(full);
    return e.isFile() && e.name.endsWith(".html") ? [full] : [];
  });
}

/**
 * sha256 sources of every inline script in the prerendered pages of a production build (the
 * layout's own head script among them, which pages rendered per request carry too).
 */
function inlineScriptHashes(projectRoot: string): string[] {
  const hashes = new Set<string>();
  for (const file of prerenderedPages(path.join(projectRoot, ".next", "server", "app"))) {
    const html = fs.readFileSync(file, "utf8");
    for (const m of html.matchAll(INLINE_SCRIPT)) {
      hashes.add(`'sha256-${createHash("sha256").update(m[1], "utf8").digest("base64")}'`);
    }
  }
  return [...hashes];
}

/**
 * Headers for page responses, made per request. In development Next needs eval and inline scripts
 * for hot reload. In production the policy allows the prerendered pages' inline scripts by hash and
 * a page rendered per request by the request's nonce: the server puts the policy on the request too,
 * where Next reads the nonce and adds it to the inline scripts it renders.
 */
export function pageSecurityHeaders(projectRoot: string, dev: boolean): (nonce: string) => Record<string, string> {
  const hashes = dev ? [] : inlineScriptHashes(projectRoot);
  return (nonce) => headersFor(dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : `'self' 'nonce-${nonce}' ${hashes.join(" ")}`.trim(), dev);
}

function headersFor(scriptSrc: string, dev: boolean): Record<string, string> {
  const csp = [
    "default-src 'self'",
    `script-src ${scriptSrc}`,
    // React sets style attributes (board transform); Next inlines critical CSS.
    "style-src 'self' 'unsafe-inline'",
    // https: so a template overlay may show an image from any https host (issue 14); images only —
    // scripts, styles and connections stay same-origin, and plain http: images stay blocked.
    "img-src 'self' data: blob: https:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
}
