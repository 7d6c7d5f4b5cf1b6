// Template overlay (issue 14): load an image file or an https image address, put it on the board
// (position and width in board pixels), set its opacity, show only the pixels the board does not
// match yet; a URL template travels in the page address (a shared link shows it to others) and
// every template is kept per board on this device. The image is served to the browser through
// Playwright's network routing from a cross-origin https address, so the page's CSP (img-src
// https:) and CORS apply exactly as for a real image host.

import type { Page } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { encodeIndexedPng } from "../server/canvas/png";
import { expect, test } from "./fixtures";
import { clickPixel, pixelOnScreen, zoomOf, type TesseraDebug } from "./helpers";

/** A 10×6 template: a red bar, a blue bar, and a white row (which an untouched board matches). */
function templatePng(): Buffer {
  const w = 10;
  const h = 6;
  const px = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    px[x] = 7; // row 0: orange red
    px[w + x] = 7;
    px[2 * w + x] = 18; // rows 2–4: blue
    px[3 * w + x] = 18;
    px[4 * w + x] = 18;
    px[5 * w + x] = 0; // row 5: white
  }
  return encodeIndexedPng(w, h, px, PALETTE);
}

const IMAGE_URL = "https://templates.example/tessera/bars.png";
const NO_CORS_URL = "https://other-host.example/no-cors.png";

async function serveImages(page: Page): Promise<void> {
  const body = templatePng();
  await page.context().route(IMAGE_URL, (r) => r.fulfill({ body, contentType: "image/png", headers: { "Access-Control-Allow-Origin": "*" } }));
  // (Playwright would add a permissive CORS header to a fulfilled response that has none: name another origin.)
  await page.context().route(NO_CORS_URL, (r) => r.fulfill({ body, contentType: "image/png", headers: { "Access-Control-Allow-Origin": "https://somewhere-else.example" } }));
}

const mismatches = (page: Page) => page.evaluate(() => (window as unknown as TesseraDebug).__tessera.templateMismatches);

/** Alpha of the template layer's pixel (tx, ty) (0: not drawn). */
const layerAlpha = (page: Page, tx: number, ty: number) =>
  page.getByTestId("template-layer").evaluate((c: HTMLCanvasElement, [x, y]) => c.getContext("2d")!.getImageData(x, y, 1, 1).data[3], [tx, ty] as const);

function cspWatch(page: Page): string[] {
  const bad: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) bad.push(m.text());
  });
  return bad;
}

test("desktop: a file template, placed, faded, mismatches only, kept for the board", async ({ openUser }) => {
  const page = await openUser("Templater", { path: "/?x=45&y=43&zoom=16", context: { viewport: { width: 1440, height: 900 } } });
  const csp = cspWatch(page);
  await page.getByTestId("template-button").click();
  await page.getByTestId("template-file").setInputFiles({ name: "bars.png", mimeType: "image/png", buffer: templatePng() });
  const layer = page.getByTestId("template-layer");
  await expect(layer).toBeVisible();
  await expect(layer).toHaveAttribute("width", "10");
  await expect(layer).toHaveAttribute("height", "6");

  // Put it at (40, 40): the layer covers exactly those board pixels on screen.
  await page.getByTestId("template-x").fill("40");
  await page.getByTestId("template-y").fill("40");
  const zoom = await zoomOf(page);
  await expect
    .poll(async () => {
      const b = (await layer.boundingBox())!;
      const p = await pixelOnScreen(page, 40, 40);
      return [Math.round(b.x - (p.x - zoom / 2)), Math.round(b.y - (p.y - zoom / 2)), Math.round(b.width / zoom)];
    })
    .toEqual([0, 0, 10]);

  // 50 coloured template pixels differ from the white board; the white row already matches.
  await expect.poll(() => mismatches(page)).toBe(50);
  await expect(page.getByTestId("template-mismatches")).toHaveText("50 pixels still differ.");

  // Opacity is the layer's own (CSS): the board is not redrawn.
  await page.getByTestId("template-opacity").fill("30");
  await expect(layer).toHaveCSS("opacity", "0.3");

  // Only mismatches: place the template's colour on (40, 40); that template pixel disappears.
  await page.getByTestId("template-mismatch").check();
  expect(await layerAlpha(page, 0, 0)).toBe(255);
  await page.getByTestId("color-7").click();
  await clickPixel(page, 40, 40);
  await expect.poll(() => mismatches(page)).toBe(49);
  await expect.poll(() => layerAlpha(page, 0, 0)).toBe(0);
  expect(await layerAlpha(page, 1, 0)).toBe(255);
  expect(await layerAlpha(page, 0, 5)).toBe(0); // white row: matches, not drawn
  await page.screenshot({ path: test.info().outputPath("template-desktop.png") });

  // Kept for this board: a reload shows it again, where it was, as it was.
  await page.reload();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await expect(layer).toBeVisible();
  await expect(layer).toHaveCSS("opacity", "0.3");
  await expect.poll(() => mismatches(page)).toBe(49);
  const stored = JSON.parse((await page.evaluate(() => localStorage.getItem("tessera.template.main")))!);
  expect(stored).toMatchObject({ kind: "file", x: 40, y: 40, width: 10, mismatchOnly: true });
  // A file is not shareable: the address carries no template.
  expect(new URL(page.url()).searchParams.get("template")).toBeNull();

  await page.getByTestId("template-button").click();
  await page.getByTestId("template-remove").click();
  await expect(layer).toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem("tessera.template.main"))).toBeNull();
  expect(csp).toEqual([]);
});

