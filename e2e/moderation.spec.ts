// The moderation panel (SPEC §12) and the pixel history (SPEC §13, issue 12): a moderator finds a
// griefer through a pixel's history and rolls them back while a second person watches the pixels
// return; a wipe drawn on the board, freeze and ban, each confirmed first; the audit log; and the
// panel never shows for anyone else.

import { PALETTE } from "../lib/palette";
import { apiUser, expect, grantModerator, seriousViolations, sessionUser, test } from "./extras-fixtures";
import { clickOnce, drawnColor, pixelOnScreen } from "./helpers";

test("a moderator rolls back a griefer and a second person sees the pixels return", async ({ app, openUser }) => {
  const painter = await apiUser(app, "Painter");
  const griefer = await apiUser(app, "Griefer");
  await painter.place(10, 10, 5);
  await painter.place(11, 10, 6);
  for (const x of [10, 11, 12]) await griefer.place(x, 10, 27);

  const watcher = await openUser("Watcher", "/?x=11&y=10&zoom=16");
  for (const x of [10, 11, 12]) await expect.poll(() => drawnColor(watcher, x, 10)).toBe(PALETTE[27]);

  const mod = await openUser("Moderator", "/?x=11&y=10&zoom=16");
  await expect(mod.getByRole("navigation", { name: "Board tools" })).toHaveAttribute("data-moderator", "false");
  await grantModerator(app, (await sessionUser(mod)).id);
  await mod.reload();
  await expect(mod.getByTestId("connection-status")).toHaveAttribute("data-state", "live");

  // The pixel's history names the griefer, then the painter before them.
  await clickOnce(mod, 11, 10, ["Shift"]);
  const history = mod.getByTestId("pixel-history");
  await expect(history).toHaveAttribute("data-status", "ok");
  const entries = history.getByTestId("pixel-history-entry");
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(0)).toHaveAttribute("data-user", griefer.id);
  await expect(entries.nth(0)).toContainText("Griefer");
  await expect(entries.nth(1)).toContainText("Painter");

  await mod.getByTestId("mod-button").click();
  const panel = mod.getByTestId("mod-panel");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("mod-author")).toContainText(`Griefer (${griefer.id})`);
  await expect(panel.getByTestId("mod-user")).toHaveValue(griefer.id);
  expect(await seriousViolations(mod, "moderation panel and pixel history")).toEqual([]);

  // Destructive: asks first; cancelling does nothing.
  await panel.getByTestId("mod-rollback").click();
  await expect(panel.getByTestId("mod-confirm-box")).toContainText("Roll back Griefer");
  expect(await seriousViolations(mod, "rollback confirmation")).toEqual([]);
  await panel.getByTestId("mod-cancel").click();
  await expect(panel.getByTestId("mod-confirm-box")).toHaveCount(0);
  expect(await drawnColor(watcher, 11, 10)).toBe(PALETTE[27]);

  await panel.getByTestId("mod-rollback").click();
  await panel.getByTestId("mod-confirm").click();
  await expect(panel.getByTestId("mod-result")).toHaveText(/Rolled back .*: 3 pixels reverted \(#\d+–#\d+\)\./);

  // The second person sees each pixel return to what was there before the griefer.
  await expect.poll(() => drawnColor(watcher, 10, 10)).toBe(PALETTE[5]);
  await expect.poll(() => drawnColor(watcher, 11, 10)).toBe(PALETTE[6]);
  await expect.poll(() => drawnColor(watcher, 12, 10)).toBe(PALETTE[0]);

  // The audit log says so, and the pixel's history now starts with the moderation placement.
  await expect(panel.getByTestId("mod-log-entry").first()).toHaveAttribute("data-action", "rollback");
  await expect(panel.getByTestId("mod-log-entry").first()).toContainText("3 pixels reverted");
  await expect(entries.nth(0)).toHaveAttribute("data-user", "moderation");
  await expect(panel.getByTestId("mod-user")).toHaveValue(griefer.id);
});

