"use client";
// Short messages (rejections, copied link, …), announced to screen readers.

import { dismissToast } from "@/lib/client/controller";
import { useTessera } from "@/lib/client/store";
import { CloseIcon } from "./Icons";

export function Toasts() {
  const toasts = useTessera((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" data-kind={t.kind} role={t.kind === "error" ? "alert" : "status"}>
          <span>{t.text}</span>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  );
}
