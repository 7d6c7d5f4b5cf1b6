// Reconnect: the server is stopped (SIGTERM) and started again on the same port while another user
// keeps placing pixels over HTTP. The page shows `reconnecting`, refuses to place while it can't,
// comes back `live` by itself, and its board then equals GET /api/canvas byte for byte — nothing
// placed while it was away is missed. Runs on its own server (embedded PGlite in a temp DATA_DIR).

import { expect, test, type APIRequestContext } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { clickPixel, drawnColor, drawnMismatches, join, pageBoard, shownIndex } from "./helpers";
import { startServerPatiently } from "./fixtures";
import { fetchCanvas, type TesseraServer } from "./server-process";

const W = 120;
const H = 90;
let server: TesseraServer;

test.beforeAll(async () => {
  server = await startServerPatiently({
    env: { CANVAS_WIDTH: String(W), CANVAS_HEIGHT: String(H), COOLDOWN_MS: "0" },
    instanceId: "e2e-reconnect",
  });
});

test.afterAll(async () => {
  await server?.dispose();
});

let counter = 0;
/** The painter's next placement over HTTP: a walk over the board in changing colours. */
async function paint(api: APIRequestContext): Promise<number> {
  const n = counter++;
  const res = await api.put("/api/pixel", { data: { x: (n * 7) % W, y: 40 + (Math.floor(n / W) % 40), color: 1 + (n % (PALETTE.length - 1)) } });
  expect(res.status()).toBe(200);
  return (await res.json()).seq as number;
}

test("after a server restart the page reconnects by itself and misses nothing", async ({ browser }) => {
  test.setTimeout(90_000);
  const viewerContext = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  const viewer = await viewerContext.newPage();
  await join(viewer, "Viewer", "/?x=60&y=45&zoom=6");
  const status = viewer.getByTestId("connection-status");

  const painterContext = await browser.newContext({ baseURL: server.url });
  const api = painterContext.request;
  expect((await api.post("/api/session", { data: { name: "Painter" } })).status()).toBe(200);

  // Before: both place, the viewer sees it all live.
  await viewer.getByTestId("color-12").click();
  await clickPixel(viewer, 10, 10);
  await expect.poll(() => drawnColor(viewer, 10, 10)).toBe(PALETTE[12]);
  for (let i = 0; i < 5; i++) await paint(api);
  await expect.poll(() => viewer.evaluate(() => (window as unknown as { __tessera: { seq: number } }).__tessera.seq)).toBe(6);

  // The server goes down: the page says so and does not pretend to place.
  await server.stop("SIGTERM");
  await expect(status).toHaveAttribute("data-state", "reconnecting");
  await clickPixel(viewer, 11, 10);
  // (Refused at once between attempts; made during an attempt it is rolled back when that fails.)
  await expect(viewer.getByTestId("toast").filter({ hasText: /not connected|connection dropped/i })).toBeVisible();
  await expect.poll(() => shownIndex(viewer, 11, 10)).toBe(0);

  // While the page cannot reconnect (its browser is offline), the server comes back on the same
  // port and the painter places over HTTP: these placements can only reach the page through `sync`.
  await viewerContext.setOffline(true);
  await expect(status).toHaveAttribute("data-state", "offline");
  await server.start();
  const placedWhileAway = 10;
  for (let i = 0; i < placedWhileAway; i++) await paint(api);
  await viewerContext.setOffline(false);

  // Back online it reconnects by itself; the painter goes on placing until the page has been live a while.
  let placedAfterAway = 0;
  await expect(status).toHaveAttribute("data-state", "live", { timeout: 30_000 });
  while (placedAfterAway < 20) {
    await paint(api);
    placedAfterAway++;
  }
  const placedWhileBack = placedWhileAway + placedAfterAway;

  // Nothing missed: the page's board is the server's, byte for byte, and so is what it draws.
  const server1 = await fetchCanvas(server.url);
  const expected = { base64: Buffer.from(server1.bytes).toString("base64"), seq: server1.seq };
  await expect.poll(() => pageBoard(viewer), { timeout: 15_000 }).toEqual(expected);
  expect(server1.seq).toBe(6 + placedWhileBack);
  expect(await drawnMismatches(viewer)).toBe(0);
  expect(await drawnColor(viewer, 10, 10)).toBe(PALETTE[12]);

  // And it places again.
  await viewer.getByTestId("color-20").click();
  await clickPixel(viewer, 11, 10);
  await expect.poll(() => drawnColor(viewer, 11, 10)).toBe(PALETTE[20]);
  expect(await (await fetch(`${server.url}/api/pixel?x=11&y=10`)).json()).toMatchObject({ color: 20, user: { name: "Viewer" } });

  await viewerContext.close();
  await painterContext.close();
});
