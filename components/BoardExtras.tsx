"use client";
// Extension point of the board page: the moderation panel, timelapse and pixel history plug in
// here (they read lib/client/store.ts, never write it). A named export, rendered by app/page.tsx
// inside the stage as <BoardExtras board={boardId} />. This placeholder renders nothing.

export function BoardExtras({ board }: { board: string }): null {
  void board;
  return null;
}