test("desktop: an https image address travels in the link; one without CORS is shown as it is", async ({ openUser, browser, app }) => {
  const page = await openUser("Sharer", { path: "/?x=105&y=103&zoom=12", context: { viewport: { width: 1440, height: 900 } } });
  const csp = cspWatch(page);
  await serveImages(page);
  await page.getByTestId("template-button").click();
  await page.getByTestId("template-url").fill("http://insecure.example/x.png");
  await page.getByRole("button", { name: "Load", exact: true }).click();
  await expect(page.getByTestId("template-error")).toContainText("https://");

  await page.getByTestId("template-url").fill(IMAGE_URL);
  await page.getByRole("button", { name: "Load", exact: true }).click();
  const layer = page.getByTestId("template-layer");
  await expect(layer).toBeVisible();
  await page.getByTestId("template-x").fill("100");
  await page.getByTestId("template-y").fill("100");
  await expect.poll(() => mismatches(page)).toBe(50);

  // The address bar carries it: template, position, width, opacity.
  await expect.poll(() => new URL(page.url()).searchParams.get("template")).toBe(IMAGE_URL);
  const link = new URL(page.url());
  expect([link.searchParams.get("ox"), link.searchParams.get("oy"), link.searchParams.get("tw")]).toEqual(["100", "100", "10"]);

  // Someone else opens the link (own browser, own storage): the same template at the same place.
  const other = await (await browser.newContext({ baseURL: app.url, viewport: { width: 1440, height: 900 } })).newPage();
  await serveImages(other);
  await other.goto(link.pathname + link.search);
  await other.getByTestId("just-watch").click();
  await expect(other.getByTestId("template-layer")).toBeVisible();
  await expect.poll(() => mismatches(other)).toBe(50);
  await other.context().close();

  // An image host that sends no CORS headers: shown, but not matched to the palette.
  await page.getByTestId("template-remove").click();
  await page.getByTestId("template-url").fill(NO_CORS_URL);
  await page.getByRole("button", { name: "Load", exact: true }).click();
  await expect(layer).toBeVisible();
  await expect(page.getByTestId("template-panel")).toContainText(/no CORS/);
  await expect(page.getByTestId("template-mismatch")).toBeDisabled();
  expect(csp).toEqual([]);
});

test("phone: the template from the More menu", async ({ openUser }) => {
  const page = await openUser("Pocket Templater", {
    path: "/?x=45&y=43&zoom=12",
    context: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  });
  await serveImages(page);
  await page.getByTestId("menu-button").tap();
  await page.getByTestId("menu-template").tap();
  const panel = page.getByTestId("template-panel");
  await expect(panel).toBeInViewport();
  await page.getByTestId("template-url").fill(IMAGE_URL);
  await page.getByRole("button", { name: "Load", exact: true }).tap();
  await expect(page.getByTestId("template-layer")).toBeVisible();
  await page.getByTestId("template-mismatch").tap();
  await expect(page.getByTestId("template-mismatch")).toBeChecked();
  await page.screenshot({ path: test.info().outputPath("template-phone.png") });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
