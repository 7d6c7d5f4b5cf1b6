// Smaller points of issue 14: a first visit and a Shift+click on an empty pixel log no console
// error (having no session, or asking about a pixel nobody placed, are expected answers); the name
// is checked as it is typed with a message that says what is wrong; the page follows the system's
// dark or light preference.

import type { ConsoleMessage, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { clickPixel } from "./helpers";

const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** Whether the server answers "no session" and "never placed" as 200s when asked with optional=1. */
async function serverAnswersOptional(base: string): Promise<{ session: boolean; pixel: boolean }> {
  const s = await fetch(`${base}/api/session?optional=1`);
  const p = await fetch(`${base}/api/pixel?x=999&y=999&optional=1`);
  return { session: s.status === 200, pixel: p.status === 200 };
}

test("a first visit logs no console error", async ({ browser, app }) => {
  const support = await serverAnswersOptional(app.url);
  // Needs the server to answer GET /api/session?optional=1 with 200 {"user":null} (requested from the
  // server's owners): browsers log every 4xx, and the page can't read its HttpOnly cookie.
  test.fixme(!support.session, "server change pending: GET /api/session?optional=1 → 200 {\"user\":null} without a session");
  const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const errors = consoleErrors(page);
  await page.goto("/");
  await expect(page.getByTestId("name-form")).toBeVisible();
  await expect(page.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await page.getByTestId("just-watch").click();
  expect(errors).toEqual([]);
  await context.close();
});

test("Shift+click on a pixel nobody placed logs no console error", async ({ openUser, app }) => {
  const support = await serverAnswersOptional(app.url);
  test.fixme(!support.pixel, "server change pending: GET /api/pixel?x=&y=&optional=1 → 200 with \"user\":null for a pixel never placed");
  const page = await openUser("Curious", { path: "/?x=900&y=900&zoom=10" });
  const errors = consoleErrors(page);
  await clickPixel(page, 903, 902, ["Shift"]);
  await expect(page.getByTestId("pixel-info")).toHaveAttribute("data-status", "never");
  expect(errors).toEqual([]);
});

test("the page understands both answers to 'who am I?' and 'who placed this?'", async ({ openUser, browser, app }) => {
  // Whatever the server answers (200 with null, or 401 / 404 as SPEC §3 has it), the page shows
  // the name form for no session and "never placed" for an empty pixel.
  const context = await browser.newContext({ baseURL: app.url });
  const visitor = await context.newPage();
  await visitor.goto("/");
  await expect(visitor.getByTestId("name-form")).toBeVisible();
  await context.close();
  const page = await openUser("Asker", { path: "/?x=800&y=800&zoom=10" });
  await clickPixel(page, 801, 802, ["Shift"]);
  await expect(page.getByTestId("pixel-info")).toHaveAttribute("data-status", "never");
  await expect(page.getByTestId("pixel-info")).toContainText(/never placed/i);
});

for (const [label, options] of [
  ["desktop", { viewport: { width: 1440, height: 900 } }],
  ["phone", phone],
] as const) {
  test(`${label}: the name is checked as it is typed, with the reason`, async ({ browser, app }) => {
    const context = await browser.newContext({ baseURL: app.url, ...options });
    const page = await context.newPage();
    await page.goto("/");
    const input = page.getByTestId("name-input");
    const submit = page.getByTestId("name-submit");
    await expect(page.getByTestId("name-hint")).toContainText("0/24");

    await input.fill("no/slashes!");
    await expect(page.getByTestId("name-error")).toHaveText("Not allowed: “/”, “!”. Use letters, digits, spaces, _ or -.");
    await expect(input).toHaveAttribute("aria-invalid", "true");
    await expect(submit).toBeDisabled();

    await input.fill("x".repeat(27));
    await expect(page.getByTestId("name-error")).toHaveText("Too long: 27 characters, 24 at most.");

    await input.fill("   ");
    await expect(page.getByTestId("name-error")).toContainText("Type a name");

    await input.fill("Zoë_the-3rd");
    await expect(page.getByTestId("name-error")).toHaveCount(0);
    await expect(page.getByTestId("name-hint")).toContainText("11/24");
    await expect(input).toHaveAttribute("aria-invalid", "false");
    await expect(submit).toBeEnabled();
    if (label === "phone") await page.screenshot({ path: test.info().outputPath("phone-name-check.png") });
    await submit.click();
    await expect(page.getByTestId("connection-status")).toHaveAttribute("data-mode", "play");
    await context.close();
  });

  test(`${label}: the page follows the system's dark or light theme`, async ({ browser, app }) => {
    const context = await browser.newContext({ baseURL: app.url, ...options, colorScheme: "dark" });
    const page = await context.newPage();
    await page.goto("/?x=500&y=500&zoom=0.3");
    await page.getByTestId("just-watch").click();
    const stage = page.getByTestId("viewport");
    await expect(stage).toHaveCSS("background-color", "rgb(14, 16, 20)");
    await page.screenshot({ path: test.info().outputPath(`${label}-dark.png`) });
    await page.emulateMedia({ colorScheme: "light" });
    await expect(stage).toHaveCSS("background-color", "rgb(228, 231, 236)");
    await context.close();
  });
}
