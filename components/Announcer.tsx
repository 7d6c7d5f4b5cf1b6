"use client";
// What screen readers are told as it happens (the keyboard cursor's position), in one polite
// live region, so moving the cursor with the arrow keys is heard without stealing focus.

import { useTessera } from "@/lib/client/store";

export function Announcer() {
  const text = useTessera((s) => s.announcement);
  return (
    <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
