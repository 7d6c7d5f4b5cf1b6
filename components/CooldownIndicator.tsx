"use client";
// Time left before the next placement ("3.2s"), mirrored in the tab title ("(3s) Tessera").

import { useEffect, useState } from "react";
import { formatCountdown, pageTitle } from "@/lib/client/format";
import { useTessera } from "@/lib/client/store";
import { CheckIcon, TimerIcon } from "./Icons";

/** Countdown refresh rate: fast enough for tenths of a second. */
const TICK_MS = 100;
/** How long the badge glows when placing becomes possible again. */
const READY_PULSE_MS = 1_800;

export function CooldownIndicator() {
  const until = useTessera((s) => s.cooldownUntil);
  const cooldownMs = useTessera((s) => s.cooldownMs);
  const readyAt = useTessera((s) => s.readyAt);
  const [now, setNow] = useState(0);
  const [pulse, setPulse] = useState(false);

  // The cooldown just ended: a short glow on the badge (the chime, if on, comes from the controller).
  useEffect(() => {
    if (readyAt === 0) return;
    setPulse(true);
    const t = setTimeout(() => setPulse(false), READY_PULSE_MS);
    return () => clearTimeout(t);
  }, [readyAt]);

  useEffect(() => {
    setNow(Date.now());
    if (until <= Date.now()) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= until) clearInterval(t);
    }, TICK_MS);
    return () => clearInterval(t);
  }, [until]);

  const remaining = now === 0 ? 0 : Math.max(0, until - now);

  const wholeSeconds = Math.ceil(remaining / 1000);
  useEffect(() => {
    document.title = pageTitle(wholeSeconds * 1000);
  }, [wholeSeconds]);

  const cooling = remaining > 0;
  const progress = cooling && cooldownMs > 0 ? Math.min(1, remaining / cooldownMs) : 0;

  return (
    <div
      className={`cooldown${cooling ? " is-cooling" : " is-ready"}${!cooling && pulse ? " just-ready" : ""}`}
      data-testid="cooldown"
      data-state={cooling ? "cooling" : "ready"}
      role="timer"
      aria-live="off"
      title={cooling ? "Time until you can place again" : "You can place a pixel"}
      style={{ ["--progress" as string]: progress }}
    >
      {cooling ? <TimerIcon /> : <CheckIcon />}
      <span className="cooldown-text">{cooling ? formatCountdown(remaining) : "Ready"}</span>
    </div>
  );
}
