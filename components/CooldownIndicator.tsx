"use client";
// Time left before the next placement ("3.2s"), mirrored in the tab title ("(3s) Tessera"), and
// "✓ Ready · Tessera" in the title once it is over until you have looked at the page. While the
// live link is down the badge says "Paused": placing is not possible, whatever the countdown says.

import { useEffect, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { boardLabel } from "@/lib/client/boards";
import { formatCountdown, pageTitle } from "@/lib/client/format";
import { useTessera } from "@/lib/client/store";
import { CheckIcon, TimerIcon } from "./Icons";

/** Countdown refresh rate: fast enough for tenths of a second. */
const TICK_MS = 100;
/** How long the badge glows when placing becomes possible again. */
const READY_PULSE_MS = 1_800;

export function CooldownIndicator() {
  const { until, cooldownMs, readyAt, readyTitle, link, boardTitle, frozen, banned } = useTessera(
    useShallow((s) => ({
      until: s.cooldownUntil,
      cooldownMs: s.cooldownMs,
      readyAt: s.readyAt,
      readyTitle: s.readyTitle,
      link: s.link,
      boardTitle: s.board && s.board.id !== "main" ? boardLabel(s.board) : null,
      frozen: s.board?.state === "frozen",
      banned: s.banned,
    })),
  );
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

  const cooling = remaining > 0;
  const paused = link !== "live" && link !== "connecting";
  const progress = cooling && cooldownMs > 0 ? Math.min(1, remaining / cooldownMs) : 0;
  // Banned and frozen come first: no countdown ends them.
  const state = banned ? "banned" : frozen ? "frozen" : cooling ? "cooling" : paused ? "paused" : "ready";
  const text = { banned: "Banned", frozen: "Frozen", cooling: formatCountdown(remaining), paused: "Paused", ready: "Ready" }[state];
  const hint = {
    banned: "You are banned from placing pixels",
    frozen: "This board is frozen: nobody can place pixels on it now",
    cooling: "Time until you can place again",
    paused: "Placing is paused until the connection is back",
    ready: "You can place a pixel",
  }[state];

  return (
    <div
      className={`cooldown is-${state}${state === "ready" && pulse ? " just-ready" : ""}`}
      data-testid="cooldown"
      data-state={state}
      role="timer"
      aria-live="off"
      title={hint}
      style={{ ["--progress" as string]: progress }}
    >
      {/* The tab's title while playing (React puts it in <head>, before the layout's default). */}
      <title>{pageTitle(wholeSeconds * 1000, readyTitle, boardTitle)}</title>
      {state === "cooling" ? <TimerIcon /> : state === "ready" ? <CheckIcon /> : null}
      <span className="cooldown-text">{text}</span>
    </div>
  );
}
