// The optional "you can place again" chime: two soft sine notes made with Web Audio (no audio
// file to load). Off by default; the choice is kept in localStorage.

const STORAGE_KEY = "tessera.sound";

type AudioContextCtor = typeof AudioContext;

let ctx: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (ctx) return ctx;
  const w = globalThis as unknown as { AudioContext?: AudioContextCtor; webkitAudioContext?: AudioContextCtor };
  const Ctor = w.AudioContext ?? w.webkitAudioContext;
  if (!Ctor) return null;
  try {
    ctx = new Ctor();
  } catch {
    return null;
  }
  return ctx;
}

/** The saved preference (false when nothing is saved or storage is unavailable). */
export function loadSoundPreference(): boolean {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === "on";
  } catch {
    return false;
  }
}

export function saveSoundPreference(on: boolean): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, on ? "on" : "off");
  } catch {
    // Private mode or storage full: the choice lasts for this page only.
  }
}

/**
 * Browsers only let audio start after a user gesture: call this from the click that turns the
 * sound on, so later chimes (fired by a timer) are allowed to play.
 */
export async function unlockAudio(): Promise<void> {
  const c = audioContext();
  if (c && c.state === "suspended") await c.resume().catch(() => {});
}

/** A short, quiet two-note chime. Does nothing where Web Audio is missing or still locked. */
export function playReadyChime(): void {
  const c = audioContext();
  if (!c || c.state !== "running") return;
  const t0 = c.currentTime + 0.01;
  const notes: Array<[number, number]> = [
    [659.25, 0], // E5
    [987.77, 0.11], // B5
  ];
  for (const [freq, at] of notes) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.07, t0 + at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.35);
    osc.connect(gain).connect(c.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.4);
  }
}
