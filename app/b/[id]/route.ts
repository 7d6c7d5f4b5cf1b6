// `/b/{id}` (SPEC §9): every board is shown by the one static board page at `/`. The server's
// Content-Security-Policy allows only the inline scripts of pages prerendered at build time
// (server/csp.ts hashes them), and a page rendered per board would carry per-request inline
// scripts it blocks — so this answers with a redirect to `/?board={id}` (query kept), and the
// page's head script (app/layout.tsx) puts `/b/{id}` back in the address bar before anything
// reads it. (A rewrite in next.config.js would save the round trip: see docs/ARCHITECTURE.md.)

export const dynamic = "force-dynamic";

export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await context.params;
  const query = new URLSearchParams(new URL(request.url).search);
  query.delete("board");
  const rest = query.toString();
  return new Response(null, {
    status: 307,
    headers: {
      Location: `/?board=${encodeURIComponent(id)}${rest ? `&${rest}` : ""}`,
      "Cache-Control": "no-store",
    },
  });
}
