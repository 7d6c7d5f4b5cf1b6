// The opt-in "you can place again" browser notification. Off by default; the choice is kept in
// localStorage, and it only counts while the browser's permission is granted.

const STORAGE_KEY = "tessera.notify";

type NotificationCtor = typeof Notification;

function api(): NotificationCtor | null {
  const w = globalThis as unknown as { Notification?: NotificationCtor };
  return w.Notification ?? null;
}

/** On when the user asked for it and the browser still allows it. */
export function loadNotifyPreference(): boolean {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === "on" && api()?.permission === "granted";
  } catch {
    return false;
  }
}

export function saveNotifyPreference(on: boolean): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, on ? "on" : "off");
  } catch {
    // Storage unavailable: the choice lasts for this page only.
  }
}

/** Ask the browser for permission (call from a user gesture). */
export async function requestNotifications(): Promise<NotificationPermission | "unsupported"> {
  const N = api();
  if (!N) return "unsupported";
  if (N.permission === "granted" || N.permission === "denied") return N.permission;
  try {
    return await N.requestPermission();
  } catch {
    return "denied";
  }
}

/** "You can place a pixel again", replacing an earlier one of ours; a click brings the tab forward. */
export function notifyReady(): void {
  const N = api();
  if (!N || N.permission !== "granted") return;
  try {
    const n = new N("Tessera: you can place a pixel", { body: "Your cooldown is over.", tag: "tessera-ready", icon: "/icon.svg" });
    n.onclick = () => {
      globalThis.focus?.();
      n.close();
    };
  } catch {
    // Some mobile browsers only notify from a service worker: the title and the badge still say it.
  }
}
