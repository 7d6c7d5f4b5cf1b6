"use client";
// Short messages (rejections, copied link, …), announced to screen readers. A toast with a
// countdown ("Cooling down — 2.4s left.") counts down live and then says it is over.

import { useEffect, useState } from "react";
import { dismissToast } from "@/lib/client/controller";
import { formatCountdown } from "@/lib/client/format";
import { useTessera, type Toast } from "@/lib/client/store";
import { CloseIcon } from "./Icons";

/** Countdown refresh rate in a toast. */
const TICK_MS = 100;

function ToastText({ t }: { t: Toast }) {
  const [now, setNow] = useState(() => Date.now());
  const until = t.until;
  useEffect(() => {
    if (until === undefined) return;
    setNow(Date.now());
    const timer = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n >= until) clearInterval(timer);
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [until]);
  if (until === undefined) return <span>{t.text}</span>;
  const left = until - now;
  return <span data-testid="toast-countdown">{left > 0 ? t.text.replace("{time}", formatCountdown(left)) : (t.doneText ?? t.text.replace("{time}", formatCountdown(0)))}</span>;
}

export function Toasts() {
  const toasts = useTessera((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" data-kind={t.kind} role={t.kind === "error" ? "alert" : "status"}>
          <ToastText t={t} />
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  );
}
