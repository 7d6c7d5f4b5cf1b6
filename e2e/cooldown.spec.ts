// Cooldown: after placing, the page counts down (badge and tab title); a second placement is refused
// with a clear message by the page itself — in another tab of the same user too, which hears of the
// placement at once (SPEC §11 `cooldown`) and counts down without having placed; placing works
// again once the time is up.
// Cues when it is over (issue 14): "✓ Ready" in the tab title, the refusal toast counting down to
// "ready", and an opt-in browser notification when you are not looking at the page.

import { PALETTE } from "../lib/palette";
import { APP_COOLDOWN_MS, expect, test } from "./fixtures";
import { clickPixel, drawnColor, shownIndex, tapPixel } from "./helpers";

test("the countdown shows, the cooldown is enforced, and placing works again after it", async ({ openUser, app }) => {
  // Zoomed in so every click lands on the intended pixel.
  const deepLink = "/?x=300&y=300&zoom=10";
  const page = await openUser("Cooler", { path: deepLink });
  const cooldown = page.getByTestId("cooldown");
  await expect(cooldown).toHaveAttribute("data-state", "ready");
  await expect(page).toHaveTitle("Tessera");

  // A second tab of the same user, opened before the placement: it has not heard of the cooldown.
  const tab2 = await page.context().newPage();
  await tab2.goto(deepLink);
  await expect(tab2.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  await tab2.getByTestId("color-7").click();
  const tab2Before = await drawnColor(tab2, 302, 300);

  await page.getByTestId("color-5").click();
  await clickPixel(page, 300, 300);
  await expect(cooldown).toHaveAttribute("data-state", "cooling");
  // Tab 2 counts down at once, though it placed nothing (the server's `cooldown` to every tab).
  await expect(tab2.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling", { timeout: 2_000 });
  // Both try again well inside the cooldown: each page refuses by itself.
  await clickPixel(tab2, 302, 300);
  await page.keyboard.press("7"); // colour 6
  await clickPixel(page, 301, 300);

  // The first tab: pixel drawn, countdown on the page and in the tab title, the second click
  // refused with the reason.
  await expect.poll(() => drawnColor(page, 300, 300)).toBe(PALETTE[5]);
  await expect(cooldown).toHaveText(/^\d+(\.\d)?s$/);
  await expect(page).toHaveTitle(/^\(\d+s\) Tessera$/);
  await expect(page.getByTestId("toast").filter({ hasText: /cooling down/i })).toBeVisible();
  expect(await shownIndex(page, 301, 300)).not.toBe(6);

  // Tab 2: refused with the reason; its pixel was never drawn.
  await expect(tab2.getByTestId("toast").filter({ hasText: /cooling down/i })).toBeVisible();
  expect(await drawnColor(tab2, 302, 300)).toBe(tab2Before);
  for (const x of [301, 302]) expect((await fetch(`${app.url}/api/pixel?x=${x}&y=300`)).status).toBe(404);

  // When the time is up the badge says so, the title says "Ready" (then calms down), and placing works.
  await expect(cooldown).toHaveAttribute("data-state", "ready", { timeout: APP_COOLDOWN_MS + 5_000 });
  await expect(page).toHaveTitle("✓ Ready · Tessera");
  await expect(page).toHaveTitle("Tessera", { timeout: 10_000 });
  await clickPixel(page, 301, 300);
  await expect.poll(() => drawnColor(page, 301, 300)).toBe(PALETTE[6]);
  await expect(cooldown).toHaveAttribute("data-state", "cooling");
  const info = await (await fetch(`${app.url}/api/pixel?x=301&y=300`)).json();
  expect(info).toMatchObject({ color: 6, user: { name: "Cooler" } });
});

/** Records every Notification the page creates (the browser's own class, wrapped). */
const RECORD_NOTIFICATIONS = () => {
  const Real = window.Notification;
  const made: Array<{ title: string; body?: string }> = [];
  (window as unknown as { __notifications: typeof made }).__notifications = made;
  class Recorded extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      made.push({ title, body: options?.body });
    }
  }
  Object.defineProperty(window, "Notification", { configurable: true, writable: true, value: Recorded });
};

test("the refusal toast counts down to ready; an opt-in notification says so when you look away", async ({ openUser }) => {
  const page = await openUser("Cue Seeker", {
    path: "/?x=320&y=320&zoom=10",
    context: { viewport: { width: 1440, height: 900 }, permissions: ["notifications"] },
  });
  await page.evaluate(RECORD_NOTIFICATIONS);
  const toggle = page.getByTestId("notify-toggle");
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  // Kept for next time (and only while the browser allows it).
  expect(await page.evaluate(() => localStorage.getItem("tessera.notify"))).toBe("on");

  await clickPixel(page, 320, 320);
  await expect(page.getByTestId("cooldown")).toHaveAttribute("data-state", "cooling");
  await clickPixel(page, 321, 320);
  const countdown = page.getByTestId("toast-countdown");
  await expect(countdown).toHaveText(/^Cooling down — \d\.\ds left\.$/);
  const first = parseFloat((await countdown.innerText()).replace(/[^\d.]/g, ""));
  await expect.poll(async () => parseFloat((await countdown.innerText()).replace(/[^\d.]/g, "")) || 0).toBeLessThan(first);

  // The user looks elsewhere (another window has the focus).
  await page.evaluate(() => {
    Object.defineProperty(document, "hasFocus", { configurable: true, value: () => false });
  });
  await expect(countdown).toHaveText("Ready — you can place a pixel now.", { timeout: APP_COOLDOWN_MS + 5_000 });
  await expect(page).toHaveTitle("✓ Ready · Tessera");
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __notifications: Array<{ title: string }> }).__notifications.map((n) => n.title)))
    .toEqual(["Tessera: you can place a pixel"]);
  // Not looked at yet: the title keeps saying it.
  expect(await page.title()).toBe("✓ Ready · Tessera");
});

test("phone: the countdown counts in the toast too", async ({ openUser }) => {
  const page = await openUser("Cue Thumb", {
    path: "/?x=340&y=340&zoom=12",
    context: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  });
  const place = page.getByTestId("place-button");
  await tapPixel(page, 340, 340);
  await place.tap();
  await expect.poll(() => drawnColor(page, 340, 340)).toBe(PALETTE[4]);
  await tapPixel(page, 341, 340);
  await place.tap();
  const countdown = page.getByTestId("toast-countdown");
  await expect(countdown).toHaveText(/^Cooling down — \d\.\ds left\.$/);
  await expect(countdown).toBeInViewport();
  await page.screenshot({ path: test.info().outputPath("phone-countdown-toast.png") });
  await expect(countdown).toHaveText("Ready — you can place a pixel now.", { timeout: APP_COOLDOWN_MS + 5_000 });
});
