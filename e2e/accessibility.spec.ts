// Accessibility (issue 14): colours have names (SPEC §7: aria-label "name #HEX"), the palette is one
// Tab stop whose arrow keys choose the colour (roving tabindex), the keyboard cursor's position is
// read out (aria-live), and axe finds no serious or critical violation — contrast included — on
// the main states: the name form over the board, the live board, pixel details, the phone drawer.

import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { PALETTE, PALETTE_NAMES } from "../lib/palette";
import { expect, test } from "./fixtures";
import { clickPixel } from "./helpers";

const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
};

/** axe's serious and critical violations on the page as it is now (rule id → offending elements). */
async function seriousViolations(page: Page, what: string): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const bad = result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact!, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  test.info().annotations.push({ type: `axe: ${what}`, description: `${result.violations.length} violations (${bad.length} serious or critical), ${result.passes.length} rules passed` });
  return bad;
}

test("axe: name form over the board, live board, pixel details (desktop 1440×900)", async ({ browser, app, openUser }) => {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1440, height: 900 } });
  const visitor = await context.newPage();
  await visitor.goto("/");
  await expect(visitor.getByTestId("name-form")).toBeVisible();
  await expect(visitor.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  expect(await seriousViolations(visitor, "name form over the watched board")).toEqual([]);
  await visitor.getByTestId("name-input").fill("no/slash");
  await expect(visitor.getByTestId("name-error")).toBeVisible();
  expect(await seriousViolations(visitor, "name form with an error")).toEqual([]);
  await context.close();

  const page = await openUser("Axe Desktop", { path: "/?x=500&y=500&zoom=12", context: { viewport: { width: 1440, height: 900 } } });
  expect(await seriousViolations(page, "live board")).toEqual([]);
  await clickPixel(page, 500, 500);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  await clickPixel(page, 500, 500, ["Shift"]);
  await expect(page.getByTestId("pixel-info")).toHaveAttribute("data-status", "placed");
  expect(await seriousViolations(page, "pixel details while cooling down")).toEqual([]);
  await page.getByTestId("template-button").click();
  await expect(page.getByTestId("template-panel")).toBeVisible();
  expect(await seriousViolations(page, "template panel")).toEqual([]);
});

test("axe: the phone's board, drawer and menu (390×844)", async ({ openUser }) => {
  const page = await openUser("Axe Phone", { context: phone });
  expect(await seriousViolations(page, "phone board")).toEqual([]);
  await page.getByRole("button", { name: /online/ }).tap();
  await expect(page.locator(".sidebar.is-open")).toBeVisible();
  await page.waitForFunction(() => getComputedStyle(document.querySelector(".sidebar")!).transform === "none");
  expect(await seriousViolations(page, "phone drawer")).toEqual([]);
  await page.getByRole("button", { name: /close the people panel/i }).tap();
  await page.getByTestId("menu-button").tap();
  await expect(page.getByTestId("view-menu")).toBeVisible();
  expect(await seriousViolations(page, "phone menu")).toEqual([]);
});

test("colours have names; the palette is one Tab stop and arrow keys choose", async ({ openUser }) => {
  // 1200 px wide: two rows of 16 colours, so up and down have somewhere to go.
  const page = await openUser("Keys Palette", { context: { viewport: { width: 1200, height: 800 } } });
  const palette = page.getByTestId("palette");
  for (const i of [0, 7, 31]) {
    await expect(page.getByTestId(`color-${i}`)).toHaveAttribute("aria-label", `${PALETTE_NAMES[i]} ${PALETTE[i]}`);
  }
  await expect(page.getByTestId("color-7")).toHaveAttribute("aria-label", "orange red #FF4500");

  // One Tab stop: only the selected swatch is in the tab order.
  await page.getByTestId("color-3").click();
  await expect(palette.locator('[tabindex="0"]')).toHaveCount(1);
  await expect(palette.locator('[tabindex="0"]')).toHaveAttribute("data-testid", "color-3");
  await expect(page.getByTestId("color-3")).toBeFocused();

  // Arrow keys move and select; the board does not pan meanwhile.
  const boardBefore = await page.getByTestId("board").boundingBox();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("color-4")).toBeFocused();
  await expect(page.getByTestId("color-4")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("color-2")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("ArrowDown"); // the next row
  await expect(page.getByTestId("color-18")).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.press("ArrowDown"); // no row below: stays
  await expect(page.getByTestId("color-18")).toBeFocused();
  await page.keyboard.press("End");
  await expect(page.getByTestId("color-31")).toBeFocused();
  await page.keyboard.press("Home");
  await expect(page.getByTestId("color-0")).toBeFocused();
  expect(await page.getByTestId("board").boundingBox()).toEqual(boardBefore);
  await expect(page.getByTestId("current-color")).toHaveText("white #FFFFFF");

  // Tab leaves the palette at once (it is one stop, not 32).
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="palette"]') === null)).toBe(true);
  await page.keyboard.press("Shift+Tab");
  await expect(page.getByTestId("color-0")).toBeFocused();
});

test("the keyboard cursor's position is read out", async ({ openUser }) => {
  const page = await openUser("Keys Voice", { path: "/?x=600&y=200&zoom=16", context: { viewport: { width: 1440, height: 900 } } });
  const announcer = page.getByTestId("announcer");
  await expect(announcer).toHaveAttribute("aria-live", "polite");
  await page.getByTestId("viewport").focus();
  await page.keyboard.press("Enter");
  await expect(announcer).toContainText("Cursor at 600, 200, white.");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowDown");
  await expect(announcer).toHaveText("Cursor at 601, 201, white.");
});

test("axe: the boards page with its create form showing errors, and the board's menu (desktop)", async ({ browser, app, openUser }) => {
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto("/boards");
  await expect(page.getByTestId("board-list").locator("li").first()).toBeVisible();
  expect(await seriousViolations(page, "boards page")).toEqual([]);
  await page.getByTestId("create-width").fill("5000");
  await page.getByTestId("create-id").fill("Not valid");
  await expect(page.getByTestId("create-id-error")).toBeVisible();
  expect(await seriousViolations(page, "create form with errors")).toEqual([]);
  await context.close();

  const user = await openUser("Menu Reader");
  await user.getByTestId("board-switcher").click();
  await expect(user.getByTestId("board-menu")).toBeVisible();
  expect(await seriousViolations(user, "board menu")).toEqual([]);
});
