// Issue 11's story on two real replicas (production build) sharing PostgreSQL and a real
// redis-server: a board created in the page on replica A is opened on both replicas by two people,
// who place on it and see each other's cursors move, with names, while the board list shows the
// board with its live count.

import { expect, test, type Page } from "@playwright/test";
import { PALETTE } from "../lib/palette";
import { type E2eCluster, startCluster } from "./cluster";
import { clickPixel, drawnColor, join, pixelOnScreen } from "./helpers";

let cluster: E2eCluster;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startCluster(["e2e-boards-a", "e2e-boards-b"]);
});

test.afterAll(async () => {
  await cluster?.dispose();
});

const userId = (page: Page) => page.evaluate(() => (window as unknown as { __tessera: { state: { user: { id: string } } } }).__tessera.state.user.id);

/** Move the mouse over board pixel (x, y) in small steps (real pointer moves, as a hand would). */
async function hover(page: Page, x: number, y: number): Promise<void> {
  const p = await pixelOnScreen(page, x, y);
  await page.mouse.move(p.x, p.y, { steps: 4 });
}

/** Where the page draws `other`'s cursor, in board pixels (from its element and the board's rectangle). */
async function cursorAt(page: Page, id: string): Promise<{ x: number; y: number } | null> {
  return page.evaluate((cid) => {
    const el = document.querySelector<HTMLElement>(`[data-testid="cursor-${cid}"]`);
    const board = document.querySelector<HTMLCanvasElement>('[data-testid="board"]')!;
    const layer = document.querySelector<HTMLElement>('[data-testid="cursor-layer"]')!;
    if (!el) return null;
    const m = /translate3d\(([-\d.]+)px, ([-\d.]+)px/.exec(el.style.transform);
    if (!m) return null;
    const b = board.getBoundingClientRect();
    const l = layer.getBoundingClientRect();
    const zoom = b.width / board.width;
    return { x: Math.floor((l.left + Number(m[1]) - b.left) / zoom), y: Math.floor((l.top + Number(m[2]) - b.top) / zoom) };
  }, id);
}

test("create a board, open it on two replicas, place, and see each other's cursors move with names", async ({ browser }) => {
  test.setTimeout(120_000);
  const [a, b] = cluster.replicas;
  const alice = await (await browser.newContext({ baseURL: a.url, viewport: { width: 1280, height: 800 } })).newPage();
  const bob = await (await browser.newContext({ baseURL: b.url, viewport: { width: 1280, height: 800 } })).newPage();

  // Alice creates the board in the page (replica A) and lands on it.
  await join(alice, "Alice");
  await alice.goto("/boards");
  await alice.getByTestId("create-title").fill("Replica Club");
  await alice.getByTestId("create-width").fill("64");
  await alice.getByTestId("create-height").fill("48");
  await alice.getByTestId("create-cooldown").fill("1");
  await alice.getByTestId("create-submit").click();
  await expect(alice).toHaveURL(/\/b\/replica-club$/);
  await expect(alice.getByTestId("connection-status")).toHaveAttribute("data-state", "live");

  // Bob opens it on replica B, zoomed in on the same spot.
  await join(bob, "Bob", "/b/replica-club?x=32&y=24&zoom=10");
  await alice.goto("/b/replica-club?x=32&y=24&zoom=10");
  await expect(alice.getByTestId("connection-status")).toHaveAttribute("data-state", "live");
  for (const page of [alice, bob]) {
    await expect(page.getByTestId("online-count")).toHaveText("2");
    await expect(page.getByTestId("user-list").locator("li")).toHaveCount(2);
  }

  // Pixels cross replicas on the board.
  await alice.getByTestId("color-13").click();
  await clickPixel(alice, 30, 24);
  await expect.poll(() => drawnColor(bob, 30, 24)).toBe(PALETTE[13]);
  await bob.getByTestId("color-27").click();
  await clickPixel(bob, 34, 24);
  await expect.poll(() => drawnColor(alice, 34, 24)).toBe(PALETTE[27]);

  // Cursors: Bob sees Alice's pointer, with her name, follow her moves; and the other way round.
  const [aliceId, bobId] = [await userId(alice), await userId(bob)];
  await hover(alice, 28, 20);
  const aliceCursor = bob.getByTestId(`cursor-${aliceId}`);
  await expect(aliceCursor).toBeVisible();
  await expect(aliceCursor).toContainText("Alice");
  await expect.poll(() => cursorAt(bob, aliceId)).toEqual({ x: 28, y: 20 });
  await hover(alice, 36, 27);
  await expect.poll(() => cursorAt(bob, aliceId)).toEqual({ x: 36, y: 27 });
  await hover(bob, 31, 22);
  await expect(alice.getByTestId(`cursor-${bobId}`)).toContainText("Bob");
  await expect.poll(() => cursorAt(alice, bobId)).toEqual({ x: 31, y: 22 });
  // Nobody sees their own cursor.
  await expect(alice.getByTestId(`cursor-${aliceId}`)).toHaveCount(0);

  // Alice's pointer leaves the board: her cursor goes from Bob's page.
  await alice.mouse.move(5, 400);
  await expect(aliceCursor).toHaveCount(0);

  // Hiding cursors (remembered): Bob sees none, even when Alice moves again.
  await bob.getByTestId("cursors-toggle").click();
  await hover(alice, 40, 30);
  await expect(bob.getByTestId("cursor-layer")).toBeHidden();
  await bob.reload();
  await expect(bob.getByTestId("cursors-toggle")).toHaveAttribute("aria-pressed", "false");
  await bob.getByTestId("cursors-toggle").click();
  await hover(alice, 41, 30);
  await expect.poll(() => cursorAt(bob, aliceId)).toEqual({ x: 41, y: 30 });

  // The board list on either replica shows the new board with its live count.
  for (const r of [a, b]) {
    const list = await (await browser.newContext({ baseURL: r.url })).newPage();
    await list.goto("/boards");
    const item = list.getByTestId("board-list").locator("li", { hasText: "Replica Club" });
    await expect(item.getByTestId("board-count")).toHaveText("2 people here");
    await list.context().close();
  }
});