test("wipe drawn on the board, freeze and ban — each confirmed, each in the log", async ({ app, openUser }) => {
  const vandal = await apiUser(app, "Vandal");
  for (const [x, y] of [
    [40, 40],
    [42, 41],
    [44, 42],
  ]) {
    await vandal.place(x, y, 12);
  }
  const watcher = await openUser("Onlooker", "/?x=42&y=41&zoom=16");
  await expect.poll(() => drawnColor(watcher, 42, 41)).toBe(PALETTE[12]);

  const mod = await openUser("Warden", "/?x=42&y=41&zoom=16");
  await grantModerator(app, (await sessionUser(mod)).id);
  await mod.reload();
  await mod.getByTestId("mod-button").click();
  const panel = mod.getByTestId("mod-panel");

  // Draw the rectangle (40,40)–(44,42) by dragging over the board.
  await panel.getByTestId("mod-wipe-draw").click();
  await expect(mod.getByTestId("rect-picker")).toBeVisible();
  const from = await pixelOnScreen(mod, 44, 42);
  const to = await pixelOnScreen(mod, 40, 40);
  await mod.mouse.move(from.x, from.y);
  await mod.mouse.down();
  await mod.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
  await mod.mouse.move(to.x, to.y, { steps: 4 });
  await mod.mouse.up();
  await expect(mod.getByTestId("rect-picker")).toHaveCount(0);
  for (const [k, v] of [
    ["x0", "40"],
    ["y0", "40"],
    ["x1", "44"],
    ["y1", "42"],
  ]) {
    await expect(panel.getByTestId(`mod-wipe-${k}`)).toHaveValue(v);
  }
  await expect(panel.getByTestId("mod-wipe-area")).toHaveText("15 pixels.");
  await expect(mod.getByTestId("wipe-outline")).toBeVisible();
  // Nothing was placed by drawing.
  expect(await drawnColor(mod, 41, 41)).toBe(PALETTE[0]);

  await panel.getByTestId("mod-wipe-color").selectOption("3");
  await panel.getByTestId("mod-wipe").click();
  await expect(panel.getByTestId("mod-confirm-box")).toContainText("Wipe 15 pixels?");
  await panel.getByTestId("mod-confirm").click();
  await expect(panel.getByTestId("mod-result")).toHaveText(/Wiped 15 pixels/);
  for (const [x, y] of [
    [40, 40],
    [42, 41],
    [44, 42],
    [41, 41],
  ]) {
    await expect.poll(() => drawnColor(watcher, x, y)).toBe(PALETTE[3]);
  }
  expect(await drawnColor(watcher, 45, 42)).toBe(PALETTE[0]);

  // A typed rectangle too large for the board is refused before it is sent.
  await panel.getByTestId("mod-wipe-x1").fill("999");
  await expect(panel.getByTestId("mod-wipe-area")).toContainText("The board is 200 × 150");
  await expect(panel.getByTestId("mod-wipe")).toBeDisabled();

  // Freeze: placing is refused until unfrozen.
  await panel.getByTestId("mod-freeze").click();
  await panel.getByTestId("mod-confirm").click();
  await expect(panel.getByTestId("mod-board-state")).toHaveAttribute("data-state", "frozen");
  await expect(vandal.place(1, 1, 2)).rejects.toThrow(/409.*frozen/);
  await panel.getByTestId("mod-freeze").click(); // unfreezing needs no confirmation
  await expect(panel.getByTestId("mod-board-state")).toHaveAttribute("data-state", "open");
  await vandal.place(1, 1, 2);

  // Ban: a reason is required; then the vandal's placements are refused.
  await panel.getByTestId("mod-user").fill(vandal.id);
  await panel.getByTestId("mod-ban").click();
  await expect(panel.getByText("Say why")).toBeVisible();
  await expect(panel.getByTestId("mod-confirm-box")).toHaveCount(0);
  await panel.getByTestId("mod-ban-reason").fill("vandalism");
  await panel.getByTestId("mod-ban-duration").selectOption({ label: "24 hours" });
  await panel.getByTestId("mod-ban").click();
  await expect(panel.getByTestId("mod-confirm-box")).toContainText(`Ban ${vandal.id}?`);
  await panel.getByTestId("mod-confirm").click();
  await expect(panel.getByTestId("mod-result")).toHaveText(new RegExp(`Banned Vandal \\(${vandal.id}\\) until `));
  await expect(vandal.place(2, 2, 2)).rejects.toThrow(/403.*banned/);

  const log = panel.getByTestId("mod-log-entry");
  await expect(log.nth(0)).toHaveAttribute("data-action", "ban");
  await expect(log.nth(0)).toContainText("for 1 day — “vandalism”");
  await expect(log.nth(1)).toHaveAttribute("data-action", "unfreeze");
  await expect(log.nth(2)).toHaveAttribute("data-action", "freeze");
  await expect(log.nth(3)).toHaveAttribute("data-action", "wipe");
  await expect(log.nth(3)).toContainText("(40, 40)–(44, 42)");

  await panel.getByTestId("mod-unban").click();
  await expect(panel.getByTestId("mod-result")).toHaveText(`Unbanned Vandal (${vandal.id}).`);
  await vandal.place(2, 2, 2);
  expect(await seriousViolations(mod, "moderation panel after actions")).toEqual([]);
});

test("nobody but a moderator sees the panel, and the API refuses them anyway", async ({ app, openUser }) => {
  const page = await openUser("Plain User");
  // Once the page knows who this is, it shows no moderation at all.
  await expect(page.getByRole("navigation", { name: "Board tools" })).toHaveAttribute("data-moderator", "false");
  await expect(page.getByTestId("mod-button")).toHaveCount(0);
  await expect(page.getByTestId("mod-panel")).toHaveCount(0);
  const status = await page.evaluate(async () => {
    const res = await fetch("/api/boards/main/mod/freeze", { method: "POST", headers: { "content-type": "application/json" }, body: '{"frozen":true}' });
    return res.status;
  });
  expect(status).toBe(403);
  const board = await (await fetch(`${app.url}/api/boards/main`)).json();
  expect(board.board.state).toBe("open");
});
